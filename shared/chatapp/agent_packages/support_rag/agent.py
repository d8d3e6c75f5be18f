"""support-rag: answer from the company's knowledge with citations; ask for a human when stuck.

With a language model: Claude gets the `rag_search` and `request_human_handover` tools (those the
agent enables), searches, answers citing passages as [n], and may hand over. Without one (the
platform's offline mode): the platform's labelled offline answer from the best passages.
"""

from __future__ import annotations

import re
from typing import Any

from chatapp.agent_runtime.interface import (
    Citation,
    LanguageModelUnavailable,
    Passage,
    Reply,
    Runtime,
    ToolCall,
    Turn,
)

from .prompts import TOOLS, conversation_messages, passages_for_model, system_prompt

DEFAULT_TOOLS = ("rag_search", "request_human_handover")
MAX_TOOL_ROUNDS = 3
DEFAULT_FALLBACK = "Sorry, I can't answer right now. Please try again in a moment, or ask for a person."
_CITATION = re.compile(r"\[(\d{1,3})\]")


def respond(turn: Turn, runtime: Runtime) -> Reply:
    agent = turn.agent
    tools = [name for name in (agent.enabled_tools or DEFAULT_TOOLS) if name in TOOLS]
    if not agent.rag_enabled:
        tools = [name for name in tools if name != "rag_search"]
    if runtime.llm is None:
        passages = runtime.search(turn.message) if "rag_search" in tools else []
        return runtime.offline_answer(turn, passages)

    config = agent.llm_config
    request: dict[str, Any] = {
        "model": config.get("model"),
        "max_tokens": int(config.get("maxTokens", 1024)),
        "system": system_prompt(turn),
        "messages": conversation_messages(turn),
    }
    if tools:
        request["tools"] = [TOOLS[name] for name in tools]
    passages: list[Passage] = []
    calls: list[ToolCall] = []
    handover: str | None = None
    searched = False
    tokens_in = tokens_out = 0
    response: Any = None
    for round_number in range(MAX_TOOL_ROUNDS + 1):
        try:
            response = runtime.llm.create(**request)
        except LanguageModelUnavailable:
            return Reply(
                text=agent.fallback_responses.get("error") or DEFAULT_FALLBACK,
                fallback=True,
                model=request["model"],
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                tool_calls=tuple(calls),
            )
        tokens_in += response.usage.input_tokens
        tokens_out += response.usage.output_tokens
        uses = [block for block in response.content if block.type == "tool_use"]
        if response.stop_reason != "tool_use" or not uses or round_number == MAX_TOOL_ROUNDS:
            break
        results = []
        for use in uses:
            arguments = dict(use.input or {})
            if use.name == "rag_search" and "rag_search" in tools:
                searched = True
                hypothetical = arguments.get("hypothetical_answer")
                found = runtime.search(
                    str(arguments.get("query") or turn.message),
                    hypothetical_answer=str(hypothetical) if hypothetical else None,
                )
                content = passages_for_model(found, first_number=len(passages) + 1)
                passages.extend(found)
                result: Any = [p.chunk_id for p in found]
            elif use.name == "request_human_handover" and "request_human_handover" in tools:
                handover = str(arguments.get("reason") or "The assistant asked for a person.")[:255]
                content = "A person has been asked to join; tell the customer briefly."
                result = {"reason": handover}
            else:
                content, result = f"Unknown tool {use.name}.", {"error": "unknown tool"}
            calls.append(ToolCall(id=use.id, name=use.name, arguments=arguments, result=result))
            results.append({"type": "tool_result", "tool_use_id": use.id, "content": content})
        request["messages"] = [
            *request["messages"],
            {
                "role": "assistant",
                "content": [block.model_dump(exclude_none=True) for block in response.content],
            },
            {"role": "user", "content": results},
        ]

    text = "".join(block.text for block in response.content if block.type == "text").strip()
    cited = _cited(text, passages)
    return Reply(
        text=text or (agent.fallback_responses.get("no_answer") or DEFAULT_FALLBACK),
        citations=tuple(
            Citation(p.chunk_id, p.file_id, p.filename, p.page_number, p.section_title) for p in cited
        ),
        handover_reason=handover,
        confidence=_confidence(searched, cited or passages),
        model=getattr(response, "model", request["model"]),
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        tool_calls=tuple(calls),
        retrieval_scores=tuple(
            p.relevance if p.relevance is not None else p.score for p in cited or passages
        ),
    )


def _cited(text: str, passages: list[Passage]) -> list[Passage]:
    numbers = dict.fromkeys(int(n) for n in _CITATION.findall(text))
    return [passages[n - 1] for n in numbers if 0 < n <= len(passages)]


def _confidence(searched: bool, basis: list[Passage]) -> float | None:
    """How well grounded the answer is: the best calibrated confidence among the passages it rests
    on. None for answers that needed no knowledge (greetings); 0 when a search found nothing."""
    if not searched:
        return None
    return round(max((p.confidence for p in basis), default=0.0), 3)

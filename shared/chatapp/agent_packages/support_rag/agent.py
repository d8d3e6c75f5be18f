"""support-rag: answer from the company's knowledge with citations; ask for a human when stuck.

With a language model: Claude gets the `rag_search` and `request_human_handover` tools (those the
agent enables), searches, answers citing passages as [n], and may hand over. Without one (the
platform's offline mode): the platform's labelled offline answer from the best passages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from chatapp import languages
from chatapp.agent_runtime.interface import (
    Citation,
    Delta,
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
ROUND_SEPARATOR = "\n\n"
_CITATION = re.compile(r"\[(\d{1,3})\]")


def respond(turn: Turn, runtime: Runtime) -> Reply:
    *_, reply = _answer(turn, runtime, streaming=False)
    if not isinstance(reply, Reply):
        raise TypeError("the answer ended without a Reply")
    return reply


def respond_stream(turn: Turn, runtime: Runtime) -> Iterator[Delta | Reply]:
    """`respond`, with the text yielded as Claude writes it (interface version 2)."""
    return _answer(turn, runtime, streaming=True)


def _answer(turn: Turn, runtime: Runtime, *, streaming: bool) -> Iterator[Delta | Reply]:
    tools = enabled_tools(turn.agent)
    if runtime.llm is None:
        passages = runtime.search(turn.message) if "rag_search" in tools else []
        yield runtime.offline_answer(turn, passages)
        return
    request = first_request(turn, tools)
    exchange = Exchange(turn, runtime, tools)
    response: Any = None
    for round_number in range(MAX_TOOL_ROUNDS + 1):
        try:
            if streaming:
                stream = runtime.llm.stream(**request)
                for number, piece in enumerate(stream):
                    if number == 0 and exchange.said:  # a new round's text starts a new paragraph
                        yield Delta(ROUND_SEPARATOR)
                    yield Delta(piece)
                response = stream.response
            else:
                response = runtime.llm.create(**request)
        except LanguageModelUnavailable:
            yield exchange.fallback(request["model"])
            return
        exchange.count(response)
        uses = [block for block in response.content if block.type == "tool_use"]
        if response.stop_reason != "tool_use" or not uses or round_number == MAX_TOOL_ROUNDS:
            break
        request["messages"] = exchange.after_tools(request["messages"], response.content, uses)
    yield exchange.reply(getattr(response, "model", request["model"]))


def enabled_tools(agent: Any) -> list[str]:
    tools = [name for name in (agent.enabled_tools or DEFAULT_TOOLS) if name in TOOLS]
    return tools if agent.rag_enabled else [name for name in tools if name != "rag_search"]


def first_request(turn: Turn, tools: list[str]) -> dict[str, Any]:
    config = turn.agent.llm_config
    request: dict[str, Any] = {
        "model": config.get("model"),
        "max_tokens": int(config.get("maxTokens", 1024)),
        "system": system_prompt(turn),
        "messages": conversation_messages(turn),
    }
    if tools:
        request["tools"] = [TOOLS[name] for name in tools]
    return request


@dataclass
class Exchange:
    """What one turn's rounds with the model gathered: passages found, tool calls, handover, tokens."""

    turn: Turn
    runtime: Runtime
    tools: list[str]
    passages: list[Passage] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    handover: str | None = None
    searched: bool = False
    tokens_in: int = 0
    tokens_out: int = 0
    texts: list[str] = field(default_factory=list)

    def count(self, response: Any) -> None:
        """A round's tokens, and what it said: every round's text is the answer's (a few words
        before a search included), as a stream shows it."""
        self.tokens_in += response.usage.input_tokens
        self.tokens_out += response.usage.output_tokens
        text = "".join(block.text for block in response.content if block.type == "text")
        if text.strip():
            self.texts.append(text)

    @property
    def said(self) -> bool:
        return bool(self.texts)

    def after_tools(self, messages: list[Any], content: list[Any], uses: list[Any]) -> list[Any]:
        """The conversation so far, the model's tool calls and their results: the next request's messages."""
        results = [self._run(use) for use in uses]
        return [
            *messages,
            {"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in content]},
            {"role": "user", "content": results},
        ]

    def _run(self, use: Any) -> dict[str, Any]:
        arguments = dict(use.input or {})
        result: Any
        if use.name == "rag_search" and "rag_search" in self.tools:
            self.searched = True
            hypothetical = arguments.get("hypothetical_answer")
            found = self.runtime.search(
                str(arguments.get("query") or self.turn.message),
                hypothetical_answer=str(hypothetical) if hypothetical else None,
            )
            content = passages_for_model(found, first_number=len(self.passages) + 1)
            self.passages.extend(found)
            result = [p.chunk_id for p in found]
        elif use.name == "request_human_handover" and "request_human_handover" in self.tools:
            self.handover = str(arguments.get("reason") or "The assistant asked for a person.")[:255]
            content = "A person has been asked to join; tell the customer briefly."
            result = {"reason": self.handover}
        else:
            content, result = f"Unknown tool {use.name}.", {"error": "unknown tool"}
        self.calls.append(ToolCall(id=use.id, name=use.name, arguments=arguments, result=result))
        return {"type": "tool_result", "tool_use_id": use.id, "content": content}

    def fallback(self, model: str | None) -> Reply:
        return Reply(
            text=languages.agent_text(self.turn.agent.fallback_responses, "error", self.turn.language)
            or DEFAULT_FALLBACK,
            fallback=True,
            model=model,
            input_tokens=self.tokens_in,
            output_tokens=self.tokens_out,
            tool_calls=tuple(self.calls),
        )

    def reply(self, model: str | None) -> Reply:
        text = ROUND_SEPARATOR.join(self.texts).strip()
        cited = _cited(text, self.passages)
        basis = cited or self.passages
        return Reply(
            text=text
            or languages.agent_text(self.turn.agent.fallback_responses, "noAnswer", self.turn.language)
            or DEFAULT_FALLBACK,
            citations=tuple(
                Citation(p.chunk_id, p.file_id, p.filename, p.page_number, p.section_title, p.url)
                for p in cited
            ),
            handover_reason=self.handover,
            confidence=_confidence(self.searched, basis),
            model=model,
            input_tokens=self.tokens_in,
            output_tokens=self.tokens_out,
            tool_calls=tuple(self.calls),
            retrieval_scores=tuple(p.relevance if p.relevance is not None else p.score for p in basis),
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

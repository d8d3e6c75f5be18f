"""The offline answerer: used when no language model is configured (local development, demos).

It quotes the most relevant sentences of the best passages with citations, as they are (in the
knowledge's language), and says plainly, in the customer's language, that it is an offline answer
quoting the knowledge base, so nobody mistakes it for the product's real answers. Production
settings refuse it (see `chatapp.config`).
"""

from __future__ import annotations

import re

from chatapp import languages
from chatapp.agent_runtime.interface import Citation, Passage, Reply, Turn

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\w+")
MAX_EXCERPT_CHARS = 600
MAX_SOURCES = 3


def offline_answer(turn: Turn, passages: list[Passage]) -> Reply:
    note = languages.text("offline_note", turn.language)
    if not passages:
        text = languages.agent_text(
            turn.agent.fallback_responses, "noAnswer", turn.language
        ) or languages.text("not_found", turn.language)
        return Reply(
            text=f"{text}\n\n{note}", confidence=0.0 if turn.agent.rag_enabled else None, offline=True
        )
    sources = passages[:MAX_SOURCES]
    lines = [f"{_excerpt(turn.message, sources[0].text)} [1]"]
    if len(sources) > 1:
        lines.append(
            "See also: " + ", ".join(f"{p.filename} [{n}]" for n, p in enumerate(sources[1:], start=2))
        )
    lines.append(note)
    best = sources[0]
    return Reply(
        text="\n\n".join(lines),
        citations=tuple(
            Citation(p.chunk_id, p.file_id, p.filename, p.page_number, p.section_title, p.url)
            for p in sources
        ),
        confidence=round(best.confidence, 3),
        retrieval_scores=tuple(p.relevance if p.relevance is not None else p.score for p in sources),
        offline=True,
    )


def _excerpt(question: str, text: str) -> str:
    """The passage's sentences that share the most words with the question, in their original order."""
    asked = {w.lower() for w in _WORD.findall(question) if len(w) > 2}
    sentences = [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]
    ranked = sorted(
        range(len(sentences)), key=lambda i: -len(asked & {w.lower() for w in _WORD.findall(sentences[i])})
    )
    chosen: list[int] = []
    length = 0
    for index in ranked:
        if length + len(sentences[index]) > MAX_EXCERPT_CHARS and chosen:
            break
        chosen.append(index)
        length += len(sentences[index])
    excerpt = " ".join(sentences[i] for i in sorted(chosen))
    return excerpt[:MAX_EXCERPT_CHARS].rstrip()

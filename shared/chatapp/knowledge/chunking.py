"""Token-aware chunking that respects headings, pages, paragraphs and sentences.

Chunks are sized in the embedding model's own tokens, so no text falls past the model's
input limit and goes silently unembedded (all-MiniLM-L6-v2 reads 256 wordpieces, special
tokens included). The document and section titles travel with each chunk (`embed_text`),
and count against that limit too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from chatapp.knowledge.parsing import Section

TokenCounter = Callable[[str], int]

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")
_SPECIAL_TOKENS = 2  # [CLS] and [SEP]
_MAX_PREFIX_TOKENS = 48


@dataclass(frozen=True)
class ChunkingConfig:
    # Tokens, from the agent's ragConfig.chunkSize / overlapSize. Without them: 128/32, measured
    # against the model's whole 256-token window on the public evaluation sets (docs/retrieval.md):
    # a smaller chunk says one thing, so its vector is about that thing.
    chunk_size: int = 128
    overlap: int = 32
    max_input_tokens: int = 256  # the embedding model's limit, special tokens included

    @classmethod
    def from_rag_config(cls, rag_config: dict[str, object] | None, max_input_tokens: int) -> ChunkingConfig:
        rag_config = rag_config or {}
        size = _positive_int(rag_config.get("chunkSize"), cls.chunk_size)
        overlap = _positive_int(rag_config.get("overlapSize"), cls.overlap, allow_zero=True)
        return cls(chunk_size=size, overlap=min(overlap, size // 2), max_input_tokens=max_input_tokens)


def _positive_int(value: object, default: int, *, allow_zero: bool = False) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and (value > 0 or (allow_zero and value == 0)):
        return value
    return default


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str  # what is stored and shown
    embed_text: str  # what is embedded: titles + text
    start_offset: int
    end_offset: int
    page_number: int | None
    section_title: str | None
    token_count: int  # of embed_text, without special tokens


@dataclass(frozen=True)
class _Unit:
    text: str
    start: int
    tokens: int


def chunk_sections(
    sections: Iterable[Section],
    *,
    document_title: str | None,
    config: ChunkingConfig,
    count_tokens: TokenCounter,
) -> Iterator[Chunk]:
    """Chunks in document order. Consecutive sections with the same heading and page are packed
    together; a chunk never crosses a heading or a page boundary."""
    index = 0
    group: list[Section] = []
    for section in sections:
        if group and (section.section_title, section.page_number) != (
            group[0].section_title,
            group[0].page_number,
        ):
            for chunk in _chunk_group(group, document_title, config, count_tokens, index):
                index += 1
                yield chunk
            group = []
        group.append(section)
    if group:
        yield from _chunk_group(group, document_title, config, count_tokens, index)


def _prefix(document_title: str | None, section_title: str | None, count_tokens: TokenCounter) -> str:
    parts = [p.strip() for p in (document_title, section_title) if p and p.strip()]
    if len(parts) == 2 and parts[0].casefold() == parts[1].casefold():
        parts = parts[:1]
    prefix = " - ".join(parts)
    while prefix and count_tokens(prefix) > _MAX_PREFIX_TOKENS:
        prefix = prefix[: int(len(prefix) * 0.8)].rstrip()
    return f"{prefix}\n" if prefix else ""


def _chunk_group(
    group: list[Section],
    document_title: str | None,
    config: ChunkingConfig,
    count_tokens: TokenCounter,
    first_index: int,
) -> Iterator[Chunk]:
    head = group[0]
    prefix = _prefix(document_title, head.section_title, count_tokens)
    prefix_tokens = count_tokens(prefix) if prefix else 0
    budget = max(16, min(config.chunk_size, config.max_input_tokens - _SPECIAL_TOKENS - prefix_tokens))
    units = [u for s in group for u in _units(s.text, s.start_offset, budget, count_tokens)]

    index = first_index
    current: list[_Unit] = []
    used = 0
    for unit in units:
        if current and used + unit.tokens > budget:
            yield _make_chunk(index, current, prefix, prefix_tokens, head)
            index += 1
            current = _overlap_tail(current, config.overlap, budget - unit.tokens)
            used = sum(u.tokens for u in current)
        current.append(unit)
        used += unit.tokens
    if current:
        yield _make_chunk(index, current, prefix, prefix_tokens, head)


def _overlap_tail(previous: list[_Unit], overlap: int, room: int) -> list[_Unit]:
    """The last whole sentences of the previous chunk, up to `overlap` tokens, if they fit."""
    tail: list[_Unit] = []
    total = 0
    for unit in reversed(previous):
        if total + unit.tokens > min(overlap, room):
            break
        tail.insert(0, unit)
        total += unit.tokens
    return tail


def _make_chunk(index: int, units: list[_Unit], prefix: str, prefix_tokens: int, head: Section) -> Chunk:
    # WordPiece splits on whitespace before anything else, so the pieces' counts add up: no need to
    # tokenize the whole chunk again (that was a sixth of ingestion's time outside the model).
    text = " ".join(u.text for u in units)
    embed_text = f"{prefix}{text}"
    return Chunk(
        index=index,
        text=text,
        embed_text=embed_text,
        start_offset=units[0].start,
        end_offset=units[-1].start + len(units[-1].text),
        page_number=head.page_number,
        section_title=head.section_title,
        token_count=prefix_tokens + sum(u.tokens for u in units),
    )


def _units(text: str, start: int, budget: int, count_tokens: TokenCounter) -> Iterator[_Unit]:
    """Paragraphs, or sentences of paragraphs too long for one chunk, or word runs of sentences too long."""
    for paragraph, paragraph_start in _spans(text, start, re.compile(r"\n\s*\n")):
        tokens = count_tokens(paragraph)
        if tokens <= budget:
            yield _Unit(paragraph, paragraph_start, tokens)
            continue
        for sentence, sentence_start in _spans(paragraph, paragraph_start, _SENTENCE_END):
            tokens = count_tokens(sentence)
            if tokens <= budget:
                yield _Unit(sentence, sentence_start, tokens)
            else:
                yield from _word_runs(sentence, sentence_start, budget, count_tokens)


def _spans(text: str, start: int, separator: re.Pattern[str]) -> Iterator[tuple[str, int]]:
    position = 0
    for match in separator.finditer(text):
        piece = text[position : match.start()]
        if piece.strip():
            yield _stripped(piece, start + position)
        position = match.end()
    if text[position:].strip():
        yield _stripped(text[position:], start + position)


def _stripped(piece: str, start: int) -> tuple[str, int]:
    leading = len(piece) - len(piece.lstrip())
    return piece.strip(), start + leading


def _word_runs(sentence: str, start: int, budget: int, count_tokens: TokenCounter) -> Iterator[_Unit]:
    """Split an over-long run of text at word boundaries so that each piece fits the budget.

    WordPiece splits on whitespace first, so a run's token count is the sum of its words'.
    """
    piece: list[tuple[str, int]] = []
    used = 0
    for match in re.finditer(r"\S+", sentence):
        word, offset = match.group(), match.start()
        tokens = count_tokens(word)
        if tokens > budget:  # one "word" longer than a chunk (a URL, a hash): cut it by characters
            yield from _flush(piece, start, used)
            piece, used = [], 0
            for cut in range(0, len(word), budget):
                part = word[cut : cut + budget]
                yield _Unit(part, start + offset + cut, count_tokens(part))
            continue
        if piece and used + tokens > budget:
            yield from _flush(piece, start, used)
            piece, used = [], 0
        piece.append((word, offset))
        used += tokens
    yield from _flush(piece, start, used)


def _flush(piece: list[tuple[str, int]], start: int, tokens: int) -> Iterator[_Unit]:
    if piece:
        yield _Unit(" ".join(word for word, _ in piece), start + piece[0][1], tokens)

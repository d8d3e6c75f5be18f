"""Chunks fit the embedding model, follow headings and pages, overlap, and keep their offsets."""

from __future__ import annotations

import itertools

import pytest

from chatapp.integrations.embeddings import MINILM_MAX_TOKENS
from chatapp.knowledge.chunking import ChunkingConfig, chunk_sections
from chatapp.knowledge.ingestion import count_tokens
from chatapp.knowledge.parsing import Section


def _sections(blocks: list[tuple[str | None, int | None, str]]) -> list[Section]:
    sections, offset = [], 0
    for title, page, body in blocks:
        sections.append(Section(text=body, page_number=page, section_title=title, start_offset=offset))
        offset += len(body) + 2
    return sections


def _document(blocks: list[tuple[str | None, int | None, str]]) -> str:
    return "\n\n".join(body for _, _, body in blocks)


SENTENCE = "Our support team answers questions about returns, shipping, invoices and warranty claims."


def test_no_chunk_exceeds_the_model_limit_even_when_asked_for_more() -> None:
    blocks = [("Policies", None, " ".join([SENTENCE] * 200))]
    config = ChunkingConfig(chunk_size=500, overlap=50, max_input_tokens=MINILM_MAX_TOKENS)
    chunks = list(
        chunk_sections(_sections(blocks), document_title="Handbook", config=config, count_tokens=count_tokens)
    )
    assert len(chunks) > 10
    assert all(c.token_count + 2 <= MINILM_MAX_TOKENS for c in chunks)
    assert all(c.embed_text.startswith("Handbook - Policies\n") for c in chunks)
    # token_count is summed from the pieces, not re-counted: it must equal a real count.
    assert all(c.token_count == count_tokens(c.embed_text) for c in chunks)


def test_chunk_size_and_overlap_follow_the_rag_config() -> None:
    config = ChunkingConfig.from_rag_config({"chunkSize": 60, "overlapSize": 20}, MINILM_MAX_TOKENS)
    assert (config.chunk_size, config.overlap) == (60, 20)
    chunks = list(
        chunk_sections(
            _sections([(None, None, " ".join([SENTENCE] * 30))]),
            document_title=None,
            config=config,
            count_tokens=count_tokens,
        )
    )
    assert all(count_tokens(c.text) <= 60 for c in chunks)
    # Whole sentences carried over: each chunk after the first starts with the previous chunk's last sentence.
    for previous, current in itertools.pairwise(chunks):
        assert current.text.split(". ")[0] in previous.text


def test_headings_and_pages_are_never_crossed_and_offsets_point_into_the_text() -> None:
    blocks = [
        ("Returns", 1, "Bikes can be returned within 30 days."),
        ("Returns", 1, "Accessories within 14 days."),
        ("Shipping", 1, "Standard shipping takes 3 to 5 days."),
        ("Shipping", 2, "Express shipping arrives the next day."),
    ]
    text = _document(blocks)
    chunks = list(
        chunk_sections(
            _sections(blocks), document_title="Help", config=ChunkingConfig(), count_tokens=count_tokens
        )
    )
    assert [(c.section_title, c.page_number) for c in chunks] == [
        ("Returns", 1),
        ("Shipping", 1),
        ("Shipping", 2),
    ]
    assert chunks[0].text == "Bikes can be returned within 30 days. Accessories within 14 days."
    for chunk in chunks:
        first_words = chunk.text.split(" ")[0]
        assert text[chunk.start_offset :].startswith(first_words)
        assert text[: chunk.end_offset].endswith(chunk.text.split(" ")[-1])
    assert [c.index for c in chunks] == [0, 1, 2]


def test_overlong_words_and_unpunctuated_runs_are_split_not_dropped() -> None:
    url = "https://example.com/" + "a1b2c3d4" * 200
    run = " ".join(f"word{i}" for i in range(1500))
    chunks = list(
        chunk_sections(
            _sections([(None, None, url), (None, None, run)]),
            document_title=None,
            config=ChunkingConfig(),
            count_tokens=count_tokens,
        )
    )
    assert all(c.token_count + 2 <= MINILM_MAX_TOKENS for c in chunks)
    joined = " ".join(c.text for c in chunks)
    assert "word0" in joined and "word1499" in joined
    assert sum(len(c.text) for c in chunks if c.text.startswith(("https", "a1b2"))) >= len(url)


@pytest.mark.parametrize("config", [{}, {"chunkSize": "big"}, {"chunkSize": -5, "overlapSize": 9999}])
def test_bad_rag_config_falls_back_to_defaults(config: dict) -> None:
    parsed = ChunkingConfig.from_rag_config(config, 256)
    assert parsed.chunk_size > 0 and 0 <= parsed.overlap <= parsed.chunk_size // 2

"""The lexical side of retrieval: Okapi BM25 as sparse vectors, with IDF kept per company.

A chunk is stored as a sparse vector whose weights are BM25's term-frequency part,
`tf*(k1+1) / (tf + k1*(1 - b + b*len/avg_len))`; a question becomes a sparse vector whose weights
are the *company's* inverse document frequencies. Their dot product, which Qdrant's sparse index
computes, is exactly BM25. IDF is not left to the vector store (Qdrant's IDF modifier counts the
whole collection, which all companies share): one tenant's documents would shift another's
ranking, a quality problem and a small side channel. The company's document frequencies live in
PostgreSQL instead (`chatapp_knowledge_term_stats`, kept by a trigger on the chunks table).

Words are lower-cased, split on anything not a letter or digit, stripped of English stop words
and reduced by the Snowball (Porter 2) stemmer, so "stashing" finds "stash". Terms are stored as
31-bit ids (CRC-32), which fit both PostgreSQL's `integer` and Qdrant's sparse indices.

Pure Python with one small dependency (`snowballstemmer`, ~100 kB), so the same encoder runs
in the ingestion worker, the chat function and the AWS retrieval layer.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache

from chatapp.integrations.vector_store import Sparse

K1 = 1.2
B = 0.75
# BM25 normalises a chunk's length by the collection's average. Chunks are cut to a token budget,
# so their lengths vary little between companies: with the default 128-token chunks, measured, 47
# terms per chunk on the Debian handbook and 41 on the Python reference. A fixed average keeps
# stored weights independent of what was indexed before (no re-weighting as knowledge grows).
AVERAGE_TERMS = 44.0
MAX_WORD_LENGTH = 40  # longer runs are hashes and encoded blobs, never searched for

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Snowball's English stop-word list (the one PostgreSQL's 'english' configuration uses).
_STOP_WORD_TEXT = """a about above after again against all am an and any are as at be because been
    before being
    below between both but by can did do does doing don down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own s same she should so some such t than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with you your yours yourself yourselves ll re ve d m isn aren wasn weren hasn
    haven hadn doesn didn won wouldn shan shouldn can couldn mustn let"""
STOP_WORDS = frozenset(_STOP_WORD_TEXT.split())


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    stem: str = _stemmer().stemWord(word)  # type: ignore[attr-defined]
    return stem


ALL_CHUNKS = 0  # term id 0 is reserved: the statistics count a company's chunks under it


@lru_cache(maxsize=200_000)
def term_id(term: str) -> int:
    return zlib.crc32(term.encode()) & 0x7FFFFFFF or 1


def terms(text: str) -> list[str]:
    """The text's searchable terms, in order, repeats kept (term frequency counts them)."""
    return [
        _stem(word)
        for word in _WORD.findall(text.lower())
        if word not in STOP_WORDS and len(word) <= MAX_WORD_LENGTH
    ]


def document_vector(text: str) -> Sparse:
    """BM25's term-frequency weights for one chunk (what is stored beside its dense vector)."""
    counts = Counter(term_id(t) for t in terms(text))
    if not counts:
        return Sparse([], [])
    length = sum(counts.values())
    norm = K1 * (1 - B + B * length / AVERAGE_TERMS)
    indices = sorted(counts)
    return Sparse(indices, [counts[i] * (K1 + 1) / (counts[i] + norm) for i in indices])


def document_term_ids(text: str) -> list[int]:
    """The distinct term ids of a chunk, stored with it so the company's statistics can count them."""
    return sorted({term_id(t) for t in terms(text)})


def query_term_ids(question: str) -> list[int]:
    return sorted({term_id(t) for t in terms(question)})


def idf(chunks: int, containing: int) -> float:
    """BM25's inverse document frequency (the +1 form: never negative for very common terms)."""
    return math.log(1 + (chunks - containing + 0.5) / (containing + 0.5))


def query_vector(term_ids: Iterable[int], chunks: int, containing: Mapping[int, int]) -> Sparse:
    """The question as IDF weights over the company's `chunks`; unseen terms match nothing and are dropped."""
    indices = sorted(t for t in set(term_ids) if containing.get(t, 0) > 0)
    return Sparse(indices, [idf(chunks, containing[t]) for t in indices])

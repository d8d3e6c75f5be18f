"""The BM25 encoder: terms, stored weights, per-company IDF, and their dot product."""

from __future__ import annotations

import math

from chatapp.knowledge import lexical


def test_terms_are_stemmed_lowercased_and_free_of_stop_words() -> None:
    assert lexical.terms("Stashing my changes: the STASH was stashed!") == [
        "stash",
        "chang",
        "stash",
        "stash",
    ]
    assert lexical.terms("os.path.join() and apt-get") == ["os", "path", "join", "apt", "get"]
    assert lexical.terms("the and of to") == []


def test_unicode_words_and_blobs() -> None:
    assert lexical.terms("Größe café") == ["größe", "café"]
    assert lexical.terms("x" * 41) == []  # a hash or an encoded blob is never searched for


def test_document_weights_saturate_and_favour_short_chunks() -> None:
    once = lexical.document_vector("refund")
    many = lexical.document_vector("refund " * 50)
    (term,) = once.indices
    weight = dict(zip(many.indices, many.values, strict=True))[term]
    assert 1.0 < weight < lexical.K1 + 1  # more mentions count, but never more than k1 + 1
    padded = lexical.document_vector("refund " + "parcel " * 300)
    assert dict(zip(padded.indices, padded.values, strict=True))[term] < once.values[0]


def test_idf_rewards_rare_terms_and_stays_positive() -> None:
    assert lexical.idf(1000, 1) > lexical.idf(1000, 100) > lexical.idf(1000, 1000) > 0
    assert math.isclose(lexical.idf(10, 5), math.log(1 + 5.5 / 5.5))


def test_query_vector_uses_the_given_counts_and_drops_unseen_terms() -> None:
    rare, common, unseen = (lexical.term_id(t) for t in ("stash", "file", "zebra"))
    query = lexical.query_vector([rare, common, unseen], 100, {rare: 1, common: 90})
    weights = dict(zip(query.indices, query.values, strict=True))
    assert set(weights) == {rare, common}
    assert weights[rare] > 5 * weights[common]


def test_dot_is_bm25() -> None:
    document = lexical.document_vector("stash the file, then stash again")
    ids = lexical.query_term_ids("How do I stash a file?")
    query = lexical.query_vector(ids, 50, dict.fromkeys(ids, 5))
    tf = {lexical.term_id("stash"): 2, lexical.term_id("file"): 1}
    length = len(lexical.terms("stash the file, then stash again"))
    norm = lexical.K1 * (1 - lexical.B + lexical.B * length / lexical.AVERAGE_TERMS)
    expected = sum(lexical.idf(50, 5) * f * (lexical.K1 + 1) / (f + norm) for f in tf.values())
    # What Qdrant's sparse search computes: the dot product of the two vectors.
    weights = dict(zip(query.indices, query.values, strict=True))
    scored = sum(weights.get(i, 0.0) * v for i, v in zip(document.indices, document.values, strict=True))
    assert math.isclose(scored, expected)

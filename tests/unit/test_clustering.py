"""Content-gap clustering: average-linkage topics by cosine, without a k to guess."""

from __future__ import annotations

import numpy as np
import pytest

from chatapp.quality import clustering


def _around(rng: np.random.Generator, centre: np.ndarray, count: int, noise: float = 0.5) -> np.ndarray:
    return centre + rng.standard_normal((count, len(centre))) * noise


def test_questions_around_separate_centres_become_separate_topics_biggest_first() -> None:
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((3, 64))
    sizes = [9, 5, 3]
    vectors = np.vstack([_around(rng, c, n) for c, n in zip(centres, sizes, strict=True)])
    found = clustering.topics(vectors)
    assert [len(topic.members) for topic in found] == sizes
    starts = [0, 9, 14]
    for topic, start, size in zip(found, starts, sizes, strict=True):
        assert sorted(topic.members) == list(range(start, start + size))
        assert abs(float(np.linalg.norm(topic.centroid)) - 1) < 1e-5


def test_a_question_unlike_every_other_is_no_topic_and_pairs_are_the_smallest() -> None:
    rng = np.random.default_rng(4)
    centre, lone = rng.standard_normal((2, 64))
    vectors = np.vstack([_around(rng, centre, 2), lone[None, :]])
    [topic] = clustering.topics(vectors)
    assert sorted(topic.members) == [0, 1]
    assert clustering.topics(vectors[:1]) == []


def test_the_most_typical_question_comes_first_and_runs_repeat() -> None:
    rng = np.random.default_rng(5)
    centre = rng.standard_normal(64)
    vectors = np.vstack(
        [centre + rng.standard_normal(64) * 0.9, centre, centre + rng.standard_normal(64) * 0.9]
    )
    [topic] = clustering.topics(vectors)
    assert topic.members[0] == 1
    again = clustering.topics(vectors)
    assert [t.members for t in again] == [topic.members]


def test_more_questions_than_a_run_takes_are_refused() -> None:
    with pytest.raises(ValueError):
        clustering.topics(np.ones((clustering.MAX_QUESTIONS + 1, 4)))

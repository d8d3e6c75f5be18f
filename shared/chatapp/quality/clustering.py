"""Agglomerative clustering for content gaps: question embeddings grouped into topics by cosine.

Average linkage with a similarity threshold: the two groups whose questions are, on average, most
alike are joined while that average is at least `JOIN_SIMILARITY`, so the number of topics follows
the questions (no k to guess) and a question unlike every other stays alone instead of being
pushed into the nearest topic. Deterministic: the same questions give the same topics every night.

Cost: one n x n similarity matrix and at most n joins of O(n^2) each; `MAX_QUESTIONS` bounds n per
company (the nightly job keeps each company's most recent ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

JOIN_SIMILARITY = 0.45  # mean cosine between two groups' questions for them to be one topic
MIN_QUESTIONS = 2  # a topic needs at least this many questions
MAX_QUESTIONS = 1000  # per company and run


@dataclass(frozen=True)
class Topic:
    members: list[int]  # row indices, the most typical question (closest to the centre) first
    centroid: np.ndarray  # unit length


def normalized(vectors: np.ndarray) -> np.ndarray:
    import numpy as np

    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def topics(vectors: np.ndarray) -> list[Topic]:
    """The topics of `vectors` (n x d, n <= MAX_QUESTIONS), biggest first."""
    import numpy as np

    n = len(vectors)
    if n < MIN_QUESTIONS:
        return []
    if n > MAX_QUESTIONS:
        raise ValueError(f"at most {MAX_QUESTIONS} questions at a time, not {n}")
    points = normalized(np.asarray(vectors, dtype=np.float32))
    similarity = points @ points.T
    np.fill_diagonal(similarity, -np.inf)
    sizes = np.ones(n, dtype=np.float32)
    groups: dict[int, list[int]] = {i: [i] for i in range(n)}
    while len(groups) > 1:
        first, second = np.unravel_index(int(similarity.argmax()), similarity.shape)
        if similarity[first, second] < JOIN_SIMILARITY:
            break
        # Average linkage (Lance-Williams): the joined group's mean similarity to every other group.
        joined = (sizes[first] * similarity[first] + sizes[second] * similarity[second]) / (
            sizes[first] + sizes[second]
        )
        similarity[first, :] = joined
        similarity[:, first] = joined
        similarity[first, first] = -np.inf
        similarity[second, :] = -np.inf
        similarity[:, second] = -np.inf
        sizes[first] += sizes[second]
        groups[int(first)].extend(groups.pop(int(second)))
    found = []
    for members in groups.values():
        if len(members) < MIN_QUESTIONS:
            continue
        rows = np.array(members)
        centre = points[rows].sum(axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        closest_first = rows[np.argsort(-(points[rows] @ centre), kind="stable")]
        found.append(Topic(members=closest_first.tolist(), centroid=centre))
    return sorted(found, key=lambda topic: (-len(topic.members), topic.members[0]))

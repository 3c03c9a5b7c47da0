"""All pairs of many files through an inverted index of fingerprints, not one comparison per pair.

Each winnowed hash lists the files holding it. Pairs are proposed only by hashes held by
at most ``common_limit`` files: a hash that a large share of the class holds is the
exercise's common idiom, evidence of nothing, and would make the work grow with the
square of the class. Each proposed pair is then scored exactly, on all its hashes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from grader.similarity.fingerprints import Lines

MIN_FINGERPRINTS = 12
"""A file with fewer fingerprints of its own is scored as if it had this many: 3 shared lines are not a
copy."""


@dataclass(frozen=True)
class Document:
    """One file's fingerprints, what the assignment hands out already subtracted."""

    name: str
    """Path or label shown to people."""
    fingerprints: dict[int, list[Lines]]
    """Winnowed hash -> the line ranges of the file it stands for."""
    known: bool = False
    """A known solution (previous years, public): compared with every submission, never with another known
    one."""


@dataclass(frozen=True)
class Match:
    """A region of one file and the region of the other it matches."""

    a_lines: Lines
    b_lines: Lines


@dataclass(frozen=True)
class Pair:
    """Two files, how much of their own code they share, and where."""

    a: str
    """A submission."""
    b: str
    """Another submission, or a known solution."""
    score: float
    """Share, in [0, 1], of the smaller file's own fingerprints found in the other (of ``a``'s for a known
    ``b``)."""
    overlap: float
    """Shared fingerprints over the union: breaks ties in ranking."""
    matches: tuple[Match, ...]


def common_limit(count: int) -> int:
    """How many files may hold a hash before it proposes no pair: 5% of the files, at least 50."""
    return max(50, count // 20)


def candidate_pairs(documents: Sequence[Document], limit: int) -> set[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, sharing a hash held by at most ``limit`` files; none of two known
    files."""
    postings: dict[int, list[int]] = defaultdict(list)
    for i, document in enumerate(documents):
        for h in document.fingerprints:
            postings[h].append(i)
    pairs: set[tuple[int, int]] = set()
    for holders in postings.values():
        if 1 < len(holders) <= limit:
            pairs.update(combinations(holders, 2))
    return {(i, j) for i, j in pairs if not (documents[i].known and documents[j].known)}


def score_pair(a: Document, b: Document, *, matches: bool = True) -> Pair:
    """The pair scored on every hash the two hold (``a`` must be a submission); ``matches``: say where,
    too."""
    shared = a.fingerprints.keys() & b.fingerprints.keys()
    mine = len(a.fingerprints) if b.known else min(len(a.fingerprints), len(b.fingerprints))
    union = len(a.fingerprints) + len(b.fingerprints) - len(shared)
    score = len(shared) / max(mine, MIN_FINGERPRINTS) if shared else 0.0
    where = regions([(a.fingerprints[h][0], b.fingerprints[h][0]) for h in shared]) if matches else ()
    return Pair(a=a.name, b=b.name, score=min(score, 1.0), overlap=len(shared) / union if union else 0.0,
                matches=where)


def regions(matches: list[tuple[Lines, Lines]]) -> tuple[Match, ...]:
    """Matched line ranges merged where they overlap or touch on both sides."""
    merged: list[list[int]] = []
    for (a0, a1), (b0, b1) in sorted(matches):
        for m in merged:
            if a0 <= m[1] + 1 and m[0] <= a1 + 1 and b0 <= m[3] + 1 and m[2] <= b1 + 1:
                m[:] = [min(m[0], a0), max(m[1], a1), min(m[2], b0), max(m[3], b1)]
                break
        else:
            merged.append([a0, a1, b0, b1])
    return tuple(Match((m[0], m[1]), (m[2], m[3])) for m in sorted(merged))


def all_pairs(documents: Sequence[Document], *, min_score: float = 0.0) -> list[Pair]:
    """The pairs scoring at least ``min_score``, highest first (the submission first in a known pair).

    With ``min_score`` 0 every pair is listed, those sharing nothing too: a comparison per
    pair, for a handful of files. Otherwise only the index's candidates are scored.
    """
    if min_score <= 0:
        chosen = {(i, j) for i, j in combinations(range(len(documents)), 2)
                  if not (documents[i].known and documents[j].known)}
    else:
        chosen = candidate_pairs(documents, common_limit(len(documents)))
    out = []
    for i, j in chosen:
        a, b = (documents[j], documents[i]) if documents[i].known else (documents[i], documents[j])
        if score_pair(a, b, matches=False).score >= min_score:
            out.append(score_pair(a, b))
    return sorted(out, key=lambda p: (-p.score, -p.overlap, p.a, p.b))

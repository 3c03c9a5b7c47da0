"""k-grams of normalised tokens, hashed, and winnowed to a few per window (Schleimer, Wilkerson, Aiken 2003).

Winnowing keeps the smallest hash of every window of ``window`` consecutive k-grams, so
any run of ``k + window - 1`` equal tokens in two files shares at least one kept hash,
while a file keeps only about ``2 / (window + 1)`` of its k-grams. k-grams never cross
from one unit (function) into another: the order of functions cannot matter.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from functools import cache

from grader.similarity.normalise import Unit
from grader.similarity.tokens import Token

K = 12
"""Tokens per k-gram: a short statement is about 10 tokens."""
WINDOW = 4
"""k-grams per winnowing window: a run of K + WINDOW - 1 = 15 equal tokens is always seen."""

Lines = tuple[int, int]


@cache
def _token_id(text: str) -> int:
    return zlib.crc32(text.encode())  # stable across processes, unlike hash(str)


def kgrams(tokens: Sequence[Token], k: int = K) -> list[tuple[int, Lines]]:
    """Every k-gram's hash with the lines it spans (a unit shorter than k is one k-gram)."""
    ids = [_token_id(t.text) for t in tokens]
    out = []
    for i in range(max(1, len(ids) - k + 1)):
        lines = [t.line for t in tokens[i:i + k] if t.line] or [1]
        # a tuple of ints hashes the same everywhere
        out.append((hash(tuple(ids[i:i + k])), (min(lines), max(lines))))
    return out if ids else []


def winnow(grams: list[tuple[int, Lines]], window: int = WINDOW) -> list[tuple[int, Lines]]:
    """The rightmost smallest hash of each window, each position once."""
    if len(grams) <= window:
        return [min(grams, key=lambda g: g[0])] if grams else []
    chosen: list[int] = []
    for start in range(len(grams) - window + 1):
        best = min(range(start, start + window), key=lambda i: (grams[i][0], -i))
        if not chosen or chosen[-1] != best:
            chosen.append(best)
    return [grams[i] for i in chosen]


def fingerprint(units: Iterable[Unit], ignore: frozenset[int] = frozenset()) -> dict[int, list[Lines]]:
    """The winnowed hashes of all units, less ``ignore`` (what the assignment hands out), with where each
    is."""
    out: dict[int, list[Lines]] = {}
    for unit in units:
        for h, lines in winnow(kgrams(unit.tokens)):
            if h not in ignore:
                out.setdefault(h, []).append(lines)
    return out


def every_kgram(units: Iterable[Unit]) -> frozenset[int]:
    """All k-gram hashes, not only the winnowed ones: what is subtracted must be subtracted wherever it
    falls."""
    return frozenset(h for unit in units for h, _ in kgrams(unit.tokens))

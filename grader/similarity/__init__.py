"""Similarity between submissions, and against known solutions, that survives disguise.

Each file's syntax tree is normalised (``normalise``: comments, formatting, names,
equivalent spellings, dead code, statement and function order no longer matter), what
the assignment hands out is subtracted (``handout``), the rest is fingerprinted
(``fingerprints``: k-grams and winnowing) and all pairs are found through an inverted
index (``index``). A pair's score says how much of the student-written code of the
smaller file the other holds; a flag is a reason for a person to look, not a verdict.
See docs/similarity.md for what the score means and how the threshold was chosen.

Only the standard library: the grading library stays free of web, queue and database code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grader.similarity.fingerprints import fingerprint
from grader.similarity.handout import NOTHING, Handout, handout
from grader.similarity.index import Document, Match, Pair, all_pairs
from grader.similarity.normalise import units

THRESHOLD = 0.75
"""Default score from which a pair is flagged; chosen on the corpus in tests/similarity
(docs/similarity.md)."""

__all__ = ["NOTHING", "THRESHOLD", "Document", "Handout", "Match", "Pair", "Result", "compare", "document",
           "handout", "ranked"]


def document(name: str, source: str, *, assignment: Handout = NOTHING, known: bool = False) -> Document:
    """One file ready to compare (raises SyntaxError when it does not parse)."""
    parts = units(source, keep=assignment.asked, drop=assignment.given)
    return Document(name=name, fingerprints=fingerprint(parts, ignore=assignment.kgrams), known=known)


@dataclass(frozen=True)
class Result:
    """The pairs worth showing, highest score first, and the files that could not be read."""

    threshold: float
    """Score from which a pair is flagged."""
    pairs: list[Pair]
    """Pairs scoring at least the minimum asked for."""
    skipped: dict[str, str] = field(default_factory=dict)
    """File -> why it was not compared (it does not parse)."""

    def to_json(self) -> dict[str, Any]:
        """The shape of ``autograder similarity --json``."""
        return {"threshold": self.threshold, "pairs": [self._pair(p) for p in self.pairs]}

    def _pair(self, p: Pair) -> dict[str, Any]:
        score = round(p.score, 4)  # flagged as shown: a reader comparing score and threshold must agree
        return {"a": p.a, "b": p.b, "score": score, "flagged": score >= self.threshold,
                "matches": [{"a_lines": list(m.a_lines), "b_lines": list(m.b_lines)} for m in p.matches]}


def compare(submissions: Mapping[str, str], *, known: Mapping[str, str] | None = None,
            assignment: str | None = None, threshold: float = THRESHOLD,
            min_score: float | None = None) -> Result:
    """Every pair of ``submissions`` (name -> source), and each with every ``known`` solution.

    ``assignment``: the id whose handout is subtracted; ``min_score``: the lowest score
    kept (default: the threshold).
    """
    given = handout(assignment) if assignment else NOTHING
    documents, skipped = [], {}
    for names, is_known in ((submissions, False), (known or {}, True)):
        for name, source in names.items():
            try:
                documents.append(document(name, source, assignment=given, known=is_known))
            except (SyntaxError, ValueError) as e:  # ValueError: a null byte in the source
                skipped[name] = f"does not parse: {e}"
            except RecursionError:  # thousands of nested operations: one odd file must not end the comparison
                skipped[name] = "too deeply nested to compare"
    floor = threshold if min_score is None else min_score
    return Result(threshold=threshold, pairs=ranked(documents, min_score=floor), skipped=skipped)


def ranked(documents: Sequence[Document], *, min_score: float) -> list[Pair]:
    """The pairs of ``documents`` scoring at least ``min_score``, highest first (all pairs when it is 0)."""
    return all_pairs(documents, min_score=min_score)

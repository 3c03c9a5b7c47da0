"""How the similarity threshold was chosen (docs/similarity.md), reproducible on any folder of real solutions.

Give it a folder of cs231n ``layers.py`` files written independently (one per author,
e.g. public repositories' ``assignment2/cs231n/layers.py``). Each author's
``batchnorm_backward``, ``batchnorm_backward_alt``, ``dropout_forward`` and
``dropout_backward`` (and ``batchnorm_forward`` where the assignment does not hand it
out) are put into the assignment's starter in place of the template's, as if each had
handed in this exercise. Then, for each threshold:

- honest pairs flagged: every pair of those authors (independent work, one hopes);
- disguised copies found: each of them and each correct fixture (tests/submissions),
  disguised by each kind of tests/similarity/disguise.py alone and all together, against
  its source;
- partial copies found: author A's batch-norm functions with author B's dropout, against A
  (and, to see what a dropout-only copy scores, against B).

    python scripts/similarity_threshold.py FOLDER [--assignment ex08]

Third-party files are read where they are, never copied into this repository.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.similarity import Document, document, handout  # noqa: E402
from grader.similarity.index import score_pair  # noqa: E402
from tests.similarity.disguise import KINDS, disguise  # noqa: E402

STUDENT = ["batchnorm_backward", "batchnorm_backward_alt", "dropout_forward", "dropout_backward"]
DROPOUT = ["dropout_forward", "dropout_backward"]
THRESHOLDS = [0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]


def _spans(source: str) -> dict[str, tuple[int, int]]:
    return {n.name: (n.lineno, n.end_lineno or n.lineno) for n in ast.parse(source).body
            if isinstance(n, ast.FunctionDef)}


def transplant(into: str, donor: str, names: list[str]) -> str:
    """``into`` with the functions ``names`` replaced by ``donor``'s text of them."""
    mine, theirs = _spans(into), _spans(donor)
    lines, donor_lines = into.splitlines(), donor.splitlines()
    for name in sorted((n for n in names if n in mine and n in theirs), key=lambda n: -mine[n][0]):
        start, end = mine[name]
        lines[start - 1:end] = donor_lines[theirs[name][0] - 1:theirs[name][1]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--assignment", default="ex08")
    args = parser.parse_args()
    given = handout(args.assignment)
    starter = (ROOT / "reference" / args.assignment / "starter" / "layers.py").read_text()
    written = STUDENT + ([] if "batchnorm_forward" in given.given else ["batchnorm_forward"])  # variants
    authors = {}
    for path in sorted(args.folder.rglob("*.py")):
        try:
            if all(name in _spans(path.read_text()) for name in written):
                authors[path.stem] = transplant(starter, path.read_text(), written)
        except SyntaxError:
            print(f"skipped {path}: does not parse")
    docs = {name: document(name, source, assignment=given) for name, source in authors.items()}
    names = sorted(docs)
    honest = [score_pair(docs[a], docs[b], matches=False).score for i,
              a in enumerate(names) for b in names[i + 1:]]
    fixtures = {p.stem: p.read_text() for folder in ("correct", "keep")
                for p in sorted((ROOT / "tests" / "submissions" / folder).glob("*.py"))}
    copies = _disguised(fixtures | authors, given)
    partial, dropout_only = _partial(authors, docs, given)
    print(f"{len(authors)} authors, {len(honest)} honest pairs (highest {max(honest, default=0):.2f}); "
          f"{len(copies)} disguised copies (lowest {min(copies):.2f}); {len(partial)} partial copies "
          f"(lowest {min(partial, default=0):.2f}); dropout-only copies score "
          f"{min(dropout_only, default=0):.2f}"
          f"-{max(dropout_only, default=0):.2f}")
    print(f"{'threshold':>9} {'honest flagged':>15} {'copies found':>13} {'partial found':>14}")
    for t in THRESHOLDS:
        print(f"{t:>9.2f} {sum(s >= t for s in honest):>7}/{len(honest):<7} {sum(s >= t for s in copies):>6}/"
              f"{len(copies):<6} {sum(s >= t for s in partial):>7}/{len(partial):<6}")


def _disguised(sources: dict[str, str], given) -> list[float]:  # type: ignore[no-untyped-def]
    scores = []
    for name, source in sources.items():
        original = document(name, source, assignment=given)
        for kinds in [(k,) for k in KINDS] + [tuple(KINDS)]:
            copy = document("copy", disguise(source, *kinds, seed=7), assignment=given)
            scores.append(score_pair(copy, original, matches=False).score)
    return scores


def _partial(authors: dict[str, str], docs: dict[str, Document], given) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    names = sorted(authors)
    from_a, from_b = [], []
    for i, a in enumerate(names):
        b = names[(i + 1) % len(names)]
        mixed = document("mixed", transplant(authors[a], authors[b], DROPOUT), assignment=given)
        from_a.append(score_pair(mixed, docs[a], matches=False).score)
        from_b.append(score_pair(mixed, docs[b], matches=False).score)
    return from_a, from_b


if __name__ == "__main__":
    main()

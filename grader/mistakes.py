"""One cause, reported once: the failed tests of a report grouped by the mistake they share.

Rules, in order (docs in reference/ex08/README.md):

0. A failed test that ended for a reason outside any one check (``data["cause"]``: the file did not
   import, a function is missing, the same exception at the same line, a timeout or a crash of the
   same function) joins the group of that cause, whatever its area: one import failure is one
   mistake, with every test it cost.
1. A failed test with a hint joins the group of that hint in its own area (``output_dtype`` on two
   dropout_forward tests is one mistake; ``returned_none`` in two functions is two). A training test
   joins the group of its hint in whichever layer's area it was named first.
2. A test that was not scored because its function does not do its job yet (``data["gate"]``) joins
   the first group of its own area: the function's missing work is the cause.
3. A training test that names the layer behind its failure (``data["caused_by"]``) joins the first
   group of that layer's area.
4. Any other failure without a hint is grouped with the other unnamed failures of its area, or with
   the first cause (rule 0) of its area when there is one.

Grouping changes no score: a group says which points one cause costs, over every test it failed.
"""

from __future__ import annotations

from grader.feedback import hint_text
from grader.report import Mistake, Status, TestResult


def group(results: list[TestResult]) -> list[Mistake]:
    """The mistakes behind the failed tests of ``results``, in the order their first test appears."""
    failed = [t for t in results if t.status is not Status.PASSED and t.status is not Status.INTERNAL_ERROR]
    keys: dict[str, str] = {}
    for t in failed:
        if t.data.get("cause"):
            keys[t.number] = f"cause:{t.data['cause']}"
        elif t.hint and _area(t) != "training":
            keys[t.number] = f"hint:{t.hint}:{_area(t)}"
        elif not t.hint and not t.data.get("gate") and not t.data.get("caused_by"):
            keys[t.number] = f"area:{_area(t)}"
    causes = {_area(t): keys[t.number] for t in reversed(failed) if keys.get(t.number, "").startswith("cause:")}
    for t in failed:
        if keys.get(t.number, "").startswith("area:") and _area(t) in causes:
            keys[t.number] = causes[_area(t)]  # rule 4 with a cause in the area: that cause
        if keys.get(t.number, "").startswith(("cause:", "area:")):
            continue
        if t.hint and _area(t) == "training":
            keys[t.number] = next((k for k in keys.values() if k.startswith(f"hint:{t.hint}:")), f"hint:{t.hint}:training")
        elif t.number not in keys:
            areas = [t.tags[0]] if t.data.get("gate") else list(t.data.get("caused_by", []))
            keys[t.number] = _first_key_in(areas, failed, keys) or f"area:{_area(t)}"
    groups: dict[str, list[TestResult]] = {}
    for t in failed:
        groups.setdefault(keys[t.number], []).append(t)
    return [_mistake(members) for members in groups.values()]


def _area(t: TestResult) -> str:
    return t.tags[0] if t.tags else ""


def _first_key_in(areas: list[str], failed: list[TestResult], keys: dict[str, str]) -> str | None:
    for t in failed:
        if t.tags and t.tags[0] in areas and t.number in keys and not t.data.get("gate"):
            return keys[t.number]
    return None


def _mistake(members: list[TestResult]) -> Mistake:
    hint = next((t.hint for t in members if t.hint), "")
    summary = hint_text(hint) if hint else _first_paragraph(members[0].output)
    return Mistake(hint=hint, summary=summary, tests=[t.number for t in members],
                   points=round(sum(t.max_score - t.score for t in members), 6))


def _first_paragraph(text: str) -> str:
    return text.split("\n\n", 1)[0].strip()

"""The mode x attack table of docs/sandbox.md, from what ``make test-installed`` recorded.

``python tests/sandbox/attack_table.py RESULTS.jsonl [--write docs/sandbox.md]``
prints the table (one row per attack file or sandbox test, one column per mode;
a row is ``held`` in a mode only when every test behind it passed there) and,
with ``--write``, replaces the block between the table markers in that file.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

COLUMNS = {"root": "(a) root", "userns": "(b) userns", "userns-nolandlock": "(b) userns, no Landlock",
           "landlock": "(c) Landlock only"}
BEGIN, END = "<!-- mode-attack-table:begin -->", "<!-- mode-attack-table:end -->"


def row_name(nodeid: str) -> str:
    path, _, test = nodeid.partition("::")
    name, _, param = test.partition("[")
    module = Path(path).stem.removeprefix("test_")
    if module == "attacks" and param:
        return f"`tests/attacks/{param.rstrip(']').split('-')[0]}.py`"
    return f"{module}: `{name.removeprefix('test_')}`"


def table(lines: list[str]) -> str:
    cells: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    skipped_modes = set()
    for line in lines:
        rec = json.loads(line)
        if rec.get("skipped"):
            skipped_modes.add(rec["mode"])
            continue
        cells[row_name(rec["test"])][rec["mode"]].add(rec["outcome"])
    modes = [m for m in COLUMNS if m in skipped_modes or any(m in c for c in cells.values())]
    out = ["| attack or check | " + " | ".join(COLUMNS[m] for m in modes) + " |",
           "| --- | " + " | ".join("---" for _ in modes) + " |"]
    for row in sorted(cells, key=lambda r: (not r.startswith("`"), r)):
        out.append(f"| {row} | " + " | ".join(_cell(cells[row].get(m),
                                                    m in skipped_modes) for m in modes) + " |")
    return "\n".join(out)


def _cell(outcomes: set[str] | None, mode_skipped: bool) -> str:
    if mode_skipped or not outcomes:
        return "not run here"
    if "failed" in outcomes:
        return "**FAILED**"
    return "held" if "passed" in outcomes else "skipped"


def main(argv: list[str]) -> int:
    text = table(Path(argv[0]).read_text().splitlines())
    print(text)
    if "--write" in argv:
        doc = Path(argv[argv.index("--write") + 1])
        old = doc.read_text()
        if BEGIN not in old:
            print(f"{doc} has no {BEGIN} marker: not written", file=sys.stderr)
            return 1
        pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
        doc.write_text(pattern.sub(lambda _: f"{BEGIN}\n{text}\n{END}", old))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

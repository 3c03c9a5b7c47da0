"""``python -m bench``: run ``main()`` of every module in this package (drop a file in to add one).

``python -m bench service`` runs only the named ones.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def modules(only: list[str]) -> list[str]:
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                   if not m.name.startswith("_"))
    return [n for n in names if not only or n in only]


def run() -> int:
    failed = 0
    for name in modules(sys.argv[1:]):
        module = importlib.import_module(f"bench.{name}")
        if not callable(getattr(module, "main", None)):
            continue
        print(f"\n=== bench.{name} ===", flush=True)
        try:
            module.main()
        except Exception as e:  # noqa: BLE001 - one broken benchmark must not hide the others
            print(f"bench.{name} failed: {type(e).__name__}: {e}", flush=True)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run())

"""Print the runtime requirements of pyproject.toml, one a line, for the image's dependency layer.

The Dockerfile installs these before it copies the source (a source change does not reinstall them).
``--torch SPEC`` replaces torch's pin (e.g. ``torch==2.13.0+cpu`` for the CPU image, from a wheel
directory) and leaves torchvision out: no CPU torchvision matches that wheel, and only the optional
FashionMNIST data set needs it.
"""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path


def requirements(pyproject: Path, torch: str) -> list[str]:
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    if not torch:
        return list(deps)
    def name(requirement: str) -> str:
        match = re.match(r"\s*([A-Za-z0-9_.-]+)", requirement)
        return match.group(1).lower() if match else requirement

    return [torch, *(d for d in deps if name(d) not in ("torch", "torchvision"))]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("pyproject", type=Path)
    parser.add_argument("--torch", default="")
    args = parser.parse_args()
    print("\n".join(requirements(args.pyproject, args.torch)))

"""Fork-to-first-result of a trivial call, all lock-down layers on, beside a fresh interpreter.

``python -m bench`` (``make bench``) runs :func:`main`. It prints the median
(and p90) of at least 50 submissions through the production path
(``SandboxFactory().open`` + ``call`` + ``get``), the same through
``UnconfinedLauncher`` (a fresh interpreter per child) as the baseline, their
ratio, and what each lock-down layer adds on top of the base.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from grader.sandbox import ChildSandbox, SandboxFactory
from grader.sandbox.doctor import BASE
from grader.sandbox.launchers import UnconfinedLauncher

SOURCE = b"import numpy as np\n\ndef dropout_forward(x, dropout_param):\n    return x, None\n"
TARGET_MS = 30.0
RUNS = 60


def _one(open_: Callable[[], ChildSandbox]) -> float:
    x = np.ones((4, 5))
    start = time.perf_counter()
    sb = open_()
    try:
        sb.get(sb.call("dropout_forward", x, {"p": 0.5, "mode": "test"}), 0)
        return (time.perf_counter() - start) * 1000
    finally:
        sb.close()


def _median(open_: Callable[[], ChildSandbox], runs: int) -> tuple[float, float]:
    _one(open_)  # warm-up
    samples = sorted(_one(open_) for _ in range(runs))
    return statistics.median(samples), samples[int(0.9 * len(samples)) - 1]


def _opener(launcher: object) -> Callable[[], ChildSandbox]:
    return lambda: ChildSandbox(SOURCE, launcher=launcher)  # type: ignore[arg-type]


def main() -> None:
    factory = SandboxFactory()
    try:
        layers = factory.describe()["layers"]
        full, full_p90 = _median(lambda: factory.open(SOURCE), RUNS)
        configs = {"base": BASE,
                   **{n: BASE | {n} for n in ("rlimits", "seccomp", "landlock", "uid", "namespaces")
                                    if n in layers}}
        openers = {k: _opener(factory._zygote.with_layers(v)) for k, v in configs.items()}
        samples: dict[str, list[float]] = {k: [] for k in configs}
        for _ in range(RUNS // 2):  # interleaved, so drift hits every configuration alike
            for k, opener in openers.items():
                samples[k].append(_one(opener))
        base = statistics.median(samples.pop("base"))
        extra = {k: statistics.median(v) - base for k, v in samples.items()}
    finally:
        factory.close()
    fresh, _ = _median(lambda: ChildSandbox(SOURCE, launcher=UnconfinedLauncher()), RUNS)
    print(f"sandbox: fork-to-first-result, all layers on ({', '.join(layers)}), {RUNS} runs")
    print(f"  zygote median {full:.1f} ms (p90 {full_p90:.1f} ms), target <= {TARGET_MS:.0f} ms: "
          f"{'ok' if full <= TARGET_MS else 'MISSED'}")
    print(f"  fresh interpreter (UnconfinedLauncher) median {fresh:.1f} ms; ratio {fresh / full:.1f}x faster")
    print(f"  base (session, fds, no_new_privs) {base:.1f} ms; each layer adds: "
          + ", ".join(f"{k} {v:+.1f} ms" for k, v in extra.items()))


if __name__ == "__main__":
    main()

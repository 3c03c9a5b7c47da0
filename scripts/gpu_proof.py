"""The GPU path, proven (issue 11): run by ``scripts/gpu_proof.sh``, which says how and where.

Part 1 grades the reference and two wrong fixtures with the training checks on
``--device`` (``cuda`` on the GPU machine, ``cpu`` in CI) in one warm
:class:`~grader.runner.Grader`, asserts each score and that the training ran on
that device, and checks that CUDA stays in the judge: a probe submission reports
from inside the sandbox whether torch is loaded and whether a GPU device file
opens, and no sandbox process maps libcuda or holds /dev/nvidia*.

Part 2 runs one ``autograder worker`` (``AUTOGRADER_GPUS=0`` on a GPU) and
``autograder api`` against a private Redis and a SQLite file under a temporary
folder, uploads the reference over HTTP and prints the worker's device, the
report's device and the time from upload to stored report.

Exit status 0 only when every assertion held; the figures are printed either way.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = {  # file -> (expected score of 21, the training test expected to fail or None)
    "reference/ex08/layers.py": (21.0, None),
    "tests/submissions/wrong/batchnorm_backward__missing_mean_path.py":
        (13.0, "training: batch-norm network"),
    "tests/submissions/wrong/dropout_forward__no_rescale.py": (17.0, "training: dropout network"),
}
ROUNDS = 5
PROBE = b'''
import os, sys
opened = []
for name in ("/dev/nvidiactl", "/dev/nvidia0", "/dev/nvidia-uvm"):
    try:
        os.close(os.open(name, os.O_RDWR))
        opened.append(name)
    except OSError:
        pass
print("SANDBOX-PROBE", {"torch_loaded": "torch" in sys.modules, "gpu_files_opened": opened})

def dropout_forward(x, dropout_param):
    return x, None
'''
failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(f"  [{'ok' if ok else 'FAILED'}] {what}", flush=True)
    if not ok:
        failures.append(what)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", choices=["cuda", "cpu"], required=True)
    parser.add_argument("--skip-worker", action="store_true", help="part 1 only")
    args = parser.parse_args()
    environment()
    grading(args.device)
    if not args.skip_worker:
        worker(args.device)
    verdict = f"{len(failures)} check(s) FAILED: " + "; ".join(failures) if failures else "all checks held"
    print(f"\n{verdict}")
    return 1 if failures else 0


def environment() -> None:
    started = time.perf_counter()
    import numpy
    import pytorch_lightning
    import torch

    import grader

    print(f"imports: {time.perf_counter() - started:.1f} s; python {sys.version.split()[0]}, torch "
          f"{torch.__version__} (CUDA build {torch.version.cuda}), "
          f"pytorch-lightning {pytorch_lightning.__version__}, numpy {numpy.__version__}")
    print(f"grader from {Path(grader.__file__).parent}")
    if torch.cuda.is_available():
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        print(f"CUDA devices: {names}")
    else:
        print("CUDA devices: none visible")


# --- part 1: the grader on the device -----------------------------------------------------------

def grading(device: str) -> None:
    from grader.runner import Grader

    print(f"\n== part 1: grading with the training checks on {device} ==", flush=True)
    started = time.perf_counter()
    g = Grader("ex08", device=device)
    try:
        g.warm_up()
        print(f"warm-up (imports, reference runs on {device}): {time.perf_counter() - started:.1f} s")
        for name, (expected, failing) in FIXTURES.items():
            t0 = time.perf_counter()
            report = g.grade((ROOT / name).read_bytes(), seed=1, progress=_watch_sandbox(g))
            wall = time.perf_counter() - t0
            devices = {t.data.get("device") for t in report.tests if t.name.startswith("training")}
            failed = [t.name for t in report.tests
                      if t.name.startswith("training") and t.status.value != "passed"]
            print(f"{name}: {report.score:g}/{report.max_score:g} in {wall:.2f} s, training on "
                  f"{sorted(devices)}")
            check(report.score == expected, f"{Path(name).name} scores {expected:g} (got {report.score:g})")
            check(devices == {device}, f"its training checks ran on {device}")
            check(failed == ([] if failing is None else [t for t in failed if t.startswith(failing)]) and
                  (failing is None or len(failed) == 1), f"training tests failed as expected: {failed}")
        walls = []
        source = (ROOT / "reference/ex08/layers.py").read_bytes()
        for seed in range(ROUNDS):
            t0 = time.perf_counter()
            g.grade(source, seed=seed)
            walls.append(time.perf_counter() - t0)
        print(f"whole suite with training on {device}, warm: {statistics.median(walls):.2f} s median of "
              f"{ROUNDS} "
              f"(min {min(walls):.2f}); sandbox requests per suite: {g.round_trips[0]}")
        probe = g.grade(PROBE, seed=0, training=False)
        line = next((ln for ln in probe.printed.splitlines() if "SANDBOX-PROBE" in ln), "")
        print(f"inside the sandbox: {line or 'no probe output'}")
        check("'torch_loaded': False" in line, "the sandbox child has not loaded torch")
        check("'gpu_files_opened': []" in line, "the sandbox child cannot open a GPU device file")
    finally:
        g.close()


def _watch_sandbox(g: object):  # type: ignore[no-untyped-def]
    """After each training test, while the child lives: no process under the zygote may hold CUDA."""
    def progress(result: object) -> None:
        if not getattr(result, "name", "").startswith("training"):
            return
        zygote = g.factory.zygote_pid  # type: ignore[attr-defined]
        if zygote is None:
            return
        users = [pid for pid in _descendants(zygote) | {zygote} if _uses_cuda(pid)]
        check(not users, f"no sandbox process (zygote {zygote} and its children) holds CUDA during "
                         f"'{result.name[:40]}'")  # type: ignore[attr-defined]
    return progress


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = set(), {root}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _uses_cuda(pid: int) -> bool:
    try:
        if "libcuda" in Path(f"/proc/{pid}/maps").read_text():
            return True
        return any(os.readlink(fd).startswith("/dev/nvidia") for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # gone, or not ours to read: nothing seen
        return False


# --- part 2: one worker against a private Redis -------------------------------------------------

def worker(device: str) -> None:
    import httpx

    from service.private_redis import PrivateRedis, free_port

    print(f"\n== part 2: one `autograder worker` ({'AUTOGRADER_GPUS=0' if device == 'cuda' else 'CPU'}) "
          "against a private Redis ==", flush=True)
    with tempfile.TemporaryDirectory(prefix="gpu-proof-") as tmp:
        redis = PrivateRedis(Path(tmp) / "redis").start()
        port = free_port()
        env = dict(os.environ, AUTOGRADER_ENV="development", AUTOGRADER_DATA_DIR=tmp, REDIS_URL=redis.url,
                   DATABASE_URL=f"sqlite:///{tmp}/autograder.db", AUTOGRADER_PORT=str(port),
                   AUTOGRADER_GPUS="0" if device == "cuda" else "", AUTOGRADER_WORKER_CONCURRENCY="1")
        cli = [sys.executable, "-m", "autograder.cli"]
        token = subprocess.run([*cli, "token", "create", "gpu-proof"], env=env, check=True,
                               capture_output=True, text=True).stdout.strip().splitlines()[-1]
        started = time.perf_counter()
        logs = {name: Path(tmp) / f"{name}.log" for name in ("worker", "api")}
        procs = [subprocess.Popen([*cli, "worker", "--loglevel", "WARNING"], env=env, stdout=out,
                                  stderr=subprocess.STDOUT)
                 for out in [logs["worker"].open("wb")]]
        procs.append(subprocess.Popen([*cli, "api", "--port", str(port)], env=env,
                                      stdout=logs["api"].open("wb"), stderr=subprocess.STDOUT))
        try:
            base = f"http://127.0.0.1:{port}"
            workers = _wait_warm(base, redis.url, procs)
            print(f"worker warm after {time.perf_counter() - started:.1f} s: "
                  + ", ".join(f"pid {w.get('pid')} on {w.get('device')}" for w in workers))
            check(bool(workers) and all(w.get("device") == device for w in workers),
                  f"the worker announces device {device}")
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                              timeout=30) as client:
                for round_ in range(2):  # the second upload shows the warm figure
                    t0 = time.perf_counter()
                    r = client.post("/api/v1/submissions", files={
                        "file": ("layers.py", (ROOT / "reference/ex08/layers.py").read_bytes(),
                                 "text/x-python")})
                    r.raise_for_status()
                    final = _wait_graded(client, r.json()["id"])
                    report = final.get("report") or {}
                    devices = sorted({(t.get("data") or {}).get("device") for t in report.get("tests", [])
                                      if t["name"].startswith("training")} - {None})
                    print(f"upload {round_ + 1}: {final['status']}, "
                          f"{report.get('score')}/{report.get('max_score')} "
                          f"in {time.perf_counter() - t0:.2f} s from upload to stored report "
                          f"(grading {report.get('execution_time')} s), training on {devices or 'not shown'}")
                    check(final["status"] == "graded" and report.get("score") == report.get("max_score"),
                          "the worker graded the reference with full marks")
                    check(devices in ([device], []), f"the report's training ran on {device}")
        except BaseException:
            for name, log in logs.items():
                tail = log.read_text(errors="replace").splitlines()[-30:]
                print(f"--- {name} log (last lines) ---\n" + "\n".join(tail))
            raise
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
            redis.stop()


def _wait_warm(base: str, redis_url: str, procs: list[subprocess.Popen[bytes]],
               timeout: float = 300) -> list[dict]:
    """The worker's announcements (it beats in Redis once warm), once the API answers too."""
    import httpx

    from service import heartbeats

    redis = heartbeats.client(redis_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit("the worker or the API exited before the worker was warm")
        try:
            workers = heartbeats.alive(redis)
            if workers and httpx.get(f"{base}/healthz", timeout=5).status_code in (200, 503):
                return workers
        except Exception:  # noqa: BLE001 - Redis or the API still starting: ask again
            pass
        time.sleep(0.5)
    raise SystemExit(f"no warm worker after {timeout:g} s")


def _wait_graded(client, sid: str, timeout: float = 300) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        final = client.get(f"/api/v1/submissions/{sid}").json()
        if final["status"] in ("graded", "failed"):
            return dict(final)
        time.sleep(0.1)
    raise SystemExit(f"submission {sid} not graded after {timeout:g} s")


if __name__ == "__main__":
    sys.exit(main())

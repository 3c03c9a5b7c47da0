"""Run a command under a Docker seccomp profile, as ``docker run --security-opt seccomp=PROFILE`` would.

``python tests/deploy/docker_seccomp.py deploy/seccomp.json -- CMD...`` turns
the profile (Docker's JSON format: ``defaultAction``, ``defaultErrnoRet``,
``syscalls`` with ``names``, ``action``, ``errnoRet`` and ``args``) into a
libseccomp filter, loads it into this process and execs CMD. There is no
Docker engine here; this is how the profile is exercised for real.
"""

from __future__ import annotations

import errno
import json
import os
import sys

import pyseccomp as sc

OPS = {"SCMP_CMP_EQ": sc.EQ, "SCMP_CMP_NE": sc.NE, "SCMP_CMP_LT": sc.LT, "SCMP_CMP_LE": sc.LE,
       "SCMP_CMP_GT": sc.GT, "SCMP_CMP_GE": sc.GE, "SCMP_CMP_MASKED_EQ": sc.MASKED_EQ}


def action(name: str, errno_ret: int | None) -> int:
    if name == "SCMP_ACT_ALLOW":
        return sc.ALLOW
    if name == "SCMP_ACT_ERRNO":
        return sc.ERRNO(errno.EPERM if errno_ret is None else errno_ret)
    raise ValueError(f"action {name} is not used by our profile")


def build(profile: dict) -> sc.SyscallFilter:
    f = sc.SyscallFilter(defaction=action(profile["defaultAction"], profile.get("defaultErrnoRet")))
    for rule in profile["syscalls"]:
        act = action(rule["action"], rule.get("errnoRet"))
        args = [sc.Arg(a["index"], OPS[a["op"]], a["value"], a.get("valueTwo", 0))
                for a in rule.get("args", [])]
        for name in rule["names"]:
            f.add_rule(act, name, *args)
    return f


def main(argv: list[str]) -> None:
    split = argv.index("--")
    with open(argv[0]) as src:
        build(json.load(src)).load()
    os.execvp(argv[split + 1], argv[split + 1:])


if __name__ == "__main__":
    main(sys.argv[1:])

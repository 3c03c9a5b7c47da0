"""Run a command with namespaces or Landlock taken away, as a container's seccomp profile would.

``python tests/sandbox/deny.py [--namespaces] [--landlock] -- CMD...`` loads a
seccomp filter into this process (inherited by everything it starts) and execs
CMD. ``--namespaces`` denies ``unshare``, ``setns`` and ``clone`` with any
namespace flag (``clone3`` answers ENOSYS), as Docker's default profile does
without CAP_SYS_ADMIN; ``--landlock`` makes ``landlock_*`` answer ENOSYS, as a
kernel without Landlock does. ``make test-installed`` uses it to run the sandbox
tests in the modes this machine would otherwise never choose.
"""

from __future__ import annotations

import errno
import os
import sys

import pyseccomp as sc

CLONE_NAMESPACES = (0x80, 0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)


def main(argv: list[str]) -> None:
    split = argv.index("--")
    flags, command = set(argv[:split]), argv[split + 1:]
    f = sc.SyscallFilter(defaction=sc.ALLOW)
    if "--namespaces" in flags:
        for name in ("unshare", "setns"):
            f.add_rule(sc.ERRNO(errno.EPERM), name)
        for flag in CLONE_NAMESPACES:
            f.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
        f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    if "--landlock" in flags:
        for name in ("landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"):
            f.add_rule(sc.ERRNO(errno.ENOSYS), name)
    f.load()
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])

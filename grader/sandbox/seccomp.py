"""The child's seccomp denylist, built with libseccomp (``pyseccomp``).

A denylist, not an allowlist: the interpreter and numpy use a wide and
version-dependent set of syscalls, and what matters here is the short list of
ways out of the box. Denied calls fail with EPERM (ENOSYS for ``clone3``, so
that glibc falls back to ``clone``, whose flags we can inspect).
"""

from __future__ import annotations

import errno
import os

import pyseccomp as sc

CLONE_THREAD = 0x00010000
# Every namespace flag clone(2) takes: a thread (CLONE_THREAD set) must not carry one either.
CLONE_NAMESPACES = {"CLONE_NEWTIME": 0x80, "CLONE_NEWNS": 0x20000, "CLONE_NEWCGROUP": 0x02000000,
                    "CLONE_NEWUTS": 0x04000000, "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000,
                    "CLONE_NEWPID": 0x20000000, "CLONE_NEWNET": 0x40000000}

DENIED = (
    # new sockets or connections (the channel already exists and stays usable)
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    # new programs and processes
    "execve", "execveat", "fork", "vfork",
    # other processes' memory
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_open", "pidfd_getfd",
    "pidfd_send_signal", "tkill",
    # file systems, namespaces, kernel objects
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "name_to_handle_at", "open_by_handle_at",
    "bpf", "perf_event_open", "userfaultfd", "fanotify_init", "keyctl", "add_key", "request_key",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "init_module", "finit_module",
    "delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "syslog",
    "acct", "quotactl", "personality", "landlock_create_ruleset", "landlock_add_rule",
    "landlock_restrict_self",
    # SysV IPC: shared memory outlives its mapping (outside RLIMIT_AS) and, without an IPC
    # namespace, the child itself; message queues and semaphores likewise live in the kernel
    "shmget", "shmat", "shmctl", "shmdt", "msgget", "msgsnd", "msgrcv", "msgctl",
    "semget", "semop", "semtimedop", "semctl",
    # kernel memory outside RLIMIT_AS that a path-based rule (Landlock) does not see: anonymous shared
    # memory files and POSIX message queues (the latter also shared host-wide without an IPC namespace)
    "memfd_create", "memfd_secret", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
    "mq_getsetattr",
)
# Signals: only to ourselves (arg 0 is the target pid / tgid).
SELF_ONLY = ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")
# Calls that act on (or reveal) another process's limits, scheduling or session, gated by the kernel
# only on uid equality: denied unless the pid argument is 0, "the caller". (syscall, index of the pid
# argument). glibc's setrlimit/getrlimit call prlimit64(0, ...); sched_getaffinity stays allowed (glibc's
# pthread_getattr_np and OpenBLAS ask it for their own threads by tid).
OWN_ONLY = (
    ("prlimit64", 0), ("sched_setaffinity", 0), ("sched_setscheduler", 0), ("sched_setparam", 0),
    ("sched_setattr", 0), ("sched_getscheduler", 0), ("sched_getparam", 0), ("sched_getattr", 0),
    ("sched_rr_get_interval", 0), ("setpriority", 1), ("getpriority", 1), ("ioprio_set", 1),
    ("ioprio_get", 1), ("getpgid", 0), ("getsid", 0), ("setpgid", 0), ("get_robust_list", 0),
    ("migrate_pages", 0), ("move_pages", 0),
)
# ... and never "every process of my uid" (PRIO_USER = 2, IOPRIO_WHO_USER = 3 as the first argument, even
# with who = 0): without a per-job uid that is the worker's uid, judge and zygote included.
WHOLE_UID = (("setpriority", 2), ("ioprio_set", 3))


def install(keep_fds: tuple[int, ...] = ()) -> None:
    """Load the denylist into the calling process (needs ``no_new_privs`` or CAP_SYS_ADMIN)."""
    f = sc.SyscallFilter(defaction=sc.ALLOW)
    deny = sc.ERRNO(errno.EPERM)
    for name in DENIED:
        try:
            f.add_rule(deny, name)
        except Exception:  # a syscall this kernel/architecture lacks
            continue
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    f.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
    for flag in CLONE_NAMESPACES.values():  # one rule per bit: the arguments of one rule are ANDed
        f.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    me = os.getpid()
    for name in SELF_ONLY:
        f.add_rule(deny, name, sc.Arg(0, sc.NE, me))
    for name, index in OWN_ONLY:
        try:
            f.add_rule(deny, name, sc.Arg(index, sc.NE, 0))
        except Exception:  # a syscall this kernel/architecture lacks
            continue
    for name, which in WHOLE_UID:
        f.add_rule(deny, name, sc.Arg(0, sc.EQ, which))
    f.load()

#!/usr/bin/env bash
# Runs a command (a Python interpreter and its arguments) as the judge of one sandbox mode would run.
# Needs root. Used by tests/sandbox/installed.sh (make test-installed) and tests/sandbox/test_unprivileged.py.
#   root                as is: root, namespaces and Landlock allowed                         -> mode (a)
#   userns              as the unprivileged user $AUTOGRADER_TEST_USER (created if missing),
#                       no capabilities: each child makes its own user namespace             -> mode (b)
#   userns-nolandlock   the same on a "kernel" without Landlock (deny.py --landlock)           -> mode (b)
#   landlock            as root, namespaces denied by seccomp (Docker's default profile)    -> mode (c)
# A non-root uid must reach the interpreter: one under /root (pyenv, 0700) is exposed in a private mount
# namespace, as the test_unprivileged test always did; nothing changes outside that namespace.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
user=${AUTOGRADER_TEST_USER:-autograder-sbx}
mode=$1; shift

if [ "$mode" = root ]; then exec "$@"; fi
if [ "${_AG_IN_MOUNT_NS:-}" != 1 ]; then
  _AG_IN_MOUNT_NS=1 exec unshare -m --propagation private "$0" "$mode" "$@"
fi

real=$(readlink -f "$1")
case "$real" in
  /root/*)
    top=$(echo "$real" | cut -d/ -f1-3)
    mkdir -p /tmp/.ag-mode-bind
    mount --bind "$top" /tmp/.ag-mode-bind
    mount -t tmpfs -o mode=755 tmpfs /root
    mkdir -p "$top"
    mount --move /tmp/.ag-mode-bind "$top"
    ;;
esac

as_user() {
  id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin "$user"
  exec setpriv --reuid "$user" --regid "$user" --clear-groups --inh-caps=-all --bounding-set=-all \
    env HOME=/tmp "$@"
}

case "$mode" in
  userns) as_user "$@" ;;
  userns-nolandlock) as_user "$1" "$here/deny.py" --landlock -- "$@" ;;
  landlock) exec "$1" "$here/deny.py" --namespaces -- "$@" ;;
  *) echo "unknown mode: $mode (root, userns, userns-nolandlock, landlock)" >&2; exit 2 ;;
esac

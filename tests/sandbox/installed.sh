#!/usr/bin/env bash
# make test-installed: the attack corpus against what ships, in every sandbox mode this machine provides.
#
# Builds the wheel, installs it non-editable (as the Dockerfile does) into a second venv that borrows the
# main venv's dependencies through a .pth file (no second torch), copies the sandbox tests out of the
# checkout (so `import grader` can only find site-packages), then runs them once per mode through
# tests/sandbox/in_mode.sh. Each test's outcome goes to results.jsonl; tests/sandbox/attack_table.py
# turns that into the mode x attack table of docs/sandbox.md. Modes this machine cannot provide (no root,
# no user namespaces) are reported as skipped, never as passed.
set -uo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
OUT=${OUT:-build/installed}
MODES=${MODES:-root userns userns-nolandlock landlock}
export OMP_NUM_THREADS=1 PYTHONDONTWRITEBYTECODE=1

set -e
rm -rf "$OUT" && mkdir -p "$OUT/dist" "$OUT/tree/tests"
# setuptools reuses build/lib without removing what was deleted since: start clean, ship only what exists
rm -rf build/lib build/bdist.* ./*.egg-info
"$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$OUT/dist" . >/dev/null
"$PY" - "$OUT"/dist/autograder-*.whl <<'CHECK'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
assert any(n.startswith("reference/") for n in names) and any(n.startswith("grader/sandbox/") for n in names), names
CHECK
"$PY" -m venv --without-pip "$OUT/venv"
"$PY" -m pip --python "$OUT/venv/bin/python" install -q --no-deps --no-index "$OUT"/dist/autograder-*.whl
site=$("$OUT/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
"$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' > "$site/_autograder_deps.pth"
cp -r tests/__init__.py tests/conftest.py tests/service_backends.py tests/service_fixtures.py tests/sandbox tests/attacks \
  "$OUT/tree/tests/"
cp pyproject.toml "$OUT/tree/"
touch "$OUT/results.jsonl"
chmod -R a+rX "$OUT" && chmod a+w "$OUT/results.jsonl"
set +e

here=$PWD
root=0
[ "$(id -u)" = 0 ] && root=1
failed=()
for mode in $MODES; do
  if [ $root = 0 ] && [ "$mode" != userns ]; then  # without root only the current user's mode can run
    echo "== $mode: skipped (needs root to set up)"
    echo "{\"mode\": \"$mode\", \"skipped\": true}" >> "$OUT/results.jsonl"
    continue
  fi
  runner=("$here/tests/sandbox/in_mode.sh" "$mode")
  [ $root = 0 ] && runner=()
  echo "== $mode"
  start=$(date +%s)
  (cd "$OUT/tree" && env AUTOGRADER_TEST_SANDBOX_MODE="${mode%-nolandlock}" AUTOGRADER_TEST_INSTALLED=1 \
      AUTOGRADER_TEST_RESULTS="$here/$OUT/results.jsonl" AUTOGRADER_TEST_VARIANT="$mode" \
      "${runner[@]}" "$here/$OUT/venv/bin/python" -m pytest -q -p no:cacheprovider \
      tests/sandbox/test_attacks.py tests/sandbox/test_isolation.py tests/sandbox/test_lockdown.py \
      tests/sandbox/test_modes.py) || failed+=("$mode")
  echo "== $mode: $(( $(date +%s) - start )) s"
done
"$PY" tests/sandbox/attack_table.py "$OUT/results.jsonl" --write docs/sandbox.md
if [ ${#failed[@]} -gt 0 ]; then echo "FAILED in mode(s): ${failed[*]}"; exit 1; fi
echo "test-installed: every mode held"

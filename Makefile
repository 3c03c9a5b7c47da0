# One command per gate. `make` (or any target) creates .venv on first use.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST := $(PY) -m pytest

.PHONY: all install run test test-slow test-all test-installed bench lint browsers clean \
	deploy-up deploy-down deploy-purge test-deploy

all: install

install: $(STAMP)

# torch/torchvision first and pinned: pip takes the CUDA build from this machine's disk.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Starts the whole service on a laptop: SQLite, a private Redis, one worker.
run: $(STAMP)
	$(VENV)/bin/autograder serve

# The default suite: unit tests plus the real-service tests (real Redis, real Celery worker).
test: $(STAMP) browsers
	$(PYTEST) -m "not slow" -q

# Long tests: the full corpora, fault injection, the browser.
test-slow: $(STAMP) browsers
	$(PYTEST) -m "slow" -q

test-all: $(STAMP) browsers
	$(PYTEST) -q

# What ships: the wheel installed non-editable in a second venv, the attack corpus run against it once per
# sandbox mode (root; a non-root user with user namespaces; namespaces denied: Landlock only). Needs root.
test-installed: $(STAMP)
	PY=$(PY) tests/sandbox/installed.sh

# The compose stack on this machine's Docker engine (docs/deploy.md): engine and Compose from Debian when
# missing (root), stand-ins for base images Docker Hub cannot give, .env with fresh secrets when there is
# none, build, up, healthy. deploy-down keeps the volumes (the course's data); deploy-purge removes them.
deploy-up:
	deploy/up.sh

deploy-down:
	@test -f .env || { echo "deploy: no .env here, so no stack was deployed from this checkout"; exit 0; }; \
	  docker compose down && echo "deploy: stack down; volumes kept (make deploy-purge removes them)"

deploy-purge:
	@test -f .env || { echo "deploy: no .env here, so no stack was deployed from this checkout"; exit 0; }; \
	  echo "deploy: removing the containers AND the volumes (every submission, grade and token)"; \
	  docker compose down -v

# The deployed stack, end to end (tests/deploy/test_stack.py); brings it up first, leaves it up.
test-deploy: $(STAMP) deploy-up
	AUTOGRADER_TEST_DEPLOY=1 $(PYTEST) tests/deploy/test_stack.py -v -p no:cacheprovider

# Debian's Chromium for the Playwright tests (Playwright's own download is unreachable here).
# Without root (a laptop), a missing Chromium only skips the browser tests; in CI they install it or fail.
browsers:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
	  || echo "warning: no /usr/bin/chromium (install it as root: make browsers); browser tests will be skipped"

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check grader service api workers autograder reference tests bench scripts
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) var .pytest_cache

# One image for the API and the workers (the command picks the role). Everything runs as the unprivileged
# user `autograder`: the sandbox gives each child a user namespace of its own (mode (b), docs/sandbox.md),
# so the worker needs no root and no capability. What the container must be allowed: docker-compose.yml.
#
# Build arguments:
#   TORCH  empty (default): torch and torchvision as pyproject.toml pins them (the CUDA build, for the GPU
#          worker); otherwise the torch requirement to install instead, without torchvision, e.g.
#          torch==2.13.0+cpu for the CPU image (docker-compose.cpu.yml).
# deploy/wheels/ is searched before the package index (a CPU wheel with no index to come from).
# Layers change least first: the dependencies (from pyproject.toml alone), then the wheel of the source.

# The runtime requirements alone (a change to pyproject.toml's dev extras or version reinstalls nothing).
FROM python:3.11-slim-bookworm AS requirements
ARG TORCH=""
COPY pyproject.toml deploy/requirements.py /tmp/
RUN python /tmp/requirements.py /tmp/pyproject.toml --torch "$TORCH" > /requirements.txt

# The dependencies, in a venv of their own: only the venv reaches the image, not the wheels it came from.
FROM python:3.11-slim-bookworm AS deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY deploy/wheels/ /wheels/
COPY --from=requirements /requirements.txt /tmp/
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --find-links /wheels -r /tmp/requirements.txt

# What ships is the wheel (make test-installed runs the attack corpus against the same wheel, non-editable).
FROM python:3.11-slim-bookworm AS wheel
WORKDIR /src
# Only what the wheel is built from (pyproject.toml's packages; tests/deploy checks the list matches).
COPY pyproject.toml README.md ./
COPY grader grader
COPY reference reference
COPY service service
COPY workers workers
COPY api api
COPY autograder autograder
RUN pip wheel --no-cache-dir --no-deps -w /dist .

FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PATH=/opt/venv/bin:$PATH \
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
RUN apt-get update && apt-get install -y --no-install-recommends libseccomp2 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=deps /opt/venv /opt/venv
COPY --from=wheel /dist/ /tmp/dist/
RUN pip install --no-deps /tmp/dist/autograder-*.whl && rm -rf /tmp/dist

RUN useradd --create-home --uid 1000 autograder && mkdir -p /data && chown autograder /data
USER autograder
WORKDIR /home/autograder
VOLUME /data
EXPOSE 8000
CMD ["autograder", "api"]

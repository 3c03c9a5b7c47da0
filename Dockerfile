# One image for the API and the workers (the command picks the role). Everything runs as the unprivileged
# user `autograder`: the sandbox gives each child a user namespace of its own (mode (b), docs/sandbox.md),
# so the worker needs no root and no capability. What the container must be allowed: docker-compose.yml.

# What ships is the wheel (make test-installed runs the attack corpus against the same wheel, non-editable).
FROM python:3.11-slim-bookworm AS wheel
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps -w /dist .

FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
RUN apt-get update && apt-get install -y --no-install-recommends libseccomp2 \
    && rm -rf /var/lib/apt/lists/*
# torch first and pinned, as the Makefile does: the biggest layer changes least.
RUN pip install torch==2.14.1 torchvision==0.29.1
COPY --from=wheel /dist/ /tmp/dist/
RUN pip install /tmp/dist/autograder-*.whl && rm -rf /tmp/dist

RUN useradd --create-home --uid 1000 autograder && mkdir -p /data && chown autograder /data
USER autograder
WORKDIR /home/autograder
VOLUME /data
EXPOSE 8000
CMD ["autograder", "api"]

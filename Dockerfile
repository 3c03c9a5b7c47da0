# One image for the API and the workers (the command picks the role).
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
RUN apt-get update && apt-get install -y --no-install-recommends libseccomp2 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# torch first and pinned, as the Makefile does: the biggest layer changes least.
RUN pip install torch==2.14.1 torchvision==0.29.1
COPY pyproject.toml README.md ./
COPY grader grader
COPY reference reference
COPY api api
COPY workers workers
RUN pip install .

RUN useradd --create-home --uid 1000 autograder && mkdir -p /data && chown autograder /data
VOLUME /data
EXPOSE 8000
# The sandbox runs submissions as per-job uids; the judge needs root to switch to them.
CMD ["autograder", "api"]

#!/usr/bin/env bash
# make deploy-up: the stack on this machine's Docker engine, from a fresh clone.
#   1. an engine and Compose (deploy/engine.sh), the base images or stand-ins for them (deploy/base-images/);
#   2. .env, when there is none: fresh secrets, the compose files for this host (GPU, or the CPU override
#      when the engine has no nvidia runtime), an instructor password made here and shown once;
#   3. build, up, wait until every container is healthy; print the URL and how to get a token.
# An existing .env is never rewritten: it is the course's (docs/deploy.md).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "deploy: $*"; }
WAIT=${DEPLOY_WAIT:-600}

deploy/engine.sh
deploy/base-images/build.sh

# the CPU image's torch: a CPU wheel from /opt/wheels when deploy/wheels/ has none (a hard link: no copy)
wheel=$(ls deploy/wheels/torch-*+cpu-*.whl 2>/dev/null | head -1 || true)
if [ -z "$wheel" ] && src=$(ls /opt/wheels/torch-*+cpu-*.whl 2>/dev/null | head -1) && [ -n "$src" ]; then
  ln -f "$src" deploy/wheels/ 2>/dev/null || cp "$src" deploy/wheels/
  wheel=deploy/wheels/$(basename "$src")
fi

# The project names the containers and volumes; CI sets its own so that it never meets a real deployment's.
project=${COMPOSE_PROJECT_NAME:-autograder}
if [ ! -f .env ]; then
  # Postgres takes its password once, when its volume is made: fresh secrets over an old volume lock the API out
  if docker volume inspect "${project}_postgres" >/dev/null 2>&1; then
    echo "deploy: no .env here, but the volume ${project}_postgres of an earlier deployment exists: put that" \
         "deployment's .env back (its POSTGRES_PASSWORD opens the volume), or remove its data: docker volume rm" \
         "${project}_postgres ${project}_redis ${project}_data" >&2
    exit 1
  fi
  secret() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
  if docker info -f '{{json .Runtimes}}' | grep -q nvidia; then files=docker-compose.yml
  else files=docker-compose.yml:docker-compose.cpu.yml; log "no nvidia runtime in this engine: the CPU image and worker"
  fi
  torch=""
  [ -n "$wheel" ] && torch="torch==$(basename "$wheel" | cut -d- -f2)"
  umask 077
  cat > .env <<ENV
# Written by make deploy-up on $(date -u +%F); the course's secrets: keep this file private and backed up.
COMPOSE_PROJECT_NAME=$project
COMPOSE_FILE=$files
POSTGRES_PASSWORD=$(secret)
AUTOGRADER_SECRET_KEY=$(secret)
AUTOGRADER_SESSION_SECRET=$(secret)
AUTOGRADER_LMS_SHARED_SECRET=$(secret)
AUTOGRADER_INSTRUCTOR_PASSWORD='pending: replaced below once the image can hash it'
AUTOGRADER_PUBLIC_BASE_URL=http://127.0.0.1:8000
${torch:+AUTOGRADER_TORCH=$torch}
ENV
  log "wrote .env (secrets made here; COMPOSE_FILE=$files)"
fi

if grep -q '^COMPOSE_FILE=.*cpu' .env && [ -z "$wheel" ] && ! grep -q '^AUTOGRADER_TORCH=' .env; then
  log "warning: the CPU image wants torch==2.13.0+cpu and deploy/wheels/ holds no CPU torch wheel; put one" \
      "there or set AUTOGRADER_TORCH in .env (docs/deploy.md, \"By hand\")"
fi
log "building the images (nice; the first build downloads the Python dependencies)"
start=$(date +%s)
nice docker compose build -q
log "images built in $(( $(date +%s) - start )) s"

password=""
if grep -q "^AUTOGRADER_INSTRUCTOR_PASSWORD='pending" .env; then  # a .env this script began
  password=$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
  hash=$(echo "$password" | docker compose run --rm -T --no-deps api autograder hash-password 2>/dev/null | tail -1)
  case "$hash" in '$argon2'*) ;; *) echo "deploy: could not hash the instructor password" >&2; exit 1 ;; esac
  sed -i "s|^AUTOGRADER_INSTRUCTOR_PASSWORD=.*|AUTOGRADER_INSTRUCTOR_PASSWORD='$hash'|" .env
fi

# The worker's AppArmor profile, where the kernel has AppArmor (docker-default would deny the sandbox's mounts)
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
  command -v apparmor_parser >/dev/null || { echo "deploy: AppArmor is on: apt-get install apparmor" >&2; exit 1; }
  apparmor_parser -r -W deploy/apparmor-autograder-worker && log "AppArmor profile autograder-worker loaded"
else
  log "this kernel has no AppArmor: the worker runs without its profile (seccomp, no capabilities and uid 1000 still hold)"
fi

start=$(date +%s)
docker compose up -d
log "waiting until every container is healthy (at most $WAIT s)"
deadline=$(( $(date +%s) + WAIT ))
while :; do
  states=$(docker compose ps -q | xargs -r docker inspect -f '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}')
  echo "$states" | grep -qvE ' (healthy|running)$' || break
  if [ "$(date +%s)" -ge $deadline ]; then
    echo "$states" >&2; docker compose logs --tail 30 >&2; echo "deploy: not healthy after $WAIT s" >&2; exit 1
  fi
  sleep 3
done
log "healthy $(( $(date +%s) - start )) s after up:"
echo "$states" | sed 's/^/  /'
url=$(grep -E '^AUTOGRADER_PUBLIC_BASE_URL=' .env | cut -d= -f2- || true)
cat <<MSG

The autograder is up: ${url:-http://127.0.0.1:8000}  (dashboard: ${url:-http://127.0.0.1:8000}/dashboard)
A student's token:     docker compose exec api autograder token create STUDENT
An instructor's token: docker compose exec api autograder token create NAME --instructor
Stop (data kept):      make deploy-down      Guide: docs/deploy.md
MSG
[ -n "$password" ] && echo "The instructor password (shown only now; .env holds its hash): $password"
exit 0

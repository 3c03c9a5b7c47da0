#!/usr/bin/env bash
# A Docker engine and Compose, for make deploy-up: what is missing is installed from Debian's packages
# (docker.io: engine 20.10; docker-compose: Compose 1.29) when we are root, and dockerd is started when
# none answers. Where `docker compose` (the Compose v2 plugin) is missing but `docker-compose` is there,
# a two-line CLI plugin hands `docker compose ...` to it, so every command in docs/deploy.md works as written.
set -euo pipefail
log() { echo "deploy: $*"; }

need=()
command -v docker >/dev/null || need+=(docker.io)
command -v dockerd >/dev/null || need+=(docker.io)
docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || need+=(docker-compose)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "deploy: missing ${need[*]}; install them (as root: apt-get install ${need[*]})" >&2; exit 1; }
  log "installing ${need[*]} from Debian's packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! docker compose version >/dev/null 2>&1; then
  plugin=/usr/local/lib/docker/cli-plugins/docker-compose
  [ "$(id -u)" = 0 ] || { echo "deploy: \`docker compose\` is missing (as root: make deploy-up adds it)" >&2; exit 1; }
  log "\`docker compose\` runs Debian's docker-compose $(docker-compose version --short) ($plugin)"
  mkdir -p "$(dirname "$plugin")"
  install -m 0755 "$(dirname "$0")/compose-plugin.sh" "$plugin"
fi

if ! docker info >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "deploy: no Docker engine answers and we are not root to start one" >&2; exit 1; }
  mkdir -p /var/log
  log "starting dockerd (log: /var/log/dockerd.log)"
  # its own session: neither a Ctrl-C of make deploy-up nor a job control that ends its process group stops it
  setsid nohup dockerd >/var/log/dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 /var/log/dockerd.log >&2; echo "deploy: dockerd did not start" >&2; exit 1; }
fi
log "engine $(docker version -f '{{.Server.Version}}'), $(docker compose version --short 2>/dev/null | head -1 | sed 's/^/compose /')"

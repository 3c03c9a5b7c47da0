#!/usr/bin/env bash
# The base images docker-compose.yml and the Dockerfile name: python:3.11-slim-bookworm, postgres:16, redis:7.
# Each is used as it is when present, pulled when it can be; only when it cannot (no Docker Hub, as on this
# machine kind and many university clusters) a stand-in is built under the same name from Debian bookworm's
# packages (a debootstrap'd rootfs, imported once) and labelled org.autograder.stand-in, and we say so.
# The stand-ins behave like the official images where the stack relies on them (paths, entrypoints, env):
#   python:3.11-slim-bookworm  Debian's Python 3.11 as a venv at /usr/local (python, pip on the PATH), with
#                              this host's CA bundle so pip reaches the package index through its proxy
#   postgres:16                Debian bookworm's PostgreSQL **15** (bookworm has no 16): POSTGRES_USER/_PASSWORD/_DB,
#                              data in /var/lib/postgresql/data, pg_isready; a volume it made is not for a real 16
#   redis:7                    Debian bookworm's Redis 7.0, /data, protected mode off as the official image
set -euo pipefail
cd "$(dirname "$0")"
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOTFS_IMAGE=autograder-stand-in/debian:bookworm
log() { echo "deploy: $*"; }

have() { docker image inspect "$1" >/dev/null 2>&1; }
stand_in() { [ "$(docker image inspect -f '{{index .Config.Labels "org.autograder.stand-in"}}' "$1" 2>/dev/null)" = true ]; }

rootfs() {
  have "$ROOTFS_IMAGE" && return
  command -v debootstrap >/dev/null || {
    [ "$(id -u)" = 0 ] || { echo "deploy: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  local dir; dir=$(mktemp -d /var/tmp/autograder-rootfs.XXXXXX)
  log "building a Debian bookworm rootfs (debootstrap --variant=minbase, $MIRROR)"
  nice debootstrap --variant=minbase bookworm "$dir" "$MIRROR" >"$dir.log" 2>&1 \
    || { tail -20 "$dir.log" >&2; exit 1; }
  # slim, as Debian's -slim images: no package cache or lists, no docs, man pages or translations, now or later
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
    "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/locale/*
  printf 'path-exclude /usr/share/%s/*\n' doc man locale info > "$dir/etc/dpkg/dpkg.cfg.d/slim"
  # as Debian's official images: apt keeps no downloaded package once installed
  cat > "$dir/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  tar -C "$dir" -c . | docker import -c 'CMD ["bash"]' - "$ROOTFS_IMAGE" >/dev/null
  rm -rf "$dir" "$dir.log"
}

build() {  # build NAME DOCKERFILE [extra context files...]
  local name=$1 file=$2
  rootfs
  log "$name cannot be pulled here: building a stand-in from Debian bookworm packages ($file)"
  cp /etc/ssl/certs/ca-certificates.crt host-ca-certificates.crt
  local out; out=$(mktemp)
  nice docker build --label org.autograder.stand-in=true --build-arg "MIRROR=$MIRROR" -f "$file" -t "$name" . \
    >"$out" 2>&1 || { tail -30 "$out" >&2; rm -f "$out" host-ca-certificates.crt; exit 1; }
  rm -f "$out" host-ca-certificates.crt
}

for pair in python:3.11-slim-bookworm=python.Dockerfile postgres:16=postgres.Dockerfile redis:7=redis.Dockerfile; do
  name=${pair%%=*} file=${pair#*=}
  if have "$name"; then
    stand_in "$name" && log "$name: the stand-in built earlier (docker rmi $name to rebuild it)"
    continue
  fi
  if timeout 120 docker pull -q "$name" >/dev/null 2>&1; then log "$name: pulled"; continue; fi
  build "$name" "$file"
done

#!/bin/sh
# `docker compose` as a CLI plugin that runs Debian's docker-compose (Compose 1.29), installed by
# deploy/engine.sh only where the Compose v2 plugin is missing. The CLI calls a plugin with its own name first.
if [ "$1" = docker-cli-plugin-metadata ]; then
  echo '{"SchemaVersion":"0.1.0","Vendor":"autograder deploy/","Version":"1.29","ShortDescription":"docker-compose (Debian)"}'
  exit 0
fi
[ "$1" = compose ] && shift
exec docker-compose "$@"

#!/usr/bin/env bash
# Make sure a Docker engine answers `docker info`.
#
#   deploy/engine.sh            (make docker-engine; test-compose runs it first)
#
# On a machine with Docker already running this does nothing. On one without (a fresh CI
# machine of this project's kind: the docker CLI may be there, the engine is not, and there
# is no systemd), it installs Debian's docker.io and starts dockerd in the background,
# detached from this shell, logging to $DOCKERD_LOG. It exits non-zero, with the end of the
# daemon's log, when no engine can be had: the container tests fail, they never skip.
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
DOCKERD_TIMEOUT=${DOCKERD_TIMEOUT:-90}

engine_up() { docker info >/dev/null 2>&1; }

if command -v docker >/dev/null && engine_up; then
  exit 0
fi

if ! command -v dockerd >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "engine.sh: no Docker engine here and not root to install one (apt-get install docker.io)" >&2
    exit 1
  fi
  echo "engine.sh: installing Debian's docker.io" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt_log=$(mktemp)
  if ! { apt-get update -q && apt-get install -y -q --no-install-recommends docker.io; } \
       >"$apt_log" 2>&1; then
    echo "engine.sh: installing docker.io failed:" >&2
    tail -n 20 "$apt_log" >&2
    exit 1
  fi
  rm -f "$apt_log"
fi

if ! pgrep -x dockerd >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "engine.sh: dockerd is not running and only root can start it" >&2
    exit 1
  fi
  echo "engine.sh: starting dockerd (log: $DOCKERD_LOG)" >&2
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  # setsid + no inherited descriptors: the daemon outlives this shell and never holds the
  # caller's stdout open (CI waits for EOF on it).
  setsid dockerd </dev/null >>"$DOCKERD_LOG" 2>&1 &
fi

for _ in $(seq "$DOCKERD_TIMEOUT"); do
  if engine_up; then
    echo "engine.sh: Docker engine $(docker version --format '{{.Server.Version}}') is up" >&2
    exit 0
  fi
  sleep 1
done

echo "engine.sh: the Docker engine did not answer within ${DOCKERD_TIMEOUT}s; end of $DOCKERD_LOG:" >&2
tail -n 30 "$DOCKERD_LOG" >&2 || true
exit 1

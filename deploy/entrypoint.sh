#!/bin/sh
# Entry point of the Zhicheng image (deploy/Dockerfile): one image, every service.
#
#   serve [ARGS]        (the default) run the service named by ZC_SERVICE
#   <service> [ARGS]    the same, naming the service here: intake, review, experts, committees,
#                       integrity, certificates or gateway (ARGS go to uvicorn)
#   migrate [ARGS]      run every service's Alembic history against ZC_DATABASE_URL
#                       (`zhicheng migrate`): the prestart step, never part of app start-up
#   probe [PATH]        GET http://127.0.0.1:$PORT$PATH (default /readyz); exit 0 on 2xx.
#                       For container healthchecks: the slim image has no curl.
#   anything else       run as given, e.g. `zhicheng deadletters list`, `zhicheng journal export intake`
#
# The port is $PORT when set, otherwise the service's port in zhicheng_common.topology, so the
# image and the code cannot disagree about it.
set -eu

PYTHON=/app/.venv/bin/python

# Keep in step with zhicheng_common.topology.ALL_SERVICES (tests/deploy checks it).
SERVICES="intake review experts committees integrity certificates gateway"

require_service() {
  if [ -z "${ZC_SERVICE:-}" ]; then
    echo "zhicheng-entrypoint: set ZC_SERVICE or name the service: ${SERVICES}" >&2
    exit 64
  fi
}

service_port() {
  "$PYTHON" -c 'import sys; from zhicheng_common.topology import service; print(service(sys.argv[1]).port)' "$1"
}

serve() {
  require_service
  port="${PORT:-$(service_port "$ZC_SERVICE")}"
  # One uvicorn process per container: scale with replicas, not workers. uvloop as in
  # `zhicheng up`; access lines are left to the app's structured logs.
  exec "$PYTHON" -m uvicorn "zhicheng_${ZC_SERVICE}.app:create_app" --factory \
    --host 0.0.0.0 --port "$port" --loop uvloop --no-access-log \
    --timeout-graceful-shutdown 25 "$@"
}

command="${1:-serve}"
if [ "$#" -gt 0 ]; then shift; fi

case "$command" in
  serve)
    serve "$@"
    ;;
  intake | review | experts | committees | integrity | certificates | gateway)
    ZC_SERVICE="$command"
    export ZC_SERVICE
    serve "$@"
    ;;
  migrate)
    exec /app/.venv/bin/zhicheng migrate "$@"
    ;;
  probe)
    require_service
    exec "$PYTHON" - "$ZC_SERVICE" "${1:-/readyz}" <<'EOF'
import os
import sys
import urllib.request

from zhicheng_common.topology import service

port = os.environ.get("PORT") or service(sys.argv[1]).port
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{sys.argv[2]}", timeout=5) as response:
        sys.exit(0 if response.status < 300 else 1)
except Exception as exc:  # HTTPError (e.g. 503 not ready), connection refused, timeout
    print(f"probe {sys.argv[2]}: {exc}", file=sys.stderr)
    sys.exit(1)
EOF
    ;;
  *)
    exec "$command" "$@"
    ;;
esac

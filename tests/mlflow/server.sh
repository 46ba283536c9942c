#!/usr/bin/env bash
# Start a throwaway MLflow tracking server (REST API + model registry + artifact proxy)
# on 127.0.0.1, on a free port, with all its state under WORKDIR:
#   WORKDIR/mlflow.db        sqlite backend store (runs, registered models, aliases)
#   WORKDIR/mlartifacts/     artifact store behind the proxy (mlflow-artifacts:/ URIs)
#   WORKDIR/server.log       the server's stdout and stderr
#   WORKDIR/server.pid       pid of the server, also its process group id
#   WORKDIR/server.uri       the tracking URI (also printed on stdout)
#   WORKDIR/basic_auth.ini, basic_auth.db   with MLFLOW_SERVER_AUTH=basic only
#
# usage: tests/mlflow/server.sh WORKDIR          start; prints http://127.0.0.1:PORT on stdout
#        tests/mlflow/server.sh --stop WORKDIR   stop the server started for WORKDIR
#
# The server runs in its own process group (setsid), so one
#     kill -- -"$(cat WORKDIR/server.pid)"
# ends it and its uvicorn worker; --stop does that and waits for them to exit.
# Start fails (exit 1, the server log on stderr) if the server does not answer
# GET /health within MLFLOW_SERVER_TIMEOUT seconds (default 90) or exits first.
#
# Environment:
#   MLFLOW_VENV             venv with mlflow (default <repo>/.venv-mlflow, made by tests/venv.sh
#                           when missing)
#   MLFLOW_SERVER_TIMEOUT   seconds to wait for the server to answer (default 90)
#   MLFLOW_SERVER_AUTH      "basic": run MLflow's basic-auth app (`--app-name basic-auth`):
#                           every API call then needs HTTP basic auth (GET /health does not).
#                           The admin user is MLFLOW_SERVER_ADMIN_USER (default admin) with
#                           password MLFLOW_SERVER_ADMIN_PASSWORD (default modelgate-admin-pw);
#                           other users get default_permission READ.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# --help, --stop WORKDIR, and `work`, `log`, `pidfile`, `die`, `stop_group` for the start.
source "$root/tests/server-common.sh" "$@"

venv="${MLFLOW_VENV:-$root/.venv-mlflow}"
if [[ -z "${MLFLOW_VENV:-}" ]]; then
    # --no-deps: requirements.txt is the whole lock, minus the ML libraries mlflow declares but the
    # server and the client calls never import (see its header).
    PIP_NO_DEPS=1 "$root/tests/venv.sh" .venv-mlflow tests/mlflow/requirements.txt
fi
mlflow="$venv/bin/mlflow"
py="$venv/bin/python"
[[ -x "$mlflow" ]] || die "$mlflow not found (run tests/run.sh setup, or set MLFLOW_VENV)"
command -v setsid > /dev/null 2>&1 || die "setsid not found (Debian: apt-get install util-linux)"

# A server still running for this WORKDIR is stopped first: one server per WORKDIR.
stop_group "$pidfile"
rm -f "$work/server.uri"

timeout="${MLFLOW_SERVER_TIMEOUT:-90}"
[[ "$timeout" =~ ^[0-9]+$ ]] || die "MLFLOW_SERVER_TIMEOUT must be whole seconds, not '$timeout'"

app_args=()
auth_env=()
case "${MLFLOW_SERVER_AUTH:-}" in
    "") ;;
    basic)
        # The auth app's own user store lives in WORKDIR too; the admin user is created with
        # this password on first start against an empty store.
        cat > "$work/basic_auth.ini" <<EOF
[mlflow]
default_permission = READ
database_uri = sqlite:///$work/basic_auth.db
admin_username = ${MLFLOW_SERVER_ADMIN_USER:-admin}
admin_password = ${MLFLOW_SERVER_ADMIN_PASSWORD:-modelgate-admin-pw}
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
EOF
        app_args=(--app-name basic-auth)
        auth_env=(
            MLFLOW_AUTH_CONFIG_PATH="$work/basic_auth.ini"
            MLFLOW_FLASK_SERVER_SECRET_KEY="$("$py" -c 'import secrets; print(secrets.token_hex(16))')"
        )
        ;;
    *) die "MLFLOW_SERVER_AUTH must be empty or 'basic', not '$MLFLOW_SERVER_AUTH'" ;;
esac

# Answers 0 when GET $1/health says 200.
healthy() {
    if command -v curl > /dev/null 2>&1; then
        curl -fsS -o /dev/null --max-time 2 "$1/health" 2> /dev/null
    else
        "$py" - "$1/health" <<'EOF' 2> /dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
    fi
}

# The port is picked by binding port 0 and closing it; another process may take it
# before mlflow binds it, so a start that fails on a taken port is tried again.
for attempt in 1 2 3; do
    port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    uri="http://127.0.0.1:$port"
    # MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false: no job runner and no 7 huey consumer
    # processes (~300 MB RSS), which the registry and artifact APIs do not use.
    # Telemetry off: the machine has no network, and tests must not phone home anyway.
    # --workers 1: one uvicorn worker (the default is 4).
    (
        cd "$work"
        exec env \
            MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false \
            MLFLOW_DISABLE_TELEMETRY=true \
            DO_NOT_TRACK=true \
            PYTHONUNBUFFERED=1 \
            ${auth_env[@]+"${auth_env[@]}"} \
            setsid "$mlflow" server \
                --host 127.0.0.1 \
                --port "$port" \
                --workers 1 \
                --backend-store-uri "sqlite:///$work/mlflow.db" \
                --serve-artifacts \
                --artifacts-destination "$work/mlartifacts" \
                --default-artifact-root mlflow-artifacts:/ \
                ${app_args[@]+"${app_args[@]}"} \
            < /dev/null > "$log" 2>&1
    ) &
    pid=$!
    echo "$pid" > "$pidfile"

    start=$SECONDS
    if wait_ready "$pid" healthy "$uri"; then
        echo "$uri" > "$work/server.uri"
        echo "$uri"
        exit 0
    fi
    if ! kill -0 "$pid" 2> /dev/null && grep -qi 'address already in use' "$log" && (( attempt < 3 )); then
        rm -f "$pidfile"
        continue
    fi
    stop_group "$pidfile"
    echo "---- $log ----" >&2
    cat "$log" >&2
    echo "----" >&2
    if kill -0 "$pid" 2> /dev/null || (( SECONDS - start >= timeout )); then
        die "mlflow server did not answer $uri/health within ${timeout}s (log above)"
    fi
    die "mlflow server exited before answering $uri/health (log above)"
done

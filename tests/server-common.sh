# The part every test server script shares (tests/mlflow/server.sh, tests/spark/server.sh):
# sourced with the script's arguments, it answers --help from the script's header, stops the
# server with --stop WORKDIR (and exits), or leaves `work` (WORKDIR, made absolute), `log` and
# `pidfile` set for the script to start its server; `die`, `stop_group` and `wait_ready` stay defined.
#
# A server runs in its own process group (setsid) whose leader's pid is WORKDIR/server.pid, so
# one `kill -- -PID` ends it and its children.

die() { echo "server.sh: $*" >&2; exit 1; }

# Ends the process group whose leader pid is in $1 (a pid file); waits up to 10 s, then KILLs.
stop_group() {
    local pidfile="$1" pid i
    [[ -f "$pidfile" ]] || return 0
    pid="$(< "$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] || { rm -f "$pidfile"; return 0; }
    kill -TERM -- "-$pid" 2> /dev/null || { rm -f "$pidfile"; return 0; }
    for (( i = 0; i < 100; i++ )); do
        kill -0 -- "-$pid" 2> /dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2> /dev/null || true
    rm -f "$pidfile"
}

# Answers 0 once the command "$2…" succeeds, polling every 0.2 s while process $1 lives, for at
# most $timeout seconds since $start; 1 when the process exits or the time is up first.
wait_ready() {
    local pid="$1"
    shift
    while (( SECONDS - start < timeout )); do
        kill -0 "$pid" 2> /dev/null || return 1
        "$@" && return 0
        sleep 0.2
    done
    return 1
}

stop=0
case "${1:-}" in
    -h|--help)
        awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"
        exit 0
        ;;
    --stop) stop=1; shift ;;
esac
[[ $# -eq 1 && -n "$1" ]] || { echo "usage: server.sh [--stop] WORKDIR" >&2; exit 2; }

if (( stop )); then
    work="$(cd "$1" 2> /dev/null && pwd)" || die "no such directory '$1'"
    stop_group "$work/server.pid"
    rm -f "$work/server.uri"
    exit 0
fi

mkdir -p "$1"
work="$(cd "$1" && pwd)"
log="$work/server.log"
pidfile="$work/server.pid"

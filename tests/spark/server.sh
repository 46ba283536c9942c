#!/usr/bin/env bash
# Start a throwaway Apache Spark Connect server (Spark 4.3.0, local[2], in-memory catalog) on
# 127.0.0.1, on a free port, with all its state under WORKDIR:
#   WORKDIR/server.log       the server's stdout and stderr (log4j at WARN, see SPARK_SERVER_LOG_LEVEL)
#   WORKDIR/server.pid       pid of the server JVM, also its process group id
#   WORKDIR/server.uri       the Spark Connect URL sc://127.0.0.1:PORT (also printed on stdout)
#   WORKDIR/conf/            SPARK_CONF_DIR: log4j2.properties written here on every start
#   WORKDIR/warehouse/       spark.sql.warehouse.dir (managed tables, if a test makes any)
#   WORKDIR/tmp/             java.io.tmpdir and Spark's local dir (SPARK_LOCAL_DIRS: shuffle, spill)
#   WORKDIR/derby/           derby.system.home (the catalog is in-memory, so normally empty)
# The JVM runs with WORKDIR as its working directory, so nothing lands in the repo.
#
# usage: tests/spark/server.sh WORKDIR          start; prints sc://127.0.0.1:PORT on stdout
#        tests/spark/server.sh --stop WORKDIR   stop the server started for WORKDIR
#
# The server runs in its own process group (setsid), so one
#     kill -- -"$(cat WORKDIR/server.pid)"
# ends it; --stop does that and waits for it to exit. Start fails (exit 1, the server log on
# stderr) if the server has not logged "Spark Connect server started at: 127.0.0.1:PORT" and
# accepted a TCP connection on PORT within SPARK_SERVER_TIMEOUT seconds (default 120), or it
# exits first. The port only opens once the SparkSession is up, so then the server is ready.
# No authentication: the server takes any client on 127.0.0.1.
#
# Needs java 17 or newer (JAVA_HOME/bin/java, else java on PATH). Works offline from PyPI alone:
# the Spark Connect server jar ships inside the pyspark package (no --packages, no Maven).
#
# Environment:
#   SPARK_VENV              venv with pyspark (default <repo>/.venv-spark, made by tests/venv.sh
#                           when missing); SPARK_HOME is its site-packages/pyspark directory
#   SPARK_SERVER_WATCH_PID  a process id: the server is stopped (--stop) when that process ends
#                           (a test binary that starts one server for all its tests)
#   SPARK_SERVER_TIMEOUT    seconds to wait for the server to start (default 120; it takes
#                           ~15 s on 2 cores)
#   SPARK_SERVER_MEMORY     driver heap, spark-submit --driver-memory (default 1g)
#   SPARK_SERVER_LOG_LEVEL  log4j root level in server.log (default warn; info shows all of
#                           Spark's start-up and job messages)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# --help, --stop WORKDIR, and `work`, `log`, `pidfile`, `die`, `stop_group` for the start.
source "$root/tests/server-common.sh" "$@"

venv="${SPARK_VENV:-$root/.venv-spark}"
if [[ -z "${SPARK_VENV:-}" ]]; then
    # --no-deps: requirements.txt is the whole lock (pyspark alone; see its header).
    PIP_NO_DEPS=1 "$root/tests/venv.sh" .venv-spark tests/spark/requirements.txt
fi
py="$venv/bin/python"
[[ -x "$py" ]] || die "$py not found (run tests/venv.sh .venv-spark tests/spark/requirements.txt, or set SPARK_VENV)"
spark_home="$(echo "$venv"/lib/python3*/site-packages/pyspark)"
[[ -x "$spark_home/bin/spark-submit" ]] || die "no pyspark in $venv ($spark_home/bin/spark-submit not found)"
connect_jar="$(echo "$spark_home"/jars/spark-connect_*.jar)"
[[ -f "$connect_jar" ]] || die "the Spark Connect server jar is not in $spark_home/jars"
if [[ -n "${JAVA_HOME:-}" ]]; then
    java="$JAVA_HOME/bin/java"
else
    java="$(command -v java || true)"
fi
[[ -n "$java" && -x "$java" ]] || die "java not found (Spark 4 needs Java 17+; Debian: apt-get install openjdk-17-jre-headless)"
command -v setsid > /dev/null 2>&1 || die "setsid not found (Debian: apt-get install util-linux)"

# A server still running for this WORKDIR is stopped first: one server per WORKDIR.
stop_group "$pidfile"
rm -f "$work/server.uri"

watch="${SPARK_SERVER_WATCH_PID:-}"
[[ -z "$watch" || "$watch" =~ ^[0-9]+$ ]] || die "SPARK_SERVER_WATCH_PID must be a process id, not '$watch'"
timeout="${SPARK_SERVER_TIMEOUT:-120}"
[[ "$timeout" =~ ^[0-9]+$ ]] || die "SPARK_SERVER_TIMEOUT must be whole seconds, not '$timeout'"
memory="${SPARK_SERVER_MEMORY:-1g}"
[[ "$memory" =~ ^[0-9]+[kmgKMG]?$ ]] || die "SPARK_SERVER_MEMORY must be like 512m or 1g, not '$memory'"
level="${SPARK_SERVER_LOG_LEVEL:-warn}"
[[ "$level" =~ ^(trace|debug|info|warn|error|fatal|off)$ ]] \
    || die "SPARK_SERVER_LOG_LEVEL must be a log4j level (e.g. warn, info), not '$level'"

mkdir -p "$work/conf" "$work/warehouse" "$work/tmp" "$work/derby"
# SPARK_CONF_DIR is on the JVM's class path, so this file replaces Spark's INFO-level default.
# The "Spark Connect server started at" line stays whatever the level: the readiness check
# below looks for it.
cat > "$work/conf/log4j2.properties" <<EOF
rootLogger.level = $level
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex
logger.connect.name = org.apache.spark.sql.connect.service.SparkConnectServer
logger.connect.level = info
logger.nativecode.name = org.apache.hadoop.util.NativeCodeLoader
logger.nativecode.level = error
EOF

# Answers 0 when the server for port $1 is up: the log has Spark's "started" line (written
# after the gRPC server is bound, so it is this JVM that listens, not some other process that
# took the port in between) and 127.0.0.1:$1 accepts a TCP connection (bash's /dev/tcp).
ready() {
    grep -q "Spark Connect server started at: 127.0.0.1:$1\b" "$log" 2> /dev/null \
        && (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null
}

# The port is picked by binding port 0 and closing it; another process may take it
# before the server binds it, so a start that fails on a taken port is tried again.
for attempt in 1 2 3; do
    port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    uri="sc://127.0.0.1:$port"
    # spark-submit execs spark-class, which execs java: the pid below is the JVM's. No
    # application jar: spark-submit knows the server class and takes it from jars/ (as Spark's
    # sbin/start-connect-server.sh does; SPARK_CONNECT_MODE=0 as there too, so the launcher
    # does not set up a Connect *client*).
    # SPARK_LOCAL_IP and the driver host/bind address keep Spark on the loopback (no host name
    # lookup, no "resolves to a loopback address" warning). The catalog is in-memory (no Hive
    # metastore_db); temporary views and parquet.`path` / csv reads need nothing more.
    # -XX:-UsePerfData: no /tmp/hsperfdata_$USER/PID file outside WORKDIR. SPARK_LOCAL_DIRS
    # rather than --conf spark.local.dir, which Spark always answers with a WARN.
    (
        cd "$work"
        exec env \
            SPARK_HOME="$spark_home" \
            SPARK_CONF_DIR="$work/conf" \
            SPARK_LOCAL_IP=127.0.0.1 \
            SPARK_CONNECT_MODE=0 \
            SPARK_LOCAL_DIRS="$work/tmp" \
            setsid "$spark_home/bin/spark-submit" \
                --class org.apache.spark.sql.connect.service.SparkConnectServer \
                --name modelgate-spark-connect-test \
                --master 'local[2]' \
                --driver-memory "$memory" \
                --driver-java-options "-Djava.io.tmpdir=$work/tmp -Dderby.system.home=$work/derby -XX:-UsePerfData" \
                --conf spark.connect.grpc.binding.address=127.0.0.1 \
                --conf spark.connect.grpc.binding.port="$port" \
                --conf spark.ui.enabled=false \
                --conf spark.driver.host=127.0.0.1 \
                --conf spark.driver.bindAddress=127.0.0.1 \
                --conf spark.sql.catalogImplementation=in-memory \
                --conf spark.sql.warehouse.dir="$work/warehouse" \
                --conf spark.sql.shuffle.partitions=2 \
            < /dev/null > "$log" 2>&1
    ) &
    pid=$!
    echo "$pid" > "$pidfile"

    start=$SECONDS
    if wait_ready "$pid" ready "$port"; then
        echo "$uri" > "$work/server.uri"
        if [[ -n "$watch" ]]; then
            # Detached, with no descriptor of ours left open: a caller reading our output is
            # not kept waiting for it. It ends the process group it knows (WORKDIR may be gone).
            setsid bash -c 'while kill -0 "$1" 2> /dev/null; do sleep 1; done
                kill -TERM -- "-$2" 2> /dev/null || exit 0
                for (( i = 0; i < 100; i++ )); do kill -0 -- "-$2" 2> /dev/null || exit 0; sleep 0.1; done
                kill -KILL -- "-$2" 2> /dev/null' \
                watch "$watch" "$pid" < /dev/null > /dev/null 2>&1 &
        fi
        echo "$uri"
        exit 0
    fi
    # A taken port: Spark logs "java.net.BindException: Failed to bind to address ..." and exits.
    if ! kill -0 "$pid" 2> /dev/null && grep -qiE 'BindException|address already in use' "$log" \
        && (( attempt < 3 )); then
        rm -f "$pidfile"
        continue
    fi
    stop_group "$pidfile"
    echo "---- $log ----" >&2
    cat "$log" >&2
    echo "----" >&2
    if kill -0 "$pid" 2> /dev/null || (( SECONDS - start >= timeout )); then
        die "Spark Connect server did not start on 127.0.0.1:$port within ${timeout}s (log above)"
    fi
    die "Spark Connect server exited before it started on 127.0.0.1:$port (log above)"
done

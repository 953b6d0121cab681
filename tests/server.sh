# server.sh - starting and always stopping examples/server, for the request
# integration tests; a test sources it instead of lib.sh (it sources lib.sh).
#
#   start_server DIR [VAR=VALUE...]   the server under the library, its dump
#                                     in DIR, stdout in DIR/out, stderr in
#                                     DIR/err; sets pid and port
#   stop_server                       SIGTERM (SIGKILL after 5 s); the EXIT
#                                     trap calls it, also when a check fails
. "$(cd "$(dirname "$0")/../.." && pwd)/tests/lib.sh"
SERVER=$BUILD/examples/server
REPORT=$BUILD/paraprof-report

pid=""
stop_server() {
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	pid=""
}
trap 'stop_server; rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM HUP

if [ ! -x "$SERVER" ] || ! command -v curl >/dev/null; then
	not_ok "$SERVER and curl are needed (make $BUILD/examples/server installs them)"
	exit 1
fi

start_server() {
	dir=$1
	shift
	mkdir -p "$dir"
	env "$@" PARAPROF_OUTPUT="$dir" LD_PRELOAD="$LIB" "$SERVER" 0 >"$dir/out" 2>"$dir/err" &
	pid=$!
	port=""
	for _ in $(seq 100); do
		port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$dir/out")
		[ -n "$port" ] && [ "$port" -ne 0 ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	not_ok "the server did not start: $(cat "$dir/err")"
	exit 1
}

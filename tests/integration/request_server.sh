#!/bin/bash
# request_server.sh - examples/server (libmicrohttpd) under the library, on a
# free loopback port, driven by curl with a known set of 38 requests, one
# after the other.  Checks: X-Process-Time and X-Request-Count on every
# response, numeric and plausible (the count is exactly the request's
# number); per-endpoint counts and status classes exact, live
# (paraprof-report --pid) and in the dump written after SIGTERM; ids (numeric,
# UUID, long hex, a query string) merged into one route, named workflows into
# the registered template; the slow endpoint warned about in the documented
# format; --check fails because of it and passes with the targets raised
# above it; the in-process queries agree with the report.  The server is
# always stopped (trap on EXIT, also when a check or the script fails).
. "$(dirname "$0")/../server.sh"

start_server "$WORK"
ok "the server listens on 127.0.0.1:$port"

# The requests: METHOD PATH EXPECTED_STATUS
cat >requests.txt <<'EOF'
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/agents/1 200
GET /api/agents/42 200
GET /api/agents/43 200
GET /api/agents/123e4567-e89b-12d3-a456-426614174000 200
GET /api/agents/deadbeefcafef00d1234 200
GET /api/agents/5?verbose=1 200
GET /api/agents/0 200
GET /api/agents/99999999 200
GET /api/agents/7 200
GET /api/agents/8 200
POST /api/workflows/nightly/run 200
POST /api/workflows/build/run 200
POST /api/workflows/42/run 200
GET /api/slow 200
GET /nope 404
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/health 200
GET /api/slow 200
GET /api/nothing/here 404
EOF

n=0
bad_headers=0
bad_status=0
slow_times=""
t0=$(date +%s)
while read -r method path want; do
	n=$((n + 1))
	code=$(curl -s -S --max-time 10 -X "$method" -D headers.txt -o body.txt \
		-w '%{http_code}' "http://127.0.0.1:$port$path")
	[ "$code" = "$want" ] || { bad_status=$((bad_status + 1)); not_ok "$method $path: status $code, expected $want"; }
	ptime=$(tr -d '\r' <headers.txt | sed -n 's/^[Xx]-[Pp]rocess-[Tt]ime: //p')
	count=$(tr -d '\r' <headers.txt | sed -n 's/^[Xx]-[Rr]equest-[Cc]ount: //p')
	# X-Process-Time: seconds, >= 0 and < 5 (the slow endpoint: >= 1.2);
	# X-Request-Count: this request's number, exactly
	if ! [[ $ptime =~ ^[0-9]+\.[0-9]+$ ]] || ! [[ $count =~ ^[0-9]+$ ]] ||
	   ! awk -v t="$ptime" 'BEGIN { exit !(t >= 0 && t < 5) }' || [ "$count" -ne "$n" ]; then
		bad_headers=$((bad_headers + 1))
		not_ok "$method $path: X-Process-Time '$ptime', X-Request-Count '$count' (request $n)"
	fi
	case $path in
	/api/slow) slow_times="$slow_times $ptime" ;;
	/api/health) awk -v t="$ptime" 'BEGIN { exit !(t < 1) }' ||
		not_ok "GET /api/health took $ptime s" ;;
	esac
done <requests.txt
expect_eq "requests sent" "$n" 37
expect_eq "responses with both headers, plausible and numbered" "$bad_headers" 0
expect_eq "responses with the expected status" "$bad_status" 0
for t in $slow_times; do
	check "X-Process-Time of /api/slow is at least 1.2 s ($t)" \
		awk -v t="$t" 'BEGIN { exit !(t >= 1.2 && t < 5) }'
done

# jfield JSON ENDPOINT FIELD: FIELD of ENDPOINT in a JSON report ("" if absent)
jfield() {
	ppjson "$1" rows endpoints "name=$2" "$3"
}
jnames() {
	ppjson "$1" rows endpoints name | sort
}

expected_names=$(printf '%s\n' "GET /api/agents/{id}" "GET /api/health" \
	"GET /api/nothing/here" "GET /api/slow" "GET /nope" "POST /api/workflows/{id}/run" | sort)

# endpoint_checks JSON WHAT [EXTRA]: the exact counts, in a live read or the
# dump (which also has the endpoint EXTRA)
endpoint_checks() {
	expect_eq "$2: the endpoints (ids merged)" "$(jnames "$1" | tr '\n' ';')" \
		"$(printf '%s\n' "$expected_names" ${3:+"$3"} | sort | tr '\n' ';')"
	expect_eq "$2: GET /api/health count" "$(jfield "$1" "GET /api/health" calls)" 20
	expect_eq "$2: GET /api/health 2xx" "$(jfield "$1" "GET /api/health" status.2xx)" 20
	expect_eq "$2: GET /api/agents/{id} count" "$(jfield "$1" "GET /api/agents/{id}" calls)" 10
	expect_eq "$2: POST /api/workflows/{id}/run count" \
		"$(jfield "$1" "POST /api/workflows/{id}/run" calls)" 3
	expect_eq "$2: GET /api/slow count" "$(jfield "$1" "GET /api/slow" calls)" 2
	expect_eq "$2: GET /api/slow slow" "$(jfield "$1" "GET /api/slow" slow)" 2
	expect_eq "$2: GET /nope 4xx" "$(jfield "$1" "GET /nope" status.4xx)" 1
	expect_eq "$2: GET /nope errors" "$(jfield "$1" "GET /nope" errors)" 1
	expect_eq "$2: GET /api/nothing/here 4xx" "$(jfield "$1" "GET /api/nothing/here" status.4xx)" 1
	expect_eq "$2: only the slow endpoint is slow" \
		"$(jfield "$1" "GET /api/health" slow)/$(jfield "$1" "GET /api/agents/{id}" slow)" 0/0
}

# ---- live: the segment, read while the server runs ----
# A request ends when its response has been sent, which can be just after
# curl has it: wait (at most 3 s) until all 37 are in.
for _ in $(seq 30); do
	"$REPORT" --pid "$pid" -f json >live.json 2>live.err
	[ "$(ppjson live.json sum endpoints calls 2>/dev/null)" = 37 ] &&
		break
	sleep 0.1
done
endpoint_checks live.json live
expect_eq "live: the header counts 37 requests" \
	"$(ppjson live.json value processes.0.requests 2>/dev/null)" 37

# The in-process query (paraprof_request_foreach behind GET /api/stats)
curl -s --max-time 10 "http://127.0.0.1:$port/api/stats" >stats.json
expect_eq "GET /api/stats: health counted in-process" \
	"$(ppjson stats.json rows . "endpoint=GET /api/health" count 2>&1)" 20

# ---- stop: SIGTERM, a clean exit, a dump ----
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
expect_eq "the server exits 0 on SIGTERM" "$rc" 0
dump=$(ls "$WORK"/paraprof.*.ppd 2>/dev/null | head -n 1)
check "a dump was written" test -s "$dump"
"$REPORT" -f json "$dump" >dump.json
endpoint_checks dump.json dump "GET /api/stats"
expect_eq "dump: GET /api/stats count" "$(jfield dump.json "GET /api/stats" calls)" 1
expect_eq "dump: the header counts 38 requests" \
	"$(ppjson dump.json value processes.0.requests)" 38
max=$(jfield dump.json "GET /api/slow" max_ns)
expect_range "dump: GET /api/slow max (ns)" "$max" 1200000000 5000000000
# the chain behind GET /api/agents/{id}: 10 requests, 10 calls of each
"$REPORT" -f json -n 0 -m 1 "$dump" >all.json
for fn in load_agent_spec read_spec_source parse_agent_spec validate_agent render_agent_json; do
	expect_eq "dump: $fn called once per agents request" \
		"$(ppjson all.json rows functions "name=$fn" calls)" 10
done
# what the server printed from paraprof_request_foreach at exit agrees
for ep in "GET /api/health" "GET /api/agents/{id}" "POST /api/workflows/{id}/run" "GET /api/slow"; do
	inproc=$(grep -F "endpoint $ep count=" out | sed 's/.* count=\([0-9]*\).*/\1/')
	expect_eq "in-process count of $ep = the report's" "$inproc" "$(jfield dump.json "$ep" calls)"
done
check "in-process: GET /api/slow slow=2" grep -qF "endpoint GET /api/slow count=2 " out

# ---- the slow-request warning ----
warn=$(grep '^paraprof: slow request ' err)
expect_eq "two slow-request lines" "$(grep -c . <<<"$warn")" 2
check "the lines have the documented format" bash -c \
	'! grep -Evq "^paraprof: slow request GET /api/slow (1\.[2-9][0-9]{2}|[2-4]\.[0-9]{3}) s \(threshold 1\.000 s\)$" <<<"$1"' \
	_ "$warn"

# ---- text report and --check ----
text=$("$REPORT" "$dump")
check "text: an Endpoints section" grep -q '^Endpoints (slowest first)$' <<<"$text"
check "text: GET /api/slow listed first" \
	bash -c '[ "$(grep -A2 "^Endpoints" <<<"$1" | tail -n 1)" = "GET /api/slow" ]' _ "$text"
check "text: ids merged (no raw id)" bash -c '! grep -Eq "/api/agents/[0-9a-f]" <<<"$1"' _ "$text"
check "csv: the endpoints" bash -c \
	'[ "$("$0" -f csv "$1" | grep -c "/api/agents/{id}")" -ge 1 ]' "$REPORT" "$dump"
"$REPORT" --check "$dump" >check.txt
expect_eq "--check fails (exit 1)" "$?" 1
check "--check names the slow endpoint" grep -q 'worst: .* (GET /api/slow)' check.txt
check "--check judged the 7 endpoints" grep -q '^Performance Targets (over 7 endpoints)' check.txt
"$REPORT" --check --target p95=5s,p99=5s,avg=5s "$dump" >check2.txt
expect_eq "--check passes with the targets above the slow endpoint" "$?" 0
check "--check: PASS" grep -q 'Result: PASS' check2.txt

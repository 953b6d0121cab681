#!/bin/bash
# exporter_prometheus.sh - paraprof-exporter scraped by a real Prometheus
# (issue 15): Debian's prometheus (make exporter-test-deps installs it)
# runs on loopback with a temporary configuration and storage, scraping the
# exporter every second, while tests/progs/killme, profiled, has called
# step() exactly 10,000 times; the test asks Prometheus's HTTP API until
# paraprof_calls_total of step is 10000.  promtool check metrics is run on
# a scrape.  Every wait is bounded and the trap kills the servers and the
# program by their pids, so the test ends in bounded time (about 10 s when
# all is well, 40 s at most).
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/lib.sh"
EXPORTER=$BUILD/paraprof-exporter
PIDS=""
trap 'kill -9 $PIDS 2>/dev/null; wait 2>/dev/null; rm -f $(segments_of $KPID); rm -rf "$WORK"' EXIT
KPID=

# The check-asan stage (PARAPROF_TEST_PRELOAD set) leaves this one to the
# plain stage: the exporter's scrapes run under ASan in exporter_output,
# and here most of the time is Prometheus's own (its start, its scrapes).
if [ -n "${PARAPROF_TEST_PRELOAD:-}" ]; then
	skip "Prometheus against the exporter: in the plain stage (exporter_output runs the exporter under ASan)"
	exit 0
fi

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
	not_ok "prometheus and promtool are missing (make exporter-test-deps installs Debian's prometheus)"
	exit 1
fi

# a port nobody listens on now (a race with other programs is possible but
# harmless: Prometheus then fails to start and the test says so)
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# the profiled program: 10,000 calls of step(), then it waits
PARAPROF_QUIET=1 PARAPROF_OUTPUT=$WORK LD_PRELOAD=$LIB "$PROGS/killme" >killme.out &
KPID=$!
PIDS="$PIDS $KPID"
for i in $(seq 200); do grep -q "made 10000" killme.out && break; sleep 0.05; done
check "killme made its 10000 calls" grep -q "made 10000" killme.out

exporter_start exporter.err
PIDS="$PIDS $EPID"
check "the exporter listens" test -n "$EPORT"

curl -sS --max-time 20 -o scrape.txt "http://127.0.0.1:$EPORT/metrics"
promtool check metrics <scrape.txt >promtool.out 2>&1
rc=$?
expect_eq "promtool check metrics passes on a scrape" "$rc" 0
[ "$rc" = 0 ] || head -n 5 promtool.out

PPORT=$(free_port)
cat >prometheus.yml <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: paraprof
    static_configs:
      - targets: ["127.0.0.1:$EPORT"]
YML
promtool check config prometheus.yml >config.out 2>&1
expect_eq "the configuration is valid" "$?" 0
prometheus --config.file=prometheus.yml --storage.tsdb.path="$WORK/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" >prometheus.log 2>&1 &
PIDS="$PIDS $!"

# query EXPR: the value of the one sample of EXPR, or nothing
query() {
	curl -s --max-time 5 "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		sed -n 's/.*"result":\[{"metric":{[^}]*},"value":\[[0-9.]*,"\([^"]*\)"\]}\].*/\1/p'
}

calls=
deadline=$((SECONDS + 30))
while [ $SECONDS -lt $deadline ]; do
	calls=$(query "paraprof_calls_total{function=\"step\",pid=\"$KPID\"}")
	[ "$calls" = 10000 ] && break
	sleep 0.5
done
expect_eq "Prometheus has paraprof_calls_total of step" "$calls" 10000
[ "$calls" = 10000 ] || tail -n 5 prometheus.log
expect_eq "... and its histogram's count" \
	"$(query "paraprof_call_duration_seconds_count{function=\"step\",pid=\"$KPID\"}")" 10000
expect_eq "... whose +Inf bucket is the same" \
	"$(query "paraprof_call_duration_seconds_bucket{function=\"step\",pid=\"$KPID\",le=\"+Inf\"}")" 10000
expect_eq "the target is up" "$(query 'up{job="paraprof"}')" 1
curl -s --max-time 5 "http://127.0.0.1:$PPORT/metrics" >prom_self.txt
for m in prometheus_target_scrapes_sample_duplicate_timestamp_total \
	prometheus_target_scrapes_sample_out_of_order_total \
	prometheus_target_scrapes_exceeded_sample_limit_total; do
	expect_eq "Prometheus counted no $m" "$(sed -n "s/^$m \([0-9]*\)$/\1/p" prom_self.txt)" 0
done
kill $PIDS 2>/dev/null
wait 2>/dev/null

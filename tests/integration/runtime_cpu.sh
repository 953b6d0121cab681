# runtime_cpu.sh - CPU time against waiting (issue 12, item 1): a function
# whose calls wait 2 ms in a system call no wrapper sees shows 95 % or more
# of their time waiting, one that busy-waits shows its time on CPU, a tiny
# one has no CPU time read at all (its hooks keep the fast path); the text,
# JSON and CSV reports carry it; PARAPROF_CPU_MIN_US=0 reads none.
. "$(dirname "$0")/../lib.sh"

REPORT=$BUILD/paraprof-report

# csv FILE NAME COLUMN: the named column of NAME's row
csv() {
	tr -d '\r' <"$1" | awk -F, -v n="$2" -v f="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$(c["name"]) == n { print $(c[f]); exit }'
}

run_profiled "$PROGS/cputime"
expect_eq "cputime exits 0" "$?" 0
dump=$(ls "$WORK"/paraprof.*.ppd)
"$REPORT" -f csv --min-calls 1 "$dump" >cpu.csv
expect_eq "csv: exit status" "$?" 0

cpu=$(csv cpu.csv sleeper cpu_ns) wall=$(csv cpu.csv sleeper cpu_wall_ns)
# decided after 4 calls, on a slow path (a new maximum, a memory sample):
# 5 of 20 at least
expect_range "sleeper: the CPU time of its calls was read (wall ns)" "$wall" 10000000 10000000000
expect_range "sleeper: 95 % or more of its time waiting (CPU per mille)" \
	"$((1000 * cpu / (wall ? wall : 1)))" 0 50
cpu=$(csv cpu.csv spinner cpu_ns) wall=$(csv cpu.csv spinner cpu_wall_ns)
expect_range "spinner: the CPU time of its calls was read (wall ns)" "$wall" 10000000 10000000000
# a busy wait is on CPU unless the machine takes the CPU away
expect_range "spinner: mostly on CPU (per mille)" "$((1000 * cpu / (wall ? wall : 1)))" 500 1000
expect_eq "tiny (100,000 calls of nothing): no CPU time read" \
	"$(csv cpu.csv tiny cpu_wall_ns)/$(csv cpu.csv tiny calls)" "0/100000"
# its 5 ms first call marks it; its next (2 us, and two reads of the CPU
# clock, 3 us each on a VM) unmarks it (by the average, 5 ms over ~600
# calls of 8 us kept it marked for those 600)
expect_eq "coldstart: 2,001 calls" "$(csv cpu.csv coldstart calls)" 2001
expect_range "coldstart: CPU time read in a few calls after its slow first one (wall ns)" \
	"$(csv cpu.csv coldstart cpu_wall_ns)" 1 400000

"$REPORT" --no-color --wide --min-calls 1 "$dump" >cpu.txt
check "text: sleeper's line says how much was waiting" \
	grep -Eq "On CPU: [0-9.]+%, waiting (9[5-9]|100)\.[0-9]%" cpu.txt
check "a recommendation says that sleeper waits, not to optimise its body" \
	sh -c 'grep -q "^- sleeper is off CPU [0-9.]*% of its time" cpu.txt &&
		! grep -q "sleeper spends .* in its own code" cpu.txt'
# a recursion: only its outermost frames read the CPU clock (a read in each
# of 31 frames made every frame longer by the reads below it: a function
# that became marked could then never become short enough again)
wall=$(csv cpu.csv descend cpu_wall_ns) total=$(csv cpu.csv descend total_ns)
expect_range "descend: its outermost calls' CPU time was read (wall ns)" "$wall" 100000 10000000000
expect_range "descend: only its outermost frames (CPU-read wall within its total, per mille)" \
	"$((1000 * wall / (total ? total : 1)))" 0 1000
"$REPORT" -f json --min-calls 1 "$dump" >cpu.json
expect_eq "json: sleeper's cpu_wall_ns as in the CSV" \
	"$(ppjson cpu.json rows functions name=sleeper cpu_wall_ns | head -n 1)" \
	"$(csv cpu.csv sleeper cpu_wall_ns)"

# the hooks' own cost (issue 12, item 3): measured at start-up, in the
# dump, taken out by default, left in with --raw
"$REPORT" -f json --min-calls 1 --raw "$dump" >raw.json
expect_eq "json: the process's hooks' cost was measured and taken out" \
	"$(ppjson cpu.json value processes.0.compensated)/$(ppjson raw.json value processes.0.compensated)" \
	"True/False"
expect_range "json: what a call costs its caller, ps (a calibration, not a default)" \
	"$(ppjson cpu.json value processes.0.hook_call_ps)" 1000 1000000000
check "text: the header says what was taken out" \
	grep -q "^Hooks' cost: [0-9.]* ns a call ([0-9.]* ns of it in the callee's own time), taken" cpu.txt
"$REPORT" --no-color --wide --raw --min-calls 1 "$dump" >raw.txt
check "text --raw: ... and that it was left in" grep -q "^Hooks' cost: .*, left in the times (--raw)$" raw.txt
# tiny() does nothing: 100,000 calls of the hooks' cost, less once it is out
check "tiny: its total less than raw once the hooks' cost is out" \
	awk -v c="$(ppjson cpu.json rows functions name=tiny total_ns)" \
	    -v r="$(ppjson raw.json rows functions name=tiny total_ns)" 'BEGIN { exit !(c < r / 2) }'

rm -f "$WORK"/paraprof.*.ppd
PARAPROF_CPU_MIN_US=0 run_profiled "$PROGS/cputime"
"$REPORT" -f csv --min-calls 1 "$WORK"/paraprof.*.ppd >off.csv
expect_eq "PARAPROF_CPU_MIN_US=0: no CPU time read" \
	"$(csv off.csv sleeper cpu_wall_ns)/$(csv off.csv spinner cpu_wall_ns)" "0/0"

rm -f "$WORK"/paraprof.*.ppd
PARAPROF_CPU_MIN_US=x run_profiled "$PROGS/cputime" 2>err.txt
expect_eq "PARAPROF_CPU_MIN_US=x: one warning" "$(cat err.txt)" \
	"paraprof: PARAPROF_CPU_MIN_US=x is not a number of microseconds from 0 to 60000000; using 20"

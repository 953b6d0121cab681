# runtime_segments.sh - files planted under the name of a process's segment
# (issue 9, items 3 and 8): another user's sparse 0666 file claiming 2 GiB,
# a sparse file of our own claiming what it does not hold, a FIFO, a
# symbolic link.  None is adopted, saved, followed or blocked on; the
# process takes another name, says so in one line, and is profiled.
. "$(dirname "$0")/../lib.sh"

planted=""
trap 'rm -f $planted; rm -rf "$WORK"' EXIT

# segment_of PID: the segment name of the running process PID,
# /dev/shm/paraprof.<pid>.<pid namespace inode>.<start ticks> (format.h)
segment_of() {
	_ns=$(stat -L -c %i "/proc/$1/ns/pid")
	_start=$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20)
	echo "/dev/shm/paraprof.$1.$_ns.$_start"
}

# start_victim [as_other] CMD...: starts a shell (as the other user with
# as_other) that writes its pid to victim.pid, waits for victim.go and
# execs CMD, which keeps the pid and so the segment name; output in
# victim.out and victim.err; sets $victim, $seg (its segment's name) and
# $job (the background job, perhaps a parent of $victim)
start_victim() {
	_run=""
	if [ "$1" = as_other ]; then _run=as_other; shift; fi
	rm -f victim.pid victim.go
	$_run sh -c 'echo $$ >victim.pid.tmp && mv victim.pid.tmp victim.pid
		while [ ! -e victim.go ]; do sleep 0.01; done; exec "$@"' sh "$@" \
		>victim.out 2>victim.err &
	job=$!
	while [ ! -s victim.pid ]; do sleep 0.01; done
	victim=$(cat victim.pid)
	seg=$(segment_of "$victim")
}

# finish_victim: lets the victim run, with 10 s at most; sets $rc
finish_victim() {
	touch victim.go
	for _ in $(seq 1000); do kill -0 "$victim" 2>/dev/null || break; sleep 0.01; done
	if kill -0 "$victim" 2>/dev/null; then
		kill -9 "$victim"
		wait "$job" 2>/dev/null
		rc=timeout
	else
		wait "$job" 2>/dev/null
		rc=$?
	fi
}

# plant_sparse [as_other] PATH MODE: a 4 GiB sparse file that looks like a
# segment whose used_size is 2 GiB
plant_sparse() {
	_run=""
	if [ "$1" = as_other ]; then _run=as_other; shift; fi
	planted="$planted $1"
	$_run sh -c 'truncate -s 4G "$1" && printf PPROFSEG | dd of="$1" conv=notrunc status=none &&
		printf "\002\000\000\000" | dd of="$1" bs=1 seek=8 conv=notrunc status=none &&
		printf "\000\000\000\200\000\000\000\000" |
			dd of="$1" bs=1 seek=24 conv=notrunc status=none &&
		chmod "$2" "$1"' sh "$1" "$2"
}

# the names of the victim's segment: today's, and the one before issue 9
names() {
	echo "$seg /dev/shm/paraprof.$victim"
}

# victim_checks DESC OUTDIR: the victim ran in time, was profiled, saved
# nothing else, left nothing of its own in /dev/shm, said one line
victim_checks() {
	expect_eq "$1: the program runs, in time" "$rc" 0
	"$PPDUMP" "$2/paraprof.$victim.ppd" >victim.txt 2>/dev/null
	expect_eq "$1: the program is profiled" "$(field victim.txt f calls)" 15
	expect_eq "$1: no other profile is saved" "$(ls "$2" | grep -v "^paraprof\.$victim\.ppd$")" ""
	check "$1: its own segment is gone" test ! -e "$seg-1"
	check "$1: one line says so" grep -q \
		"^paraprof: $seg exists and is $3: left alone; this process uses $seg-1$" victim.err
	expect_eq "$1: just that line" "$(wc -l <victim.err)" 1
}

# ---- a sparse file of our own that claims more than it holds ---------------
mkdir own
start_victim env PARAPROF_OUTPUT="$WORK/own" LD_PRELOAD="$LIB" "$PROGS/adv_chdir"
for f in $(names); do plant_sparse "$f" 600; done
before=$(stat -c %U/%s/%a/%Y "$seg")
finish_victim
victim_checks "our own sparse file" own "of a used size that the file does not hold"
expect_eq "our own sparse file: left as it was" "$(stat -c %U/%s/%a/%Y "$seg")" "$before"

# ---- links and FIFOs ------------------------------------------------------------
echo precious >target
cp target target.copy
mkdir link
start_victim env PARAPROF_OUTPUT="$WORK/link" LD_PRELOAD="$LIB" "$PROGS/adv_chdir"
for f in $(names); do ln -s "$WORK/target" "$f"; planted="$planted $f"; done
finish_victim
victim_checks "a symbolic link" link "a symbolic link"
check "a symbolic link: its target is untouched" cmp -s target target.copy
check "a symbolic link: left as it was" test -L "$seg"

mkdir fifo
start_victim env PARAPROF_OUTPUT="$WORK/fifo" LD_PRELOAD="$LIB" "$PROGS/adv_chdir"
for f in $(names); do mkfifo -m 600 "$f"; planted="$planted $f"; done
finish_victim
victim_checks "a FIFO" fifo "not a regular file"

# ---- an exec after another name was taken: the earlier program is saved ----------
mkdir exec
start_victim env PARAPROF_OUTPUT="$WORK/exec" LD_PRELOAD="$LIB" "$PROGS/execs"
for f in $(names); do plant_sparse "$f" 600; done
finish_victim
"$PPDUMP" "exec/paraprof.$victim.ppd" >pre.txt 2>/dev/null
"$PPDUMP" "exec/paraprof.$victim.1.ppd" >post.txt 2>/dev/null
expect_eq "exec, our name taken: the program before exec is saved from its -1 segment" \
	"$(field pre.txt before_exec calls)" 10
expect_eq "exec, our name taken: the program after exec too" "$(field post.txt after_exec calls)" 20
check "exec, our name taken: no segment of ours is left" test ! -e "$seg-1"

# ---- another user's files ---------------------------------------------------------
if ! as_other true; then
	skip "files of another user: no throw-away user here (not root?)"
	exit 0
fi
chmod 755 "$WORK"

# another user plants for root
mkdir other
start_victim env PARAPROF_OUTPUT="$WORK/other" LD_PRELOAD="$LIB" "$PROGS/adv_chdir"
for f in $(names); do plant_sparse as_other "$f" 666; done
before=$(stat -c %U/%s/%a/%Y "$seg")
finish_victim
victim_checks "another user's 0666 sparse file, root's process" other "owned by another user"
expect_eq "another user's file: left as it was" "$(stat -c %U/%s/%a/%Y "$seg")" "$before"

# root plants for another user (who writes victim.pid in $WORK)
chmod 1777 "$WORK"
mkdir victim
chown "$ADV_USER" victim
start_victim as_other env PARAPROF_OUTPUT="$WORK/victim" LD_PRELOAD="$LIB" "$PROGS/adv_chdir"
for f in $(names); do plant_sparse "$f" 666; done
finish_victim
victim_checks "root's 0666 sparse file, another user's process" victim "owned by another user"

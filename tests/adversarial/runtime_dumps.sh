# runtime_dumps.sh - how dumps are written (issue 9, items 1 and 8, and
# "Also"): never through a link another user planted, never over an existing
# file, mode 0600, into the directory chosen at start-up.
. "$(dirname "$0")/../lib.sh"

# start_victim CMD...: starts a shell that writes its pid to victim.pid,
# waits for the file victim.go and then execs CMD (which keeps the pid, so
# names can be planted for it in advance), its output in victim.out and
# victim.err; sets $victim
start_victim() {
	rm -f victim.pid victim.go
	sh -c 'echo $$ >victim.pid.tmp && mv victim.pid.tmp victim.pid
		while [ ! -e victim.go ]; do sleep 0.01; done; exec "$@"' sh "$@" \
		>victim.out 2>victim.err &
	victim=$!
	while [ ! -s victim.pid ]; do sleep 0.01; done
}

# ---- never overwritten -----------------------------------------------------
mkdir keep
start_victim env PARAPROF_OUTPUT="$WORK/keep" LD_PRELOAD="$LIB" "$PROGS/adv_chdir"
echo earlier >"keep/paraprof.$victim.ppd"
echo earlier-1 >"keep/paraprof.$victim-1.ppd"
echo earlier >earlier.copy
echo earlier-1 >earlier-1.copy
touch victim.go
wait $victim
cp victim.err keep.err
check "an existing paraprof.PID.ppd is not overwritten" cmp -s "keep/paraprof.$victim.ppd" earlier.copy
check "nor an existing paraprof.PID-1.ppd" cmp -s "keep/paraprof.$victim-1.ppd" earlier-1.copy
"$PPDUMP" "keep/paraprof.$victim-2.ppd" >keep.txt
expect_eq "the profile is paraprof.PID-2.ppd, whole" "$(field keep.txt f calls)" 15
expect_eq "the name used is said in one line" "$(cat keep.err)" \
	"paraprof: $WORK/keep/paraprof.$victim.ppd exists; this profile is saved as $WORK/keep/paraprof.$victim-2.ppd"
expect_eq "the dump is a regular file of mode 0600" "$(stat -c %F/%a "keep/paraprof.$victim-2.ppd")" \
	"regular file/600"
expect_eq "no temporary file is left" "$(ls -A keep | grep -c '^\.')" 0

# ---- mode 0600 whatever the umask --------------------------------------------
mkdir umask0
(umask 0 && PARAPROF_OUTPUT=$WORK/umask0 LD_PRELOAD=$LIB "$PROGS/adv_chdir" >/dev/null)
expect_eq "umask 0: the dump is still 0600" "$(stat -c %a umask0/paraprof.*.ppd)" 600

# ---- the directory chosen at start-up ------------------------------------------
mkdir start elsewhere
(cd start && LD_PRELOAD=$LIB "$PROGS/adv_chdir" "$WORK/elsewhere" >../cwd.pid)
pid=$(cat cwd.pid)
check "no PARAPROF_OUTPUT: the dump is in the directory the program started in" \
	test -f "start/paraprof.$pid.ppd"
expect_eq "... not in the one it ended in" "$(ls elsewhere)" ""
mkdir start/rel
(cd start && PARAPROF_OUTPUT=rel LD_PRELOAD=$LIB "$PROGS/adv_chdir" "$WORK/elsewhere" >../rel.pid)
pid=$(cat rel.pid)
check "a relative PARAPROF_OUTPUT is taken from the start-up directory" \
	test -f "start/rel/paraprof.$pid.ppd"
expect_eq "... not from the one the program ended in" "$(ls elsewhere)" ""

# ---- links planted by another user -------------------------------------------
if ! as_other true; then
	skip "links planted by another user: no throw-away user here (not root?)"
	exit 0
fi
chmod 755 "$WORK"
echo precious >target
cp target target.copy
chmod 644 target

# plant DIR: another user plants, for the victim's pid, links to $WORK/target
# under the names of a dump and of the old temporary file
plant() {
	for name in "paraprof.$victim.ppd" ".paraprof.$victim.ppd.tmp" "paraprof.$victim-1.ppd.tmp"; do
		as_other ln -s "$WORK/target" "$1/$name"
	done
}

# attack DIR DESC: the victim (root) dumps into DIR where links were planted
attack() {
	start_victim env PARAPROF_OUTPUT="$1" LD_PRELOAD="$LIB" "$PROGS/adv_chdir"
	plant "$1"
	touch victim.go
	wait $victim
	cp victim.err attack.err
	check "$2: the link's target is untouched" cmp -s target target.copy
	check "$2: the planted link is still a link" test -L "$1/paraprof.$victim.ppd"
	"$PPDUMP" "$1/paraprof.$victim-1.ppd" >attack.txt
	expect_eq "$2: the profile is in a file of its own, whole" "$(field attack.txt f calls)" 15
	expect_eq "$2: that file is root's, regular, 0600" \
		"$(stat -c %U/%F/%a "$1/paraprof.$victim-1.ppd")" "root/regular file/600"
	expect_eq "$2: one line on stderr" "$(wc -l <attack.err)" 1
}

mkdir evil
chown "$ADV_USER" evil
attack "$WORK/evil" "a directory of the other user's"
mkdir sticky
chmod 1777 sticky
attack "$WORK/sticky" "a world-writable sticky directory"

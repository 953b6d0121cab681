# api_exports.sh - libparaprof.so exports exactly the public functions of
# include/paraprof.h (the list PARAPROF_FUNCTIONS, and paraprof_cache_key) and
# the hooks and wrapped libc names, nothing else; and every listed function
# is exported.
. "$(dirname "$0")/../lib.sh"

# The list, as the preprocessor expands it: one name a line.
cat >list.c <<'C'
#include <paraprof.h>
#define NAME_F(type, fn, params, args, otherwise) LISTED fn
#define NAME_V(fn, params, args) LISTED fn
PARAPROF_FUNCTIONS(NAME_F, NAME_V)
C
listed=$( { cc -E -P -I"$SRC/include" list.c | tr ' ' '\n' | grep -A1 -x LISTED |
	grep '^paraprof_'; echo paraprof_cache_key; } | sort -u)
check "the list names at least 38 functions" test "$(wc -l <<<"$listed")" -ge 38
hooks="__cyg_profile_func_enter __cyg_profile_func_exit _exit _Exit daemon dlclose
longjmp _longjmp siglongjmp __longjmp_chk
sleep usleep nanosleep clock_nanosleep read write pread pwrite pread64 pwrite64 readv writev
poll ppoll select pselect epoll_wait epoll_pwait accept accept4 connect recv recvfrom recvmsg
send sendto sendmsg pthread_join wait waitpid waitid pthread_cond_wait pthread_cond_timedwait pthread_cond_clockwait
pthread_mutex_lock pthread_rwlock_rdlock pthread_rwlock_wrlock sem_wait sem_timedwait
fsync fdatasync __read_chk __pread_chk __pread64_chk __recv_chk __recvfrom_chk __poll_chk
__ppoll_chk pthread_setname_np
execve execv execvp execvpe fexecve execl execle execlp sigaction signal"

exported=$(nm -D --defined-only "$LIB_SO" | awk '$2 ~ /^[TWiV]$/ { print $3 }' | sort -u)
check "libparaprof.so exports functions" test -n "$exported"
for n in $exported; do
	case " $(echo $hooks) " in *" $n "*) ok "exported $n: a hook or wrapped libc name"; continue ;; esac
	check "exported $n is in PARAPROF_FUNCTIONS" grep -qx -- "$n" <<<"$listed"
done
for n in $listed; do
	check "listed $n is exported" grep -qx -- "$n" <<<"$exported"
done
for n in $hooks; do
	check "hook or wrapped libc name $n is exported" grep -qx -- "$n" <<<"$exported"
done
# Data symbols: none is public.
data=$(nm -D --defined-only "$LIB_SO" | awk '$2 !~ /^[TWiV]$/ && $3 !~ /^(_edata|_end|__bss_start)$/ { print $3 }')
expect_eq "libparaprof.so exports no data" "$data" ""

/* test_common.c - the common format layer (common/): what /proc says of a
 * process, segment and dump names, adding records, the control protocol
 * (issue 10).  The ELF symbol reader has its own file, test_elfsym.c. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/control.h"
#include "common/names.h"
#include "common/proc.h"
#include "common/record.h"

/* field 22 of /proc/<pid>/stat read with stdio, as a second opinion */
static unsigned long long stdio_start_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

static void test_common_proc_start_ticks_self(void **state)
{
	uint64_t self = ppc_proc_start_ticks(0);

	(void)state;
	assert_true(self != 0);
	assert_int_equal(self, stdio_start_ticks(getpid()));
	assert_int_equal(self, ppc_proc_start_ticks((uint32_t)getpid()));
}

/* A command name of spaces and parentheses does not shift the fields. */
static void test_common_proc_start_ticks_odd_name(void **state)
{
	char old[16] = "";
	uint64_t before = ppc_proc_start_ticks(0);

	(void)state;
	prctl(PR_GET_NAME, old);
	assert_int_equal(prctl(PR_SET_NAME, ") 1 2 3 ) x ("), 0);
	assert_int_equal(ppc_proc_start_ticks(0), before);
	prctl(PR_SET_NAME, old);
}

/* Another process's, and none for a pid that does not run. */
static void test_common_proc_start_ticks_other(void **state)
{
	pid_t child = fork();
	int status;

	(void)state;
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(ppc_proc_start_ticks((uint32_t)child), stdio_start_ticks(child));
	assert_true(ppc_proc_start_ticks((uint32_t)child) >= ppc_proc_start_ticks(0));
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	assert_int_equal(ppc_proc_start_ticks((uint32_t)child), 0);
	assert_int_equal(ppc_proc_start_ticks(4000000000u), 0);
}

static void test_common_pidns_ino(void **state)
{
	struct stat st;

	(void)state;
	assert_int_equal(stat("/proc/self/ns/pid", &st), 0);
	assert_int_equal(ppc_pidns_ino(), (uint64_t)st.st_ino);
}

static void test_common_segment_name(void **state)
{
	char buf[96], small[12];

	(void)state;
	ppc_segment_name(buf, sizeof(buf), 42, 4026531836ull, 123456, 0);
	assert_string_equal(buf, "/paraprof.42.4026531836.123456");
	ppc_segment_name(buf, sizeof(buf), 42, 0, 0, 7);
	assert_string_equal(buf, "/paraprof.42.0.0-7");
	ppc_segment_name(small, sizeof(small), 42, 1, 2, 3);
	assert_string_equal(small, "/paraprof.4");
	ppc_segment_glob(buf, sizeof(buf), 42);
	assert_string_equal(buf, "/dev/shm/paraprof.42.*");
}

static void test_common_dump_names(void **state)
{
	char stem[64], file[64], small[8];

	(void)state;
	ppc_dump_stem(stem, sizeof(stem), PPC_DUMP_PREFIX, 42, 0);
	assert_string_equal(stem, "paraprof.42");
	ppc_dump_file(file, sizeof(file), stem, 0);
	assert_string_equal(file, "paraprof.42.ppd");
	assert_int_equal(ppc_dump_kind(file), PPC_DUMP_NORMAL);
	ppc_dump_stem(stem, sizeof(stem), PPC_SNAPSHOT_PREFIX, 42, 3);
	assert_string_equal(stem, "paraprof-snapshot.42.3");
	ppc_dump_file(file, sizeof(file), stem, 12);
	assert_string_equal(file, "paraprof-snapshot.42.3-12.ppd");
	assert_int_equal(ppc_dump_kind(file), PPC_DUMP_SNAPSHOT);
	ppc_dump_stem(stem, sizeof(stem), PPC_STALE_PREFIX, 7, 1700000000);
	ppc_dump_file(file, sizeof(file), stem, 0);
	assert_string_equal(file, "paraprof-stale.7.1700000000.ppd");
	assert_int_equal(ppc_dump_kind(file), PPC_DUMP_STALE);
	/* cut, and still terminated */
	ppc_dump_file(small, sizeof(small), "paraprof.42", 1);
	assert_string_equal(small, "parapro");
}

static void test_common_dump_kind_rejects(void **state)
{
	static const char *const bad[] = {
		"paraprof.ppd", "paraprof.42", "paraprof.42.ppd.tmp", "paraprof.x.ppd",
		"paraprof.42..ppd", "paraprof.42-.ppd", "paraprof.42.1.2.ppd",
		".paraprof.42.ppd", "paraprof-other.42.ppd", "paraprof.42-1-2.ppd", "",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ppc_dump_kind(bad[i]), PPC_DUMP_NONE);
	assert_int_equal(ppc_dump_kind("paraprof.42.3-1.ppd"), PPC_DUMP_NORMAL);
	assert_int_equal(ppc_dump_kind("paraprof.42-1.ppd"), PPC_DUMP_NORMAL);
}

static void test_common_record_add(void **state)
{
	struct ppc_record_buf total = { .rec = { .size = sizeof(total), .min_ns = UINT64_MAX } };
	struct ppc_record_buf a = {
		.rec = { .kind = PPF_KIND_ENDPOINT, .size = sizeof(a), .calls = 3, .sum_ns = 30,
			 .inclusive_ns = 25, .self_ns = 20, .min_ns = 5, .max_ns = 15,
			 .abandoned = 1, .rss_sum_kib = 300, .rss_max_kib = 120,
			 .hist_dropped = 2, .seq = 4, .flags = 8 },
		.tail = { { 1, 0, 2, 0, 3, 4 }, 5, 0 },
	};
	struct ppc_record_buf b = a;

	(void)state;
	b.rec.min_ns = 2;
	b.rec.max_ns = 40;
	b.rec.rss_max_kib = 100;
	ppc_record_add(&total.rec, &a.rec);
	ppc_record_add(&total.rec, &b.rec);
	assert_int_equal(total.rec.calls, 6);
	assert_int_equal(total.rec.sum_ns, 60);
	assert_int_equal(total.rec.inclusive_ns, 50);
	assert_int_equal(total.rec.self_ns, 40);
	assert_int_equal(total.rec.min_ns, 2);
	assert_int_equal(total.rec.max_ns, 40);
	assert_int_equal(total.rec.abandoned, 2);
	assert_int_equal(total.rec.rss_sum_kib, 600);
	assert_int_equal(total.rec.rss_max_kib, 120);
	assert_int_equal(total.rec.hist_dropped, 4);
	assert_int_equal(total.tail.status[0], 2);
	assert_int_equal(total.tail.status[5], 8);
	assert_int_equal(total.tail.slow, 10);
	/* untouched: the seqlock, the flags */
	assert_int_equal(total.rec.seq, 0);
	assert_int_equal(total.rec.flags, 0);

	/* no calls: no shortest call; a function has no tail */
	b.rec.calls = 0;
	b.rec.min_ns = 1;
	b.rec.kind = PPF_KIND_FUNCTION;
	ppc_record_add(&total.rec, &b.rec);
	assert_int_equal(total.rec.min_ns, 2);
	assert_int_equal(total.tail.slow, 10);
	/* a record too short for its tail adds none */
	a.rec.size = sizeof(a.rec);
	ppc_record_add(&total.rec, &a.rec);
	assert_int_equal(total.tail.slow, 10);
	assert_int_equal(total.rec.calls, 9);
}

static int more_calls;

static int count_more(void *ctx, struct ppf_record *copy)
{
	(void)copy;
	more_calls++;
	return ctx ? *(int *)ctx : 0;
}

static void test_common_record_copy(void **state)
{
	struct ppc_record_buf src = {
		.rec = { .seq = 2, .kind = PPF_KIND_ENDPOINT, .size = sizeof(src), .calls = 7 },
		.tail = { { 1, 2, 3, 4, 5, 6 }, 7, 0 },
	}, dst;
	int stop = 5;

	(void)state;
	memset(&dst, 0, sizeof(dst));
	more_calls = 0;
	assert_int_equal(ppc_record_copy(&dst.rec, &src.rec, sizeof(src), count_more, NULL, 10), 0);
	assert_int_equal(more_calls, 1);
	assert_memory_equal(&dst, &src, sizeof(src));
	/* `more` ends the copy with what it returns */
	assert_int_equal(ppc_record_copy(&dst.rec, &src.rec, sizeof(src), count_more, &stop, 10), 5);
	/* a writer that never finishes: -1 after the tries, nothing copied */
	memset(&dst, 0, sizeof(dst));
	src.rec.seq = 3;
	more_calls = 0;
	assert_int_equal(ppc_record_copy(&dst.rec, &src.rec, sizeof(src), count_more, NULL, 100), -1);
	assert_int_equal(more_calls, 0);
	assert_int_equal(dst.rec.calls, 0);
}

static void test_common_segment_parse(void **state)
{
	struct ppc_segment_id id;
	char name[96];
	static const char *const bad[] = {
		"paraprof.", "paraprof.0", "paraprof.2147483648", "paraprof.42.1",
		"paraprof.42.1.2-0", "paraprof.42.1.2-", "paraprof.42.1.2.ppd",
		"paraprof.42.1.99999999999999999999", "paraprof.42.1.2-4294967296",
		"paraprof-stale.42.1", "xparaprof.42", "",
	};

	(void)state;
	/* what the builder writes, the parser reads back */
	ppc_segment_name(name, sizeof(name), 42, 4026531836ull, 123456, 3);
	assert_int_equal(ppc_segment_parse(name + 1, &id), 1);
	assert_int_equal(id.pid, 42);
	assert_int_equal(id.pidns, 4026531836ull);
	assert_int_equal(id.start, 123456);
	assert_int_equal(id.dup, 3);
	assert_int_equal(id.legacy, 0);
	assert_int_equal(ppc_segment_parse("paraprof.7", &id), 1);
	assert_int_equal(id.pid, 7);
	assert_int_equal(id.legacy, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ppc_segment_parse(bad[i], &id), 0);
}

/* The epoch: bits 16-31 of flags. */
static unsigned epoch(const struct ppf_header *h)
{
	return h->flags >> PPF_FLAG_EPOCH_SHIFT;
}

/* Nearest rank, ceil(n * q), in integers: p95 of 20 values is the 19th,
 * p99 of 20 the 20th, p50 of 1 the 1st; the quantile is the rank's bucket
 * clamped to [min, max]. */
static void test_common_quantile(void **state)
{
	static uint64_t hist[PPF_HIST_BUCKETS];
	unsigned lo = ppf_bucket(1000), hi = ppf_bucket(5000);

	(void)state;
	assert_int_equal(ppc_quantile_rank(20, 950000), 19);
	assert_int_equal(ppc_quantile_rank(1, 500000), 1);
	assert_int_equal(ppc_quantile_rank(0, 500000), 1);
	assert_int_equal(ppc_quantile_rank(100, 990000), 99);
	assert_int_equal(ppc_quantile_rank(UINT64_MAX, 1000000), UINT64_MAX);
	hist[lo] = 19;
	hist[hi] = 1;
	assert_int_equal(ppc_hist_quantile(hist, 20, 950000, 0, UINT64_MAX), ppf_bucket_value(lo));
	assert_int_equal(ppc_hist_quantile(hist, 20, 990000, 0, UINT64_MAX), ppf_bucket_value(hi));
	assert_int_equal(ppc_hist_quantile(hist, 20, 990000, 0, 4000), 4000);
	assert_int_equal(ppc_hist_quantile(hist, 20, 500000, 1200, UINT64_MAX), 1200);
	assert_int_equal(ppc_hist_quantile(hist, 0, 500000, 0, 7), 0);
	assert_int_equal(ppc_hist_quantile(hist, 30, 990000, 0, 7777), 7777);
}

/* Each step does what format.h's protocol says, and no more: the other
 * flags, the other generation and the rest of the header stay. */
static void test_common_control_steps(void **state)
{
	struct ppf_header *h = calloc(1, sizeof(*h)), *before = malloc(sizeof(*h));
	const uint32_t low = PPF_FLAG_TSC | PPF_FLAG_EXEC;

	(void)state;
	assert_non_null(h);
	assert_non_null(before);
	memset(h, 0x5a, sizeof(*h));
	h->flags = low;
	h->enable_gen = 7;
	h->clear_gen = 3;
	memcpy(before, h, sizeof(*h));

	ppc_control_enable(h);
	assert_int_equal(h->flags & 0xffff, low | PPF_FLAG_ENABLED);
	assert_int_equal(epoch(h), 1);
	assert_int_equal(h->enable_gen, 8);
	assert_int_equal(h->clear_gen, 3);
	ppc_control_enable(h);		/* again: a new generation, a new epoch */
	assert_int_equal(h->flags & 0xffff, low | PPF_FLAG_ENABLED);
	assert_int_equal(epoch(h), 2);
	assert_int_equal(h->enable_gen, 9);

	ppc_control_disable(h);
	assert_int_equal(h->flags & 0xffff, low);
	assert_int_equal(epoch(h), 2);
	assert_int_equal(h->enable_gen, 9);
	ppc_control_disable(h);
	assert_int_equal(h->flags, low | 2u << PPF_FLAG_EPOCH_SHIFT);

	ppc_control_clear(h);
	assert_int_equal(h->flags & 0xffff, low);
	assert_int_equal(epoch(h), 3);
	assert_int_equal(h->clear_gen, 4);
	assert_int_equal(h->enable_gen, 9);

	ppc_control_bump_epoch(h);
	assert_int_equal(h->flags, low | 4u << PPF_FLAG_EPOCH_SHIFT);
	assert_int_equal(h->clear_gen, 4);
	assert_int_equal(h->enable_gen, 9);

	/* nothing else of the header moved */
	before->flags = h->flags;
	before->enable_gen = h->enable_gen;
	before->clear_gen = h->clear_gen;
	assert_memory_equal(h, before, sizeof(*h));
	free(before);
	free(h);
}

/* The epoch counts mod 2^16 and never carries into the flags below it. */
static void test_common_control_epoch_wraps(void **state)
{
	struct ppf_header h;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.flags = 0xffffu << PPF_FLAG_EPOCH_SHIFT | PPF_FLAG_ENABLED | PPF_FLAG_COMPLETE;
	ppc_control_bump_epoch(&h);
	assert_int_equal(h.flags, PPF_FLAG_ENABLED | PPF_FLAG_COMPLETE);
	h.flags = 0xffffu << PPF_FLAG_EPOCH_SHIFT;
	ppc_control_enable(&h);
	assert_int_equal(h.flags, PPF_FLAG_ENABLED);
	assert_int_equal(h.enable_gen, 1);
}

#define CONTROL_THREADS 4
#define CONTROL_ROUNDS 200000

static void *control_worker(void *arg)
{
	struct ppf_header *h = arg;

	for (int i = 0; i < CONTROL_ROUNDS; i++) {
		ppc_control_clear(h);
		ppc_control_enable(h);
		ppc_control_disable(h);
	}
	return NULL;
}

/* Steps taken at once by several threads (the program and --clear from
 * outside) all count: none is lost to another's read-modify-write. */
static void test_common_control_concurrent(void **state)
{
	static struct ppf_header h;
	pthread_t threads[CONTROL_THREADS];
	const uint32_t total = CONTROL_THREADS * CONTROL_ROUNDS;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.flags = PPF_FLAG_TSC;
	for (int i = 0; i < CONTROL_THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, control_worker, &h), 0);
	for (int i = 0; i < CONTROL_THREADS; i++)
		pthread_join(threads[i], NULL);
	assert_int_equal(h.clear_gen, total);
	assert_int_equal(h.enable_gen, total);
	assert_int_equal(epoch(&h), (2 * total) & 0xffff);
	assert_int_equal(h.flags & 0xffff, PPF_FLAG_TSC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_common_proc_start_ticks_self),
		cmocka_unit_test(test_common_proc_start_ticks_odd_name),
		cmocka_unit_test(test_common_proc_start_ticks_other),
		cmocka_unit_test(test_common_pidns_ino),
		cmocka_unit_test(test_common_segment_name),
		cmocka_unit_test(test_common_segment_parse),
		cmocka_unit_test(test_common_dump_names),
		cmocka_unit_test(test_common_dump_kind_rejects),
		cmocka_unit_test(test_common_record_add),
		cmocka_unit_test(test_common_record_copy),
		cmocka_unit_test(test_common_quantile),
		cmocka_unit_test(test_common_control_steps),
		cmocka_unit_test(test_common_control_epoch_wraps),
		cmocka_unit_test(test_common_control_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

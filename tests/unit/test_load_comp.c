/* test_load_comp.c - the hooks' own cost taken out of a dump's figures
 * (analyzer/load_comp.c): exact figures for a known tree, recursion, the
 * histogram moved, --raw, older dumps, and calibrations or trees that
 * cannot be believed
 *
 * The dumps are synthetic (synth.h), with a calibration of S = 10 ns (in
 * the callee's own time) and C = 20 ns (what a call costs its caller), as
 * a runtime would have measured them.  Thread 1 runs parent P once: its
 * body takes 5,000 ns, and it calls the empty leaf L 1,000 times and leaf M,
 * 50 ns of work, 100 times.  As measured (load_comp.c: a body as long as S
 * runs S in its shadow), each L call is S = 10 ns and costs P C = 20, each
 * M call is 50 ns and costs P 50 + C - S = 60; P's own S is hidden by its
 * body: its one call is 5,010 + 1,000 x 20 + 100 x 60 = 31,010 ns, of which
 * 31,010 - 10,000 - 5,000 = 16,010 its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "load.h"
#include "profile.h"
#include "synth.h"

#define S_PS 10000
#define C_PS 20000
#define P_ELF 0x1100
#define L_ELF 0x1200
#define R_ELF 0x1300
#define M_ELF 0x1400

static uint64_t func(struct synth *s, unsigned t, uint64_t elf, uint64_t parent)
{
	uint64_t r = synth_func(s, t, elf);

	synth_rec(s, r)->parent = parent;
	return r;
}

/* One call of `ns` (inclusive), `self` ns its own, as a root or a child. */
static void one_call(struct synth *s, uint64_t r, uint64_t ns, uint64_t self)
{
	synth_calls(s, r, ns, 1);
	synth_rec(s, r)->self_ns = self;
}

static struct synth *make(uint64_t self_ps, uint64_t call_ps)
{
	struct synth *s = synth_new(100, "./app");
	uint64_t p, l, m;

	p = func(s, 1, P_ELF, 0);
	one_call(s, p, 31010, 16010);
	l = func(s, 1, L_ELF, p);
	synth_calls(s, l, 10, 1000);
	m = func(s, 1, M_ELF, p);
	synth_calls(s, m, 50, 100);
	synth_thread_info(s, 0)->hook_self_ps = self_ps;
	synth_thread_info(s, 0)->hook_call_ps = call_ps;
	return s;
}

static const struct pp_entry *find(const struct pp_profile *p, uint64_t off)
{
	for (size_t i = 0; i < p->nentries; i++)
		if (p->entries[i]->kind == PPF_KIND_FUNCTION && p->entries[i]->offset == off)
			return p->entries[i];
	return NULL;
}

static struct pp_profile *load(struct synth *s, int raw)
{
	struct pp_profile *prof = pp_profile_new();
	char err[256];

	assert_non_null(prof);
	prof->raw = raw;
	assert_int_equal(load_buffer(prof, s->buf, s->used, "t", err, sizeof(err)), 0);
	return prof;
}

/* The figures of the work itself: L nothing, its calls moved to the 0 ns
 * bucket; M as measured; P 5,010 its own (its S hidden), 5,010 + 5,000
 * inclusive. */
static void test_comp_tree(void **state)
{
	struct synth *s = make(S_PS, C_PS);
	struct pp_profile *prof = load(s, 0);
	const struct pp_entry *p = find(prof, P_ELF), *l = find(prof, L_ELF),
			      *m = find(prof, M_ELF);

	(void)state;
	assert_non_null(p);
	assert_non_null(l);
	assert_non_null(m);
	assert_int_equal(prof->procs[0].hook_self_ps, S_PS);
	assert_int_equal(prof->procs[0].hook_call_ps, C_PS);
	assert_int_equal(prof->procs[0].compensated, 1);
	assert_int_equal(p->inclusive_ns, 10010);
	assert_int_equal(p->self_ns, 5010);
	assert_int_equal(p->sum_ns, 10010);
	assert_int_equal(l->calls, 1000);
	assert_int_equal(l->inclusive_ns, 0);
	assert_int_equal(l->self_ns, 0);
	assert_int_equal(l->min_ns, 0);
	assert_int_equal(l->max_ns, 0);
	/* every call moved from the 10 ns bucket to the 0 ns one */
	assert_int_equal(pp_hist_bucket(&l->hist, ppf_bucket(10)), 0);
	assert_int_equal(pp_hist_bucket(&l->hist, 0), 1000);
	assert_int_equal(l->hist.count, 1000);
	assert_int_equal(m->inclusive_ns, 5000);
	assert_int_equal(m->self_ns, 5000);
	assert_int_equal(pp_hist_bucket(&m->hist, ppf_bucket(50)), 100);
	/* the path nodes carry the same figures */
	assert_int_equal(prof->npaths, 3);
	for (size_t i = 0; i < prof->npaths; i++) {
		const struct pp_path *n = prof->paths[i];
		uint64_t want = !n->parent ? 10010 : n->st.calls == 100 ? 5000 : 0;

		assert_int_equal(n->st.inclusive_ns, want);
	}
	pp_profile_free(prof);
	synth_free(s);
}

/* --raw, a dump without a calibration, and one of version 4: as measured. */
static void test_comp_raw(void **state)
{
	struct synth *s = make(S_PS, C_PS);
	struct pp_profile *prof = load(s, 1);

	(void)state;
	assert_int_equal(find(prof, P_ELF)->inclusive_ns, 31010);
	assert_int_equal(find(prof, P_ELF)->self_ns, 16010);
	assert_int_equal(find(prof, L_ELF)->inclusive_ns, 10000);
	assert_int_equal(prof->procs[0].compensated, 0);
	assert_int_equal(prof->procs[0].hook_call_ps, C_PS);	/* said, not used */
	pp_profile_free(prof);
	synth_free(s);

	s = make(0, 0);
	prof = load(s, 0);
	assert_int_equal(find(prof, P_ELF)->inclusive_ns, 31010);
	assert_int_equal(prof->procs[0].compensated, 0);
	pp_profile_free(prof);
	synth_free(s);

	synth_version = 4;
	s = make(S_PS, C_PS);
	synth_version = PPF_VERSION;
	prof = load(s, 0);
	assert_int_equal(find(prof, L_ELF)->inclusive_ns, 10000);
	assert_int_equal(prof->procs[0].hook_call_ps, 0);
	assert_int_equal(prof->procs[0].compensated, 0);
	pp_profile_free(prof);
	synth_free(s);
}

/* Figures that cannot be a measurement (S above C, C above 1 ms) are
 * not used. */
static void test_comp_unbelievable(void **state)
{
	static const uint64_t bad[][2] = { { C_PS + 1, C_PS }, { 0, 1000000001ull },
					   { UINT64_MAX, UINT64_MAX } };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct synth *s = make(bad[i][0], bad[i][1]);
		struct pp_profile *prof = load(s, 0);

		assert_int_equal(find(prof, P_ELF)->inclusive_ns, 31010);
		assert_int_equal(prof->procs[0].compensated, 0);
		pp_profile_free(prof);
		synth_free(s);
	}
}

/* A recursion folded onto one node: R called 3 times, 1 of them outermost
 * (R -> R -> R), 900 ns inclusive, 600 its own, a body long enough to hide
 * S: 2 calls of R made by R's frames cost it C - S each: 600 - 20 = 580 its
 * own, 900 - 20 = 880 inclusive.  With 50 ns its own instead, all hooks
 * (3 x S + 2 x (C - S)): no body left to hide S, it loses all 50. */
static void test_comp_recursion(void **state)
{
	struct synth *s = synth_new(100, "./app");
	struct ppf_record *r;
	uint64_t off = func(s, 1, R_ELF, 0);
	struct pp_profile *prof;

	(void)state;
	synth_calls(s, off, 300, 3);
	r = synth_rec(s, off);
	r->inclusive_ns = 900;
	r->self_ns = 600;
	r->outer_calls = 1;
	synth_thread_info(s, 0)->hook_self_ps = S_PS;
	synth_thread_info(s, 0)->hook_call_ps = C_PS;
	prof = load(s, 0);
	assert_int_equal(find(prof, R_ELF)->inclusive_ns, 880);
	assert_int_equal(find(prof, R_ELF)->self_ns, 580);
	pp_profile_free(prof);
	synth_rec(s, off)->self_ns = 50;
	prof = load(s, 0);
	assert_int_equal(find(prof, R_ELF)->self_ns, 0);
	assert_int_equal(find(prof, R_ELF)->inclusive_ns, 900 - 50);
	pp_profile_free(prof);
	synth_free(s);
}

/* Parent links that loop (untrusted input): loaded, nothing below zero,
 * no endless walk. */
static void test_comp_cycle(void **state)
{
	struct synth *s = synth_new(100, "./app");
	uint64_t a = func(s, 1, P_ELF, 0), b = func(s, 1, L_ELF, a);
	struct pp_profile *prof;

	(void)state;
	synth_calls(s, a, 100, 5);
	synth_calls(s, b, 100, 5);
	synth_rec(s, a)->parent = b;
	synth_thread_info(s, 0)->hook_self_ps = S_PS;
	synth_thread_info(s, 0)->hook_call_ps = C_PS;
	prof = load(s, 0);
	assert_int_equal(find(prof, P_ELF)->calls, 5);
	assert_true(find(prof, P_ELF)->inclusive_ns <= 500);
	assert_true(find(prof, L_ELF)->inclusive_ns <= 500);
	pp_profile_free(prof);
	synth_free(s);
}

/* A calibrated dump with no record (a program's statistics just cleared):
 * nothing to take out, and nothing sorted (qsort of none: UBSan). */
static void test_comp_empty(void **state)
{
	struct synth *s = synth_new(100, "./app");
	struct pp_profile *prof;

	(void)state;
	synth_thread_info(s, 0)->hook_self_ps = S_PS;
	synth_thread_info(s, 0)->hook_call_ps = C_PS;
	prof = load(s, 0);
	assert_int_equal(prof->nentries, 0);
	assert_int_equal(prof->procs[0].compensated, 1);
	pp_profile_free(prof);
	synth_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comp_tree),
		cmocka_unit_test(test_comp_raw),
		cmocka_unit_test(test_comp_unbelievable),
		cmocka_unit_test(test_comp_recursion),
		cmocka_unit_test(test_comp_cycle),
		cmocka_unit_test(test_comp_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

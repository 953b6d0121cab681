/* test_cxxname.c - short C++ names (cxxname.c): the levels of detail of
 * names the demangler makes, the constructor and destructor variants read
 * from mangled names, std:: internals, and the choice among entries: each
 * gets the shortest name no other function of the report has.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cxxname.h"
#include "profile.h"

/* What the demangler makes of std::sort's helper over a vector<Item>,
 * sorted by a lambda of Registry::sort_by_area(). */
#define INTROSORT "void std::__introsort_loop<__gnu_cxx::__normal_iterator<Item*, " \
	"std::vector<Item, std::allocator<Item> > >, long, __gnu_cxx::__ops::_Iter_comp_iter<" \
	"Registry::sort_by_area()::{lambda(Item const&, Item const&)#1}> >(__gnu_cxx::" \
	"__normal_iterator<Item*, std::vector<Item, std::allocator<Item> > >, __gnu_cxx::" \
	"__normal_iterator<Item*, std::vector<Item, std::allocator<Item> > >, long, __gnu_cxx::" \
	"__ops::_Iter_comp_iter<Registry::sort_by_area()::{lambda(Item const&, Item const&)#1}>)"
#define LAMBDA "Registry::sort_by_area()::{lambda(Item const&, Item const&)#1}::operator()" \
	"(Item const&, Item const&) const"

static void expect(const char *full, enum cxxname_level level, const char *want)
{
	char buf[1024];
	size_t n = cxxname_shorten(full, level, buf, sizeof(buf));

	if (strcmp(buf, want) != 0)
		print_error("level %d of '%s':\n  got  '%s'\n  want '%s'\n", level, full, buf, want);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static void test_cxxname_shorten_templates(void **state)
{
	(void)state;
	expect(INTROSORT, CXXNAME_SHORT, "std::__introsort_loop<…>");
	expect(INTROSORT, CXXNAME_PARAMS, "std::__introsort_loop<…>(__gnu_cxx::__normal_iterator<…>,"
	       " __gnu_cxx::__normal_iterator<…>, long, __gnu_cxx::__ops::_Iter_comp_iter<…>)");
	expect(INTROSORT, CXXNAME_ARGS1, "std::__introsort_loop<__gnu_cxx::__normal_iterator<…>,"
	       " long, __gnu_cxx::__ops::_Iter_comp_iter<…> >(__gnu_cxx::__normal_iterator<Item*,"
	       " std::vector<…> >, __gnu_cxx::__normal_iterator<Item*, std::vector<…> >, long,"
	       " __gnu_cxx::__ops::_Iter_comp_iter<Registry::sort_by_area()::{lambda(Item const&,"
	       " Item const&)#1}>)");
	expect(INTROSORT, CXXNAME_FULL, INTROSORT);
	expect("std::vector<Item, std::allocator<Item> >::push_back(Item&&)", CXXNAME_SHORT,
	       "std::vector<…>::push_back");
	expect("Item& std::vector<Item, std::allocator<Item> >::emplace_back<Item>(Item&&)",
	       CXXNAME_SHORT, "std::vector<…>::emplace_back<…>");
	/* a return type with spaces and templates of its own */
	expect("std::enable_if<std::__and_<std::__not_<std::__is_tuple_like<Item> > >::value, "
	       "void>::type std::swap<Item>(Item&, Item&)", CXXNAME_SHORT, "std::swap<…>");
	expect("unsigned long const& std::min<unsigned long>(unsigned long const&, unsigned long"
	       " const&)", CXXNAME_PARAMS, "std::min<…>(unsigned long const&, unsigned long const&)");
	/* an expression argument (as c++filt prints it): its '>' is inside
	 * parentheses */
	expect("void f<3>(Foo<((3)>(1))>)", CXXNAME_SHORT, "f<…>");
	expect("void f<3>(Foo<((3)>(1))>)", CXXNAME_PARAMS, "f<…>(Foo<…>)");
	expect("void f<3>(Foo<((3)>(1))>)", CXXNAME_ARGS1, "f<3>(Foo<((3)>(1))>)");
}

static void test_cxxname_shorten_lambdas_operators(void **state)
{
	(void)state;
	expect(LAMBDA, CXXNAME_SHORT, "Registry::sort_by_area::{lambda}");
	expect(LAMBDA, CXXNAME_PARAMS, LAMBDA);
	expect("A::f() const::{lambda()#2}::operator()() const", CXXNAME_SHORT, "A::f::{lambda}");
	expect("A::f(int)::{lambda(int)#1}::_FUN(int)", CXXNAME_SHORT, "A::f::{lambda}::_FUN");
	expect("g()::{unnamed type#1}::run()", CXXNAME_SHORT, "g::{unnamed type}::run");
	expect("bool __gnu_cxx::operator< <Item*, std::vector<Item, std::allocator<Item> > >("
	       "__gnu_cxx::__normal_iterator<Item*, std::vector<Item, std::allocator<Item> > > const&)",
	       CXXNAME_SHORT, "__gnu_cxx::operator< <…>");
	expect("Foo<int>::operator<<(int)", CXXNAME_SHORT, "Foo<…>::operator<<");
	expect("Foo<int>::operator>>=(int)", CXXNAME_PARAMS, "Foo<…>::operator>>=(int)");
	expect("Foo::operator()(int)", CXXNAME_SHORT, "Foo::operator()");
	expect("Foo::operator->() const", CXXNAME_SHORT, "Foo::operator->");
	expect("Foo::operator->() const", CXXNAME_PARAMS, "Foo::operator->() const");
	expect("operator new[](unsigned long)", CXXNAME_SHORT, "operator new[]");
	expect("operator delete(void*, unsigned long)", CXXNAME_SHORT, "operator delete");
	expect("Foo::operator std::vector<int, std::allocator<int> >() const", CXXNAME_SHORT,
	       "Foo::operator std::vector<…>");
	expect("Foo::operator unsigned int() const", CXXNAME_SHORT, "Foo::operator unsigned int");
}

static void test_cxxname_shorten_other_forms(void **state)
{
	(void)state;
	expect("(anonymous namespace)::helper(int)", CXXNAME_SHORT, "(anonymous namespace)::helper");
	expect("std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >"
	       " to_name[abi:cxx11](int)", CXXNAME_SHORT, "to_name");
	expect("to_name[abi:cxx11](int)", CXXNAME_PARAMS, "to_name(int)");
	expect("foo(int) [clone .constprop.0]", CXXNAME_SHORT, "foo");
	expect("foo(int) [clone .constprop.0]", CXXNAME_PARAMS, "foo(int) [clone .constprop.0]");
	expect("non-virtual thunk to Derived::~Derived()", CXXNAME_SHORT,
	       "non-virtual thunk to Derived::~Derived");
	expect("geo::scale(double)", CXXNAME_SHORT, "geo::scale");
	expect("geo::scale(double)", CXXNAME_PARAMS, "geo::scale(double)");
	expect("f(int (*)(char), int [3])", CXXNAME_PARAMS, "f(int (*)(char), int [3])");
	/* not C++: as they are */
	expect("main", CXXNAME_SHORT, "main");
	expect("prog+0x1f0", CXXNAME_SHORT, "prog+0x1f0");
	expect("compute.part.0", CXXNAME_SHORT, "compute.part.0");
	/* brackets that never close: cut there, nothing read past the end */
	expect("broken<int, std::vector<int(", CXXNAME_SHORT, "broken<…>");
	expect("broken(int, (", CXXNAME_PARAMS, "broken(int, (");
}

static void test_cxxname_shorten_small_buffer(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(cxxname_shorten(INTROSORT, CXXNAME_SHORT, buf, sizeof(buf)),
			 strlen("std::__introsort_loop<…>"));
	assert_string_equal(buf, "std::__");
	assert_int_equal(cxxname_shorten("main", CXXNAME_SHORT, NULL, 0), 4);
}

static void test_cxxname_variant(void **state)
{
	(void)state;
	assert_int_equal(cxxname_variant("_ZN3geo4RectD0Ev"), CXXNAME_DELETING);
	assert_int_equal(cxxname_variant("_ZN3geo4RectD1Ev"), CXXNAME_PLAIN);
	assert_int_equal(cxxname_variant("_ZN3geo4RectD2Ev"), CXXNAME_BASE);
	assert_int_equal(cxxname_variant("_ZN3geo4RectC1Edd"), CXXNAME_PLAIN);
	assert_int_equal(cxxname_variant("_ZN3geo4RectC2Edd"), CXXNAME_BASE);
	assert_int_equal(cxxname_variant("_ZN3FooIiED0Ev"), CXXNAME_DELETING);
	assert_int_equal(cxxname_variant("_ZN3FooC2IiEET_"), CXXNAME_BASE);
	assert_int_equal(cxxname_variant("_ZN3geo5scaleEd"), CXXNAME_PLAIN);
	assert_int_equal(cxxname_variant("_Z3food"), CXXNAME_PLAIN);
	assert_int_equal(cxxname_variant("main"), CXXNAME_PLAIN);
	assert_int_equal(cxxname_variant(""), CXXNAME_PLAIN);
	assert_int_equal(cxxname_variant(NULL), CXXNAME_PLAIN);
}

static void test_cxxname_is_std(void **state)
{
	(void)state;
	assert_true(cxxname_is_std(INTROSORT));
	assert_true(cxxname_is_std("std::vector<Item, std::allocator<Item> >::push_back(Item&&)"));
	assert_true(cxxname_is_std("Item* std::__relocate_a<Item*, Item*>(Item*, Item*)"));
	assert_true(cxxname_is_std("__gnu_cxx::__normal_iterator<Item*, std::vector<Item,"
				   " std::allocator<Item> > >::base() const"));
	assert_false(cxxname_is_std("std::vector<int, std::allocator<int> > make_list(int)"));
	assert_false(cxxname_is_std(LAMBDA));
	assert_false(cxxname_is_std("main"));
	assert_false(cxxname_is_std("stdio_thing"));
	assert_false(cxxname_is_std(NULL));
}

/* A profile of function entries already named with these full names (the
 * way a report built without symbols finds them), and a region. */
static struct pp_profile *named(const char *const *full, size_t n)
{
	struct pp_profile *prof = pp_profile_new();

	assert_non_null(prof);
	assert_int_equal(pp_profile_module(prof, "/bin/prog", NULL, 0), 0);
	for (size_t i = 0; i < n; i++) {
		struct pp_entry *e = pp_profile_entry(prof, PPF_KIND_FUNCTION, 0,
						      0x100 * (uint64_t)(i + 1), NULL);

		assert_non_null(e);
		e->name = pp_profile_strndup(prof, full[i], strlen(full[i]));
	}
	assert_non_null(pp_profile_entry(prof, PPF_KIND_REGION, -1, 0, "geo::scale"));
	return prof;
}

static void test_cxxname_assign_until_distinct(void **state)
{
	static const char *const full[] = {
		"geo::scale(int)", "geo::scale(double)", INTROSORT,
		"int convert<int>(int)", "long convert<long>(int)",
		"dup(int)", "dup(int)", "main",
	};
	static const char *const want[] = {
		"geo::scale(int)", "geo::scale(double)", "std::__introsort_loop<…>",
		"convert<int>(int)", "convert<long>(int)",
		"dup(int)", "dup(int)", "main",
	};
	struct pp_profile *prof = named(full, 8);

	(void)state;
	assert_int_equal(cxxname_assign(prof, NULL, 0), 0);
	for (size_t i = 0; i < 8; i++) {
		assert_string_equal(prof->entries[i]->name, want[i]);
		assert_string_equal(prof->entries[i]->full_name, full[i]);
	}
	/* a region is no function: its name stays, and it takes none away */
	assert_string_equal(prof->entries[8]->name, "geo::scale");
	assert_null(prof->entries[8]->full_name);
	/* built again (a second report of the same profile): the same names */
	assert_int_equal(cxxname_assign(prof, NULL, 0), 0);
	assert_string_equal(prof->entries[2]->name, "std::__introsort_loop<…>");
	assert_string_equal(prof->entries[3]->name, "convert<int>(int)");
	/* --full-names */
	assert_int_equal(cxxname_assign(prof, NULL, 1), 0);
	for (size_t i = 0; i < 8; i++)
		assert_string_equal(prof->entries[i]->name, full[i]);
	pp_profile_free(prof);
}

/* With no symbol at all, a function is "module+0xOFFSET", kept as it is. */
static void test_cxxname_assign_fallback(void **state)
{
	struct pp_profile *prof = pp_profile_new();
	struct pp_entry *e;

	(void)state;
	assert_non_null(prof);
	assert_int_equal(pp_profile_module(prof, "/usr/lib/libx.so", NULL, 0), 0);
	e = pp_profile_entry(prof, PPF_KIND_FUNCTION, 0, 0x1f0, NULL);
	assert_non_null(e);
	assert_int_equal(cxxname_assign(prof, NULL, 0), 0);
	assert_string_equal(e->name, "libx.so+0x1f0");
	assert_string_equal(e->full_name, "libx.so+0x1f0");
	pp_profile_free(prof);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cxxname_shorten_templates),
		cmocka_unit_test(test_cxxname_shorten_lambdas_operators),
		cmocka_unit_test(test_cxxname_shorten_other_forms),
		cmocka_unit_test(test_cxxname_shorten_small_buffer),
		cmocka_unit_test(test_cxxname_variant),
		cmocka_unit_test(test_cxxname_is_std),
		cmocka_unit_test(test_cxxname_assign_until_distinct),
		cmocka_unit_test(test_cxxname_assign_fallback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

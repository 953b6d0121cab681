/* test_route.c - endpoint names (request/route.c), alone
 *
 * request_normalise, request_is_id and request_template_valid, linked with
 * request/route.o and nothing else (Makefile, REQUEST_PURE): ids merged,
 * query strings, fragments and absolute URIs dropped, unprintable bytes
 * replaced, long names cut, templates matched first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "paraprof.h"
#include "request.h"

/* request_normalise with no templates into a 128-byte buffer. */
static const char *norm(const char *method, const char *path)
{
	static char buf[PARAPROF_ROUTE_MAX];
	size_t n = request_normalise(method, path, NULL, 0, buf, sizeof(buf));

	assert_int_equal(n, strlen(buf));
	return buf;
}

static void test_route_numeric_ids_merge(void **state)
{
	(void)state;
	assert_string_equal(norm("GET", "/api/agents/42"), "GET /api/agents/{id}");
	assert_string_equal(norm("GET", "/api/agents/43"), "GET /api/agents/{id}");
	assert_string_equal(norm("GET", "/api/agents/0/runs/77"), "GET /api/agents/{id}/runs/{id}");
	assert_string_equal(norm("DELETE", "/1"), "DELETE /{id}");
	/* words and mixed segments stay */
	assert_string_equal(norm("GET", "/api/v1/agents"), "GET /api/v1/agents");
	assert_string_equal(norm("GET", "/api/agents/a42"), "GET /api/agents/a42");
	assert_string_equal(norm("GET", "/api/agents/-42"), "GET /api/agents/-42");
}

static void test_route_uuid_and_hex_ids(void **state)
{
	(void)state;
	assert_string_equal(norm("GET", "/a/123e4567-e89b-12d3-a456-426614174000/b"),
			    "GET /a/{id}/b");
	assert_string_equal(norm("GET", "/a/123E4567-E89B-12D3-A456-426614174000"), "GET /a/{id}");
	/* dashes in the wrong places, a non-hex digit, one digit short: kept */
	assert_string_equal(norm("GET", "/a/123e4567e-89b-12d3-a456-42661417400"),
			    "GET /a/123e4567e-89b-12d3-a456-42661417400");
	assert_string_equal(norm("GET", "/a/123e4567-e89b-12d3-a456-42661417400g"),
			    "GET /a/123e4567-e89b-12d3-a456-42661417400g");
	assert_string_equal(norm("GET", "/a/123e4567-e89b-12d3-a456-42661417400"),
			    "GET /a/123e4567-e89b-12d3-a456-42661417400");
	/* 16 hex digits and more are an id, 15 are not, nor a hex word */
	assert_string_equal(norm("GET", "/blob/deadbeefcafef00d"), "GET /blob/{id}");
	assert_string_equal(norm("GET", "/blob/DEADBEEFCAFEF00D1234"), "GET /blob/{id}");
	assert_string_equal(norm("GET", "/blob/deadbeefcafef00"), "GET /blob/deadbeefcafef00");
	assert_string_equal(norm("GET", "/blob/cafe"), "GET /blob/cafe");

	assert_true(request_is_id("7", 1));
	assert_true(request_is_id("00000000-0000-0000-0000-000000000000", 36));
	assert_false(request_is_id("", 0));
	assert_false(request_is_id("12x", 3));
	assert_true(request_is_id("12x", 2));	/* only len bytes count */
}

static void test_route_query_fragment_and_uri(void **state)
{
	(void)state;
	assert_string_equal(norm("GET", "/api/agents/42?verbose=1&x=/7"), "GET /api/agents/{id}");
	assert_string_equal(norm("GET", "/docs#section/3"), "GET /docs");
	assert_string_equal(norm("GET", "http://example.org:8080/api/9?q"), "GET /api/{id}");
	assert_string_equal(norm("GET", "HTTPS://example.org"), "GET /");
	assert_string_equal(norm("GET", ""), "GET /");
	assert_string_equal(norm("GET", "?only=query"), "GET /");
	assert_string_equal(norm("OPTIONS", "*"), "OPTIONS /*");
	/* empty segments and a trailing slash are kept: they are other URLs */
	assert_string_equal(norm("GET", "/api/agents/"), "GET /api/agents/");
	assert_string_equal(norm("GET", "//x//5"), "GET //x//{id}");
}

static void test_route_unprintable_bytes_and_method(void **state)
{
	(void)state;
	assert_string_equal(norm("GET", "/a b/c\nd\t/\x01\x7f\xc3\xa9"), "GET /a?b/c?d?/????");
	assert_string_equal(norm("GE T", "/"), "GE?T /");
	assert_string_equal(norm("", "/x"), "- /x");
	/* a method is cut at 16 bytes */
	assert_string_equal(norm("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "/x"), "ABCDEFGHIJKLMNOP /x");
}

static void test_route_long_names_are_cut(void **state)
{
	char path[400], buf[PARAPROF_ROUTE_MAX], small[12];
	size_t n;

	(void)state;
	memset(path, 'x', sizeof(path) - 1);	/* not hex: no id */
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	n = request_normalise("GET", path, NULL, 0, buf, sizeof(buf));
	assert_int_equal(n, sizeof(buf) - 1);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_memory_equal(buf, "GET /xxx", 8);
	assert_string_equal(buf + n - 3, "...");

	n = request_normalise("GET", "/api/agents/42", NULL, 0, small, sizeof(small));
	assert_string_equal(small, "GET /api...");
	assert_int_equal(n, sizeof(small) - 1);
	n = request_normalise("GET", "/x", NULL, 0, small, 1);
	assert_int_equal(n, 0);
	assert_string_equal(small, "");
	small[0] = 'z';
	assert_int_equal(request_normalise("GET", "/x", NULL, 0, small, 0), 0);
	assert_int_equal(small[0], 'z');	/* nothing written */
	/* exactly full is not cut */
	n = request_normalise("GET", "/abcdef", NULL, 0, small, sizeof(small));
	assert_string_equal(small, "GET /abcdef");
	assert_int_equal(n, 11);
}

static void test_route_templates_match_first(void **state)
{
	const char *const tpl[] = { "/api/agents/{name}/tools", "/api/agents/{x}", "/files/{p}/raw",
				    "/api/{a}/{b}/tools" };
	char buf[PARAPROF_ROUTE_MAX];

	(void)state;
	request_normalise("GET", "/api/agents/bob/tools?all=1", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "GET /api/agents/{name}/tools");
	request_normalise("POST", "/api/agents/42/tools", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "POST /api/agents/{name}/tools");	/* the first, not the id rule */
	request_normalise("GET", "/api/agents/bob", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "GET /api/agents/{x}");
	request_normalise("GET", "/api/other/bob/tools", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "GET /api/{a}/{b}/tools");
	/* an empty segment does not match {x}; more or fewer segments do not match */
	request_normalise("GET", "/api/agents//tools", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "GET /api/agents//tools");
	request_normalise("GET", "/api/agents/bob/tools/extra", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "GET /api/agents/bob/tools/extra");
	request_normalise("GET", "/api/agents", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "GET /api/agents");
	request_normalise("GET", "/files/7/raw/", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "GET /files/{id}/raw/");
	/* without templates the id rules apply */
	request_normalise("GET", "/api/agents/42/tools", tpl, 0, buf, sizeof(buf));
	assert_string_equal(buf, "GET /api/agents/{id}/tools");

	assert_true(request_template_valid("/api/{x}", 111));
	assert_false(request_template_valid(NULL, 111));
	assert_false(request_template_valid("api/{x}", 111));
	assert_false(request_template_valid("/a b", 111));
	assert_false(request_template_valid("/a?b", 111));
	assert_false(request_template_valid("/a#b", 111));
	assert_false(request_template_valid("/abcd", 5));
	assert_true(request_template_valid("/abc", 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_numeric_ids_merge),
		cmocka_unit_test(test_route_uuid_and_hex_ids),
		cmocka_unit_test(test_route_query_fragment_and_uri),
		cmocka_unit_test(test_route_unprintable_bytes_and_method),
		cmocka_unit_test(test_route_long_names_are_cut),
		cmocka_unit_test(test_route_templates_match_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

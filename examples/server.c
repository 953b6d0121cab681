/* server.c - request profiling in a real HTTP server (libmicrohttpd)
 *
 * The seed's ProfilerMiddleware, in C: every request is begun when its
 * headers have arrived and ended when its response has been sent, and every
 * response carries X-Process-Time (seconds) and X-Request-Count.  Endpoints
 * of different costs, on 127.0.0.1 only:
 *
 *   GET  /api/health              fast
 *   GET  /api/agents/{id}         a chain of functions: load, parse, validate, render
 *   POST /api/workflows/{id}/run  medium: a few milliseconds of steps
 *   GET  /api/slow                deliberately slow: about 1.2 s
 *   GET  /api/stats               the endpoint statistics, as JSON
 *   anything else                 404 (405 for a known path with another method)
 *
 * Usage: server [PORT]   (0 or nothing: a free port; "listening on PORT" is
 * printed either way).  SIGTERM or SIGINT stops it cleanly: it prints the
 * statistics of every endpoint ("endpoint NAME count=N ...") and exits, so
 * that the library writes its dump.
 *
 *   cc -O2 -g -finstrument-functions -Iinclude -o server examples/server.c -lmicrohttpd
 *   LD_PRELOAD=build/libparaprof.so ./server 8080
 *   curl -i http://127.0.0.1:8080/api/agents/42
 *
 * Without the library it runs the same, timing and counting requests
 * itself, so that a benchmark can compare the two.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <paraprof.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What the server keeps for one request between MHD's callbacks. */
struct request_ctx {
	paraprof_request_t req;		/* the library's handle */
	struct timespec start;		/* own clock: when the library is absent */
	unsigned long long number;	/* own count: idem */
	int status;			/* the status queued, 0 before */
};

static unsigned long long requests;	/* own count of requests (atomic) */
static volatile unsigned long sink;	/* keeps the busy work from being optimised out */

/* ---- the work behind the endpoints ---- */

/* About `units` x 1 us of arithmetic. */
void busy_work(unsigned units);
void busy_work(unsigned units)
{
	unsigned long h = sink;

	for (unsigned i = 0; i < units * 300; i++)
		h = (h ^ i) * 1099511628211ul;
	sink = h;
}

struct agent {
	char id[64];
	char name[64];
	int tools;
	int valid;
};

/* The "file" an agent's spec would be read from. */
int read_spec_source(const char *id, char *buf, size_t cap);
int read_spec_source(const char *id, char *buf, size_t cap)
{
	busy_work(20);
	return snprintf(buf, cap, "id=%s\nname=agent-%s\ntools=%zu\n", id, id, strlen(id) % 7 + 1);
}

int parse_agent_spec(const char *text, struct agent *a);
int parse_agent_spec(const char *text, struct agent *a)
{
	busy_work(30);
	memset(a, 0, sizeof(*a));
	return sscanf(text, "id=%63[^\n]\nname=%63[^\n]\ntools=%d", a->id, a->name, &a->tools) == 3
		       ? 0 : -1;
}

int validate_agent(struct agent *a);
int validate_agent(struct agent *a)
{
	busy_work(10);
	a->valid = a->tools > 0 && a->name[0];
	return a->valid ? 0 : -1;
}

int load_agent_spec(const char *id, struct agent *a);
int load_agent_spec(const char *id, struct agent *a)
{
	char text[256];

	if (read_spec_source(id, text, sizeof(text)) < 0 || parse_agent_spec(text, a) < 0)
		return -1;
	return validate_agent(a);
}

int render_agent_json(const struct agent *a, char *buf, size_t cap);
int render_agent_json(const struct agent *a, char *buf, size_t cap)
{
	busy_work(10);
	return snprintf(buf, cap, "{\"id\": \"%s\", \"name\": \"%s\", \"tools\": %d}\n", a->id,
			a->name, a->tools);
}

void run_step(int step);
void run_step(int step)
{
	busy_work(500 + 50 * (unsigned)step);
}

int run_workflow(const char *id, char *buf, size_t cap);
int run_workflow(const char *id, char *buf, size_t cap)
{
	for (int step = 0; step < 6; step++)
		run_step(step);
	return snprintf(buf, cap, "{\"workflow\": \"%s\", \"steps\": 6, \"status\": \"done\"}\n", id);
}

int build_slow_report(char *buf, size_t cap);
int build_slow_report(char *buf, size_t cap)
{
	struct timespec ts = { 1, 200000000 };	/* 1.2 s, over the 1.0 s threshold */

	while (nanosleep(&ts, &ts) != 0)
		;
	return snprintf(buf, cap, "{\"report\": \"done\"}\n");
}

/* ---- /api/stats: the in-process queries ---- */

struct stats_buf {
	char *buf;
	size_t cap, len;
};

static int add_endpoint(const struct paraprof_endpoint_stats *st, void *ctx)
{
	struct stats_buf *sb = ctx;
	int n = snprintf(sb->buf + sb->len, sb->cap - sb->len,
			 "%s{\"endpoint\": \"%s\", \"count\": %llu, \"avg_ns\": %llu, \"p95_ns\": %llu,"
			 " \"p99_ns\": %llu, \"max_ns\": %llu, \"errors\": %llu, \"slow\": %llu}",
			 sb->len > 1 ? ",\n " : "", st->endpoint, (unsigned long long)st->count,
			 (unsigned long long)st->avg_ns, (unsigned long long)st->p95_ns,
			 (unsigned long long)st->p99_ns, (unsigned long long)st->max_ns,
			 (unsigned long long)st->errors, (unsigned long long)st->slow);

	if (n < 0 || (size_t)n >= sb->cap - sb->len)
		return 1;	/* full: stop */
	sb->len += (size_t)n;
	return 0;
}

int render_stats(char *buf, size_t cap);
int render_stats(char *buf, size_t cap)
{
	struct stats_buf sb = { buf, cap - 3, 1 };

	buf[0] = '[';
	if (paraprof_request_foreach(add_endpoint, &sb) < 0)
		sb.len = 1;	/* profiling off: an empty list */
	memcpy(buf + sb.len, "]\n", 3);
	return (int)sb.len + 2;
}

/* ---- HTTP ---- */

/* Copies the one segment of `url` after `prefix` (no '/' in it) into id;
 * with `suffix`, the rest must be exactly that.  1 when it matches. */
static int match_id(const char *url, const char *prefix, const char *suffix, char *id,
		    size_t cap)
{
	size_t plen = strlen(prefix), n;
	const char *rest;

	if (strncmp(url, prefix, plen) != 0)
		return 0;
	n = strcspn(url + plen, "/");
	rest = url + plen + n;
	if (!n || n >= cap || strcmp(rest, suffix ? suffix : "") != 0)
		return 0;
	memcpy(id, url + plen, n);
	id[n] = '\0';
	return 1;
}

/* Runs the endpoint for (method, url): fills body and returns the status. */
static int dispatch(const char *method, const char *url, char *body, size_t cap)
{
	int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
	struct agent a;
	char id[64];

	if (!strcmp(url, "/api/health")) {
		if (!get)
			goto not_allowed;
		snprintf(body, cap, "{\"status\": \"ok\"}\n");
		return 200;
	}
	if (match_id(url, "/api/agents/", NULL, id, sizeof(id))) {
		if (!get)
			goto not_allowed;
		if (load_agent_spec(id, &a) < 0) {
			snprintf(body, cap, "{\"error\": \"bad agent\"}\n");
			return 500;
		}
		render_agent_json(&a, body, cap);
		return 200;
	}
	if (match_id(url, "/api/workflows/", "/run", id, sizeof(id))) {
		if (!post)
			goto not_allowed;
		run_workflow(id, body, cap);
		return 200;
	}
	if (!strcmp(url, "/api/slow")) {
		if (!get)
			goto not_allowed;
		build_slow_report(body, cap);
		return 200;
	}
	if (!strcmp(url, "/api/stats")) {
		if (!get)
			goto not_allowed;
		render_stats(body, cap);
		return 200;
	}
	snprintf(body, cap, "{\"error\": \"not found\"}\n");
	return 404;
not_allowed:
	snprintf(body, cap, "{\"error\": \"method not allowed\"}\n");
	return 405;
}

/* The two header values, from the library or, without it, our own. */
static void header_values(const struct request_ctx *ctx, char *ptime, size_t pcap,
			  char *count, size_t ccap)
{
	struct timespec now;

	if (paraprof_request_headers(&ctx->req, ptime, pcap, count, ccap) == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(ptime, pcap, "%.6f", (double)(now.tv_sec - ctx->start.tv_sec) +
		 (double)(now.tv_nsec - ctx->start.tv_nsec) / 1e9);
	snprintf(count, ccap, "%llu", ctx->number);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct request_ctx *ctx = *con_cls;
	struct MHD_Response *resp;
	static char body_none[1];
	char *body, ptime[32], count[32];
	enum MHD_Result ret;
	size_t cap = 16384;

	(void)cls;
	(void)version;
	(void)upload_data;
	if (!ctx) {	/* the headers are in: the request begins */
		ctx = calloc(1, sizeof(*ctx));
		if (!ctx)
			return MHD_NO;
		ctx->req = paraprof_request_begin(method, url);
		clock_gettime(CLOCK_MONOTONIC, &ctx->start);
		ctx->number = __atomic_add_fetch(&requests, 1, __ATOMIC_RELAXED);
		*con_cls = ctx;
		return MHD_YES;
	}
	if (*upload_size) {	/* a body: this server ignores it */
		*upload_size = 0;
		return MHD_YES;
	}
	body = malloc(cap);
	if (!body)
		body = body_none, cap = 1;
	ctx->status = cap > 1 ? dispatch(method, url, body, cap) : 500;
	header_values(ctx, ptime, sizeof(ptime), count, sizeof(count));
	resp = MHD_create_response_from_buffer(strlen(body), body,
					       body == body_none ? MHD_RESPMEM_PERSISTENT
								 : MHD_RESPMEM_MUST_FREE);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "X-Process-Time", ptime);
	MHD_add_response_header(resp, "X-Request-Count", count);
	ret = MHD_queue_response(conn, (unsigned)ctx->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The response has been sent (or the connection failed): the request ends. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request_ctx *ctx = *con_cls;

	(void)cls;
	(void)conn;
	if (!ctx)
		return;
	/* a request that was not answered counts as status 0 ("other") */
	paraprof_request_end(&ctx->req, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? ctx->status : 0);
	free(ctx);
	*con_cls = NULL;
}

static int print_endpoint(const struct paraprof_endpoint_stats *st, void *ctx)
{
	(void)ctx;
	printf("endpoint %s count=%llu avg_ns=%llu p95_ns=%llu max_ns=%llu 2xx=%llu 4xx=%llu "
	       "5xx=%llu slow=%llu\n", st->endpoint, (unsigned long long)st->count,
	       (unsigned long long)st->avg_ns, (unsigned long long)st->p95_ns,
	       (unsigned long long)st->max_ns, (unsigned long long)st->status_2xx,
	       (unsigned long long)st->status_4xx, (unsigned long long)st->status_5xx,
	       (unsigned long long)st->slow);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	sigset_t stop;
	char *end;
	long port = 0;
	int sig;

	if (argc > 2 || (argc == 2 && ((port = strtol(argv[1], &end, 10)) < 0 || port > 65535 ||
				       *end || end == argv[1]))) {
		fprintf(stderr, "usage: %s [PORT]   (0: a free port)\n", argv[0]);
		return 2;
	}
	/* named workflows ("nightly") are one endpoint too, not only numeric ids */
	paraprof_request_route("/api/workflows/{id}/run");

	/* SIGTERM and SIGINT are taken by sigwait() below; blocked before the
	 * daemon starts, so that none of its threads gets them */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, 30u,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "server: cannot listen on 127.0.0.1:%ld\n", port);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("listening on %u\n", info ? (unsigned)info->port : (unsigned)port);
	fflush(stdout);

	sigwait(&stop, &sig);
	MHD_stop_daemon(d);	/* waits for the connections' threads */
	printf("stopped by signal %d after %llu requests\n", sig,
	       (unsigned long long)__atomic_load_n(&requests, __ATOMIC_RELAXED));
	paraprof_request_foreach(print_endpoint, NULL);
	return 0;
}

/* exporter.c - paraprof-exporter: serves /metrics over HTTP (libmicrohttpd)
 *
 * Parses the options, listens (on loopback unless told otherwise) and
 * answers GET /metrics with a scrape (exporter_metrics.c) in the text
 * format, or in OpenMetrics when the Accept header asks for it.  One
 * thread serves every connection, so scrapes never overlap: one profile
 * and one response are held at a time, and the counters need no lock.
 * The main thread waits for SIGTERM, SIGINT or SIGHUP and stops cleanly.
 *
 * Exit status: 0 stopped by a signal, 1 could not listen, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "escape.h"
#include "exporter.h"
#include "paraprof/format.h"

#ifndef PARAPROF_VERSION_STRING
#define PARAPROF_VERSION_STRING "0.1.0"
#endif

#define EXIT_LISTEN 1
#define EXIT_USAGE 2
#define DEFAULT_LISTEN "127.0.0.1:9464"
#define CONNECTION_LIMIT 32		/* connections at once */
#define CONNECTION_TIMEOUT 30		/* seconds of idleness before a connection is closed */
#define SEND_BLOCK (256u << 10)		/* bytes MHD reads from a scrape at a time */
#define HEAP_KEEP (32 << 20)		/* bytes of free heap kept for the next scrape */

#define CT_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define CT_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

static const char usage[] =
	"Usage: paraprof-exporter [OPTION]...\n"
	"Serves the profiles of this user's running programs (their live paraprof\n"
	"segments in /dev/shm) and of the dumps in DIR as Prometheus metrics on\n"
	"http://ADDRESS/metrics.\n"
	"\n"
	"  -l, --listen ADDRESS   HOST:PORT to listen on (default " DEFAULT_LISTEN ");\n"
	"                         [IPv6]:PORT; port 0 takes a free port\n"
	"  -d, --dir DIR          also export the dumps (*.ppd) in DIR\n"
	"  -t, --top N            entries per process, by total time (default 50; 0 = all);\n"
	"                         the rest are summed under function=\"(other)\"\n"
	"  -b, --buckets LIST     histogram bounds, ascending (default a 1-2-5 series,\n"
	"                         1us to 10s), e.g. 1ms,10ms,100ms,1s; each is moved to\n"
	"                         the nearest histogram bucket end (by at most 1/128)\n"
	"      --raw              times as measured, the hooks' own cost left in them\n"
	"  -v, --verbose          say on stderr why a segment or dump was skipped\n"
	"  -h, --help             print this help and exit\n"
	"  -V, --version          print the version and exit\n"
	"\n"
	"Exit status: 0 stopped by SIGTERM or SIGINT, 1 cannot listen, 2 usage.\n";

/* What the request handler needs; touched by the daemon's one thread only. */
struct server {
	struct exp_config cfg;
	struct exp_counters ctr;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "paraprof-exporter: <message>" on stderr, escaped (paths come from users). */
static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fputs("paraprof-exporter: ", stderr);
	esc_fputs(line, stderr);
	fputc('\n', stderr);
}

/* Queues a response of `len` bytes at `body` (taken when `owned`). */
static enum MHD_Result respond(struct server *sv, struct MHD_Connection *c, unsigned status,
			       const char *type, char *body, size_t len, int owned)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, owned ?
					MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	sv->ctr.http[status == 200 ? EXP_HTTP_200 : status == 404 ? EXP_HTTP_404 :
		     status == 405 ? EXP_HTTP_405 : EXP_HTTP_500]++;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == 405)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* A scrape being sent: its chunks and how far the response has read. */
struct sending {
	struct exp_buf out;
	const struct exp_chunk *chunk;	/* the chunk being read, NULL at the end */
	size_t at;			/* bytes of it already read */
};

/* MHD's reader: the next bytes of the scrape, in order (MHD reads a
 * response of a known size from position 0 up, never seeking back). */
static ssize_t read_scrape(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sending *sd = cls;
	size_t n = 0;

	(void)pos;
	while (n < max && sd->chunk) {
		size_t take = sd->chunk->len - sd->at;

		if (take > max - n)
			take = max - n;
		memcpy(buf + n, sd->chunk->data + sd->at, take);
		n += take;
		sd->at += take;
		if (sd->at == sd->chunk->len) {
			sd->chunk = sd->chunk->next;
			sd->at = 0;
		}
	}
	return n ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

/* The free callback of a scrape's response. */
static void free_scrape(void *cls)
{
	struct sending *sd = cls;

	exp_buf_free(&sd->out);
	free(sd);
}

/* Queues the scrape in sd->out as a 200 response, read from its chunks in
 * blocks of SEND_BLOCK bytes (not an iovec per chunk: MHD copies an iovec
 * array into the connection's small memory pool, which a big scrape
 * overflows); the response frees sd. */
static enum MHD_Result respond_scrape(struct server *sv, struct MHD_Connection *c,
				      const char *type, struct sending *sd)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	sd->chunk = sd->out.head;
	sd->at = 0;
	r = MHD_create_response_from_callback(sd->out.len, SEND_BLOCK, read_scrape, sd,
					      free_scrape);
	if (!r) {
		free_scrape(sd);
		return MHD_NO;
	}
	sv->ctr.http[EXP_HTTP_200]++;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return rc;
}

/* 1 when the scraper's Accept header asks for OpenMetrics (Prometheus
 * lists it first when it can parse it). */
static int wants_openmetrics(struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);

	return accept && strstr(accept, "application/openmetrics-text") != NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **req)
{
	static char not_found[] = "Not found: try /metrics\n";
	static char not_allowed[] = "Only GET and HEAD\n";
	static char index_page[] = "paraprof-exporter: the metrics are at /metrics\n";
	static int first;
	struct server *sv = cls;

	(void)version;
	(void)upload;
	/* the first call for a request comes with its headers; a body, if
	 * any, follows in later calls and is ignored */
	if (!*req) {
		*req = &first;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond(sv, c, 405, "text/plain", not_allowed, sizeof(not_allowed) - 1, 0);
	if (strcmp(url, "/") == 0)
		return respond(sv, c, 200, "text/plain", index_page, sizeof(index_page) - 1, 0);
	if (strcmp(url, "/metrics"))
		return respond(sv, c, 404, "text/plain", not_found, sizeof(not_found) - 1, 0);

	int om = wants_openmetrics(c);
	struct sending *sd = calloc(1, sizeof(*sd));
	char err[512] = "out of memory";

	if (!sd || exp_scrape(&sv->cfg, &sv->ctr, om, &sd->out, err, sizeof(err))) {
		free(sd);
		say("scrape failed: %s", err);
		char *msg = NULL;
		int n = asprintf(&msg, "paraprof-exporter: scrape failed: %s\n", err);

		if (n < 0)
			return MHD_NO;
		return respond(sv, c, 500, "text/plain", msg, (size_t)n, 1);
	}
	return respond_scrape(sv, c, om ? CT_OPENMETRICS : CT_TEXT, sd);
}

/* Parses "HOST:PORT" or "[V6]:PORT" into *addr.  0, or -1 with err. */
static int parse_listen(const char *spec, struct sockaddr_storage *addr, char *err,
			size_t errlen)
{
	char host[256];
	const char *colon = strrchr(spec, ':'), *h = spec;
	size_t hl;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *res;

	if (!colon || !colon[1]) {
		snprintf(err, errlen, "--listen: '%s' is not HOST:PORT", spec);
		return -1;
	}
	hl = (size_t)(colon - spec);
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		h = spec + 1;
		hl -= 2;
	}
	if (hl >= sizeof(host)) {
		snprintf(err, errlen, "--listen: host name too long");
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	int rc = getaddrinfo(hl ? host : NULL, colon + 1, &hints, &res);

	if (rc) {
		snprintf(err, errlen, "--listen: %s: %s", spec, gai_strerror(rc));
		return -1;
	}
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static int parse_top(const char *s, uint64_t *top)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*top = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "dir", required_argument, NULL, 'd' },
		{ "top", required_argument, NULL, 't' },
		{ "buckets", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "raw", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct server sv;	/* static: its address outlives the daemon's thread */
	const char *listen = DEFAULT_LISTEN;
	struct sockaddr_storage addr;
	char err[512];
	int c;

	/* A scrape copies each segment into a buffer of its size and frees it
	 * before the next: taken from the heap rather than a fresh mapping
	 * each time, its pages are not faulted in again for every process (a
	 * third of a scrape's time, measured).  The heap gives back what is
	 * free at its top beyond HEAP_KEEP, so what stays between scrapes is
	 * bounded. */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, HEAP_KEEP);
	sv.cfg.top = 50;
	exp_default_bounds(&sv.cfg);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "l:d:t:b:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'd': sv.cfg.dir = optarg; break;
		case 't':
			if (parse_top(optarg, &sv.cfg.top)) {
				say("--top: '%s' is not a number", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'b':
			if (exp_parse_bounds(optarg, &sv.cfg, err, sizeof(err))) {
				say("%s", err);
				return EXIT_USAGE;
			}
			break;
		case 'v': sv.cfg.verbose = 1; break;
		case 'r': sv.cfg.raw = 1; break;
		case 'h': fputs(usage, stdout); return fflush(stdout) ? EXIT_USAGE : 0;
		case 'V':
			printf("paraprof-exporter %s (dump format version %d)\n",
			       PARAPROF_VERSION_STRING, PPF_VERSION);
			return fflush(stdout) ? EXIT_USAGE : 0;
		default:
			say("%s: unknown option or missing value (see --help)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		say("%s: unexpected argument (see --help)", argv[optind]);
		return EXIT_USAGE;
	}
	if (parse_listen(listen, &addr, err, sizeof(err))) {
		say("%s", err);
		return EXIT_USAGE;
	}

	/* the daemon's thread inherits this mask: the signals come to sigwait */
	sigset_t stop;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
		(addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, NULL, NULL, handle, &sv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT,
		MHD_OPTION_END);

	if (!d) {
		say("cannot listen on %s (see the message above)", listen);
		return EXIT_LISTEN;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	char host[128] = "";

	if (addr.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&addr)->sin6_addr, host, sizeof(host));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&addr)->sin_addr, host, sizeof(host));
	/* one line a test or a wrapper can read the port from */
	fprintf(stderr, "paraprof-exporter: listening on http://%s%s%s:%u/metrics\n",
		addr.ss_family == AF_INET6 ? "[" : "", host, addr.ss_family == AF_INET6 ? "]" : "",
		info ? (unsigned)info->port : 0);
	fflush(stderr);

	int sig = 0;

	while (sigwait(&stop, &sig) != 0)
		;
	MHD_stop_daemon(d);
	return 0;
}

/* cmd_logs.c - drover logs RUN [STEP] [-f] [--stream stdout|stderr] [--raw].
 *
 * Lines go out as the steps wrote them to a pipe or a file; to a terminal
 * their control sequences are shown harmless (termtext.h) unless --raw.
 * -f on a live run attaches to its process's control socket and reads the
 * history again each time an event says there is more, so nothing is
 * polled; the text always comes from the history, byte for byte.  A run
 * whose process cannot be reached is followed by looking at the history
 * every FOLLOW_POLL_MS.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "paths.h"
#include "proto.h"
#include "share.h"
#include "store.h"
#include "suggest.h"
#include "termtext.h"
#include "xmalloc.h"

#define FOLLOW_POLL_MS 200

static int cmd_logs_exec(const struct cmd_ctx *, int, char **);

const struct command cmd_logs_entry = {
	.name = "logs",
	.usage = "RUN [STEP] [-f] [--stream stdout|stderr] [--raw]",
	.summary = "print the output of a run's steps",
	.help = "Without STEP every line is prefixed with its step (| stdout, ! stderr).\n"
	    "On a terminal, control characters from the steps are shown harmless\n"
	    "(^[ for ESC, <U+202E> for a bidi control, \\x9b for a stray byte).\n"
	    "  -f, --follow     keep printing while the run goes on\n"
	    "  --stream S       only stdout or only stderr\n"
	    "  --raw            the exact bytes even on a terminal (colours from tools)\n",
	.handler = cmd_logs_exec,
};

static const struct option options[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "stream", required_argument, NULL, 's' },
	{ "raw", no_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 },
};

struct log_out {
	char **ids;		/* step ids by index */
	size_t n_ids;
	bool prefix;		/* every step: say which */
	bool escape, utf8;	/* to a terminal: controls shown harmless */
	uint64_t last;
};

static int
print_chunk(void *ud, const struct event *ev)
{
	struct log_out *lo = ud;
	const char *s = ev->data, *end = ev->data + ev->len;
	const char *id = ev->step >= 0 && (size_t)ev->step < lo->n_ids ? lo->ids[ev->step] : "?";

	lo->last = ev->seq;
	while (s <= end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl != NULL ? nl : end;

		if (lo->prefix)
			printf("%s%s ", id, ev->stream == STREAM_STDERR ? " !" : " |");
		if (lo->escape)
			termtext_write(stdout, s, (size_t)(e - s), lo->utf8);
		else
			fwrite(s, 1, (size_t)(e - s), stdout);
		putchar('\n');
		s = e + 1;
	}
	return 0;
}

static int
step_index(const struct log_out *lo, const char *id)
{
	struct suggest sg;
	const char *hint;

	for (size_t i = 0; i < lo->n_ids; i++)
		if (strcmp(lo->ids[i], id) == 0)
			return (int)i;
	suggest_init(&sg, id);
	for (size_t i = 0; i < lo->n_ids; i++)
		suggest_offer(&sg, lo->ids[i]);
	hint = suggest_result(&sg);
	if (hint != NULL)
		cmd_error("the run has no step '%s'; did you mean '%s'?", id, hint);
	else
		cmd_error("the run has no step '%s'", id);
	return -1;
}

static void
load_ids(struct log_out *lo, const cJSON *run)
{
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(run, "steps"), *s;

	lo->ids = xcalloc((size_t)cJSON_GetArraySize(steps) + 1, sizeof *lo->ids);
	cJSON_ArrayForEach(s, steps) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(s, "id");

		lo->ids[lo->n_ids++] = xstrdup(cJSON_IsString(id) ? id->valuestring : "?");
	}
}

/* Attached to the process of live run uuid, or NULL (then the history is
 * polled). */
static struct client *
follow_attach(const char *uuid)
{
	cJSON *req = proto_msg_new(PROTO_ATTACH, NULL);
	struct client *c = NULL;
	struct err e;
	char *rtdir = share_runtime_dir(&e);
	bool absent;

	if (rtdir != NULL && (c = client_connect(rtdir, uuid, &absent, &e)) != NULL &&
	    client_send_request(c, req, &e) < 0) {
		client_free(c);
		c = NULL;
	}
	cJSON_Delete(req);
	free(rtdir);
	return c;
}

/* Waits until the run's process says something new (true), or it has
 * gone (false: the run ended, or its process died). */
static bool
follow_wait(struct client *c)
{
	struct pollfd p = { .fd = client_fd(c), .events = POLLIN };
	bool news = false;
	struct err e;
	cJSON *msg;
	int rc;

	while (!news) {
		if (poll(&p, 1, -1) < 0)
			continue;
		while ((rc = client_next(c, &msg, &e)) > 0) {
			news = true;
			cJSON_Delete(msg);
		}
		if (rc < 0)
			return false;
	}
	return true;
}

static int
cmd_logs_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct log_out lo = { 0 };
	struct client *cl = NULL;
	char uuid[37];
	bool follow = false, raw = false;
	int stream = 0, step = -1, c, status = EXIT_OK;
	struct store *s;
	struct err e;
	int64_t run;
	cJSON *r;

	while ((c = cmd_getopt(ctx, argc, argv, "f", options)) != -1) {
		if (c == 'f') {
			follow = true;
		} else if (c == 'r') {
			raw = true;
		} else if (c == 's' && (strcmp(optarg, "stdout") == 0 || strcmp(optarg, "stderr") == 0)) {
			stream = strcmp(optarg, "stdout") == 0 ? STREAM_STDOUT : STREAM_STDERR;
		} else if (c == 's') {
			return cmd_usage_error("logs", "--stream is stdout or stderr, not '%s'", optarg);
		} else {
			return EXIT_USAGE;
		}
	}
	if (optind >= argc || argc - optind > 2)
		return cmd_usage_error("logs", optind >= argc ? "which run? give its number or UUID "
		    "prefix" : "give a run and at most one step");
	if ((s = cmd_open_run(argv[optind], &run)) == NULL)
		return EXIT_USAGE;
	if ((r = store_get_run(s, run, &e)) == NULL) {
		cmd_error("%s", e.msg);
		store_close(s);
		return EXIT_INTERNAL;
	}
	load_ids(&lo, r);
	cJSON_Delete(r);
	if (optind + 1 < argc && (step = step_index(&lo, argv[optind + 1])) < 0)
		status = EXIT_USAGE;
	lo.prefix = step < 0;
	lo.escape = !raw && isatty(STDOUT_FILENO);
	lo.utf8 = termtext_utf8_locale();
	if (follow && store_run_live(s, run, uuid))
		cl = follow_attach(uuid);
	while (status == EXIT_OK) {
		bool live = follow && store_run_live(s, run, NULL);
		uint64_t before = lo.last;

		if (store_read_events(s, run, lo.last, STORE_LOGS, step, stream, print_chunk, &lo, &e) < 0) {
			cmd_error("%s", e.msg);
			status = EXIT_INTERNAL;
			break;
		}
		fflush(stdout);
		if (!live && (lo.last == before || !follow))
			break;
		if (cl != NULL) {
			if (!follow_wait(cl)) {
				client_free(cl);	/* once more, then the run has ended */
				cl = NULL;
			}
		} else if (lo.last == before) {
			struct timespec ts = { 0, FOLLOW_POLL_MS * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	for (size_t i = 0; i < lo.n_ids; i++)
		free(lo.ids[i]);
	free(lo.ids);
	client_free(cl);
	store_close(s);
	return status;
}

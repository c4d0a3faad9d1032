/* cmd_logs.c - drover logs RUN [STEP] [-f] [--stream stdout|stderr] [--raw].
 *
 * Lines go out as the steps wrote them to a pipe or a file; to a terminal
 * their control sequences are shown harmless (termtext.h) unless --raw.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
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

static int
cmd_logs_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct log_out lo = { 0 };
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
		if (lo.last == before) {
			struct timespec ts = { 0, FOLLOW_POLL_MS * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	for (size_t i = 0; i < lo.n_ids; i++)
		free(lo.ids[i]);
	free(lo.ids);
	store_close(s);
	return status;
}

/* store_owner.c - whether a run marked running still has its owner.
 *
 * The owner is the process that holds the run's lock (runlock.h), which
 * the kernel drops with the process: no /proc pid guesses.  A run of this
 * host still marked running whose lock nobody holds has lost its owner
 * and is reported "interrupted".
 */
#include "config.h"

#include <stdio.h>

#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "event.h"
#include "runlock.h"
#include "store_impl.h"

void
store_here_init(struct store_here *h, const struct store *s)
{
	h->s = s;
	h->now = event_now();
	if (gethostname(h->host, sizeof h->host) != 0)
		h->host[0] = '\0';
	h->host[sizeof h->host - 1] = '\0';
}

/* Only a run of this host can be checked; one of another host is taken to
 * be alive, and so is one whose lock cannot be read. */
bool
store_owner_alive(const struct store_here *h, const char *host, const char *uuid)
{
	if (host == NULL || uuid == NULL || h->host[0] == '\0' || strcmp(host, h->host) != 0)
		return true;
	return runlock_probe(h->s->path, uuid) != RUNLOCK_FREE;
}

bool
store_run_live(struct store *s, int64_t run, char *uuid)
{
	struct store_here h;
	sqlite3_stmt *st;
	bool live = false;

	if (s->db == NULL || store_prepare(s->db, "SELECT status, host, uuid FROM runs"
	    " WHERE id = ?1", &st) != SQLITE_OK)
		return false;
	sqlite3_bind_int64(st, 1, run);
	if (sqlite3_step(st) == SQLITE_ROW && store_col_text(st, 0) != NULL &&
	    strcmp(store_col_text(st, 0), "running") == 0) {
		store_here_init(&h, s);
		live = store_owner_alive(&h, store_col_text(st, 1), store_col_text(st, 2));
		if (live && uuid != NULL)
			snprintf(uuid, 37, "%s", store_col_text(st, 2));
	}
	sqlite3_finalize(st);
	return live;
}

/* cmd_reach.h - reaching a live run's process from a command (cancel,
 * approve, reject): the history says whether the run is live and names
 * its socket; the run's process does the work and says how it went.
 */
#ifndef DROVER_CMD_REACH_H
#define DROVER_CMD_REACH_H

#include <stdint.h>

#include <cjson/cJSON.h>

struct client;

/* Connects to the process of run ref ("42" or a UUID prefix) to have it
 * do what (a phrase: "cancelled", "decided"); NULL after saying why not,
 * with *rc set to the exit status: 2 when the run is not live, 70 when its
 * process cannot be reached. */
struct client *cmd_reach_run(const char *ref, const char *what, int64_t *run, int *rc);
/* Says why run, whose status is not "running", cannot be what. */
int cmd_reach_not_running(int64_t run, const char *status, const char *what);
/* Sends req and returns the reply when it is "ok" (the caller's); NULL
 * after printing why not, with *rc the exit status: 2 when refused, 70 when
 * the process failed to answer. */
cJSON *cmd_reach_ask(struct client *c, int64_t run, const char *what, const cJSON *req,
    int *rc);

/* Prints the message of an "ok" reply. */
void cmd_reach_said(const cJSON *reply);

#endif

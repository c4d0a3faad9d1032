/* approvers.h - who may decide a gate: its approvers are users and
 * @groups, matched against a user the kernel named (a uid, as the control
 * socket's SO_PEERCRED gives it) with the groups this host gives that
 * user.  Used where gates are decided (step_approval.c) and where the
 * gates a user may decide are listed (drover ls --waiting).
 */
#ifndef DROVER_APPROVERS_H
#define DROVER_APPROVERS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* Whether user uid (whose name is user) is in group, by its primary and
 * supplementary groups; a group the host does not have matches nobody. */
bool approvers_in_group(unsigned uid, const char *user, const char *group);
/* Whether uid (user) is one of list (n entries, "name" or "@group"); an
 * empty list lets anyone. */
bool approvers_match(const char *const *list, size_t n, unsigned uid, const char *user);

/* Whether uid (user) may decide the gate a "waiting" event shows
 * (step_approval.c): an approver, not the starter under separate_duty,
 * and not one who approved it already. */
bool approvers_gate_open_to(const cJSON *gate, unsigned uid, const char *user);
/* The same for the user this process runs as (its real uid). */
bool approvers_gate_open_to_self(const cJSON *gate);

#endif

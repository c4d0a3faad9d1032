/* approvers.c - matching a user against a gate's approvers (approvers.h). */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "approvers.h"
#include "xmalloc.h"

bool
approvers_in_group(unsigned uid, const char *user, const char *group)
{
	struct passwd pw, *pres = NULL;
	struct group gr, *gres = NULL;
	char pbuf[4096], gbuf[16384];
	gid_t *gids = NULL;
	int n = 16, have;
	bool in = false;

	if (getpwuid_r((uid_t)uid, &pw, pbuf, sizeof pbuf, &pres) != 0 || pres == NULL ||
	    strcmp(pw.pw_name, user) != 0 ||
	    getgrnam_r(group, &gr, gbuf, sizeof gbuf, &gres) != 0 || gres == NULL)
		return false;
	/* Too small a list fails and says in n how many there are. */
	do {
		have = n;
		gids = xreallocarray(gids, (size_t)have, sizeof *gids);
	} while (getgrouplist(pw.pw_name, pw.pw_gid, gids, &n) < 0 && n > have);
	for (int k = 0; k < n && k < have && !in; k++)
		in = gids[k] == gr.gr_gid;
	free(gids);
	return in;
}

bool
approvers_match(const char *const *list, size_t n, unsigned uid, const char *user)
{
	if (n == 0)
		return true;
	for (size_t k = 0; k < n; k++)
		if (list[k][0] == '@' ? approvers_in_group(uid, user, list[k] + 1) :
		    strcmp(list[k], user) == 0)
			return true;
	return false;
}

bool
approvers_gate_open_to(const cJSON *gate, unsigned uid, const char *user)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(gate, "approvers"), *v;
	const char *starter = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(gate, "starter"));
	const char **names = xcalloc((size_t)cJSON_GetArraySize(list) + 1, sizeof *names);
	size_t n = 0;
	bool may;

	cJSON_ArrayForEach(v, list)
		if (cJSON_IsString(v))
			names[n++] = v->valuestring;
	may = approvers_match(names, n, uid, user) &&
	    !(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(gate, "separate_duty")) &&
	    starter != NULL && strcmp(starter, user) == 0);
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(gate, "approved_by"))
		if (cJSON_IsString(v) && strcmp(v->valuestring, user) == 0)
			may = false;	/* has given its approval */
	free(names);
	return may;
}

bool
approvers_gate_open_to_self(const cJSON *gate)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) != 0 || res == NULL)
		return false;
	return approvers_gate_open_to(gate, getuid(), pw.pw_name);
}

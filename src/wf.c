/* wf.c - looking things up in a workflow model (wf.h), and the names of
 * its enumerations as files and messages write them. */
#include "config.h"

#include <string.h>

#include "step_kinds.h"
#include "wf.h"

size_t
wf_section_steps(const struct workflow *wf, enum wf_section s, size_t *first)
{
	switch (s) {
	case SECTION_MAIN:
		*first = 0;
		return wf->n_main;
	case SECTION_ON_FAILURE:
		*first = wf->n_main;
		return wf->n_on_failure;
	case SECTION_FINALLY:
		*first = wf->n_main + wf->n_on_failure;
		return wf->n_finally;
	}
	*first = 0;
	return 0;
}

const struct step *
wf_find_step(const struct workflow *wf, const char *id)
{
	for (size_t i = 0; i < wf->n_steps; i++)
		if (wf->steps[i].id != NULL && strcmp(wf->steps[i].id, id) == 0)
			return &wf->steps[i];
	return NULL;
}

const struct tool *
wf_find_tool(const struct workflow *wf, const char *name)
{
	for (size_t i = 0; i < wf->n_tools; i++)
		if (strcmp(wf->tools[i].name, name) == 0)
			return &wf->tools[i];
	return NULL;
}

const struct mcp_server *
wf_find_server(const struct workflow *wf, const char *name)
{
	for (size_t i = 0; i < wf->n_servers; i++)
		if (strcmp(wf->servers[i].name, name) == 0)
			return &wf->servers[i];
	return NULL;
}

const char *
wf_kind_name(const struct step_kind *kind)
{
	return kind->key;
}

const char *
wf_trigger_name(enum trigger t)
{
	static const char *const names[] = { "all_success", "all_done", "any_failed", "always" };

	return names[t];
}

const char *
wf_section_name(enum wf_section s)
{
	static const char *const names[] = { "steps", "on_failure", "finally" };

	return names[s];
}
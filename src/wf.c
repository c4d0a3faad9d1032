/* wf.c - looking things up in a workflow model (wf.h), and the names of
 * its enumerations as files and messages write them. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "step_kinds.h"
#include "wf.h"
#include "xmalloc.h"

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

/* FNV-1a. */
static size_t
wf_id_hash(const char *id)
{
	uint64_t h = 1469598103934665603ull;

	for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ull;
	return (size_t)h;
}

/* The slot of id: where its step is, or the free slot it would take. */
static size_t
wf_id_slot(const struct workflow *wf, const char *id)
{
	size_t mask = wf->n_step_slots - 1, k = wf_id_hash(id) & mask;

	while (wf->step_slots[k] != 0 && strcmp(wf->steps[wf->step_slots[k] - 1].id, id) != 0)
		k = (k + 1) & mask;
	return k;
}

const struct step *
wf_index_step(struct workflow *wf, size_t i)
{
	size_t k;

	if (wf->n_step_slots == 0) {
		wf->n_step_slots = 16;
		while (wf->n_step_slots < 2 * wf->n_steps)
			wf->n_step_slots *= 2;
		wf->step_slots = xcalloc(wf->n_step_slots, sizeof *wf->step_slots);
	}
	k = wf_id_slot(wf, wf->steps[i].id);
	if (wf->step_slots[k] != 0)
		return &wf->steps[wf->step_slots[k] - 1];
	wf->step_slots[k] = i + 1;
	return NULL;
}

const struct step *
wf_find_step(const struct workflow *wf, const char *id)
{
	size_t k;

	if (wf->n_step_slots == 0)
		return NULL;
	k = wf_id_slot(wf, id);
	return wf->step_slots[k] != 0 ? &wf->steps[wf->step_slots[k] - 1] : NULL;
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
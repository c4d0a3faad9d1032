/* wf.h - the workflow model: a checked, in-memory form of a workflow file.
 *
 * wf_load reads a file (drover's own format or the Muster
 * apiVersion/kind/metadata/spec form) into a struct workflow, checks every
 * field (wf_load.c), resolves tools, builds the dependency graph
 * (wf_graph.c) and checks names and references (wf_check.c).  Every
 * problem is reported with its file, line and column.
 *
 * Templated fields stay YAML nodes (struct ynode) with their compiled
 * template in node->aux, so that runtime errors can still name a position;
 * fields that are not templated are converted once here.  The workflow owns
 * its YAML documents: every ynode pointer below lives as long as it does.
 */
#ifndef DROVER_WF_H
#define DROVER_WF_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "diag.h"
#include "err.h"

struct expr;
struct step_kind;
struct ydoc;
struct ynode;

/* Typed parameters: workflow args, tool params and approval inputs. */
enum arg_type { ARG_STRING, ARG_INTEGER, ARG_NUMBER, ARG_BOOLEAN, ARG_ARRAY, ARG_OBJECT };

struct arg_spec {
	char *name;
	struct ynode *node;
	enum arg_type type;
	bool required, secret;
	char *description;
	cJSON *def;		/* default, or NULL */
	cJSON *enum_vals;	/* array, or NULL */
	cJSON *examples;	/* array, or NULL */
	char *pattern;		/* as written */
	regex_t re;		/* pattern anchored to the whole value */
	bool has_re, has_min, has_max;
	double min, max;
	long long min_len, max_len;	/* -1 when not set */
};

struct arg_specs {
	struct arg_spec *v;
	size_t n;
};

enum backoff { BACKOFF_CONSTANT, BACKOFF_LINEAR, BACKOFF_EXPONENTIAL };

struct retry {
	int attempts;		/* counts the first try; 1 means no retry */
	int64_t delay_ms, max_delay_ms;	/* max_delay_ms 0: no cap */
	enum backoff backoff;
	double factor;
	bool jitter;
	int *on_codes, *except_codes;
	size_t n_on, n_except;
};

/* What a step, a fallback, a rollback or a tool does: a body of one kind
 * (step_kinds.h), whose spec only the kind's own file reads. */
struct body {
	const struct step_kind *kind;	/* NULL until its key is read */
	void *spec;		/* the kind's own */
	struct ynode *node;	/* the mapping that holds the body */
	struct ynode *env;	/* templated mapping, or NULL */
	int64_t timeout_ms;	/* 0: none; for a step, its `timeout` */
};
/* The key of a kind ("run", "http", ...), as the history and graph name it. */
const char *wf_kind_name(const struct step_kind *kind);

struct tool {
	char *name;
	const char *file;	/* where it was defined */
	struct ynode *node;
	char *description;
	struct arg_specs params;
	struct body body;
};

struct mcp_server {
	char *name;
	const char *file;
	struct ynode *node;
	struct ynode *command;	/* templated string or list, or NULL */
	struct ynode *url;	/* templated, or NULL */
	struct ynode *env, *headers;
	char *workdir;
	int64_t timeout_ms;
};

enum trigger { TRIGGER_ALL_SUCCESS, TRIGGER_ALL_DONE, TRIGGER_ANY_FAILED, TRIGGER_ALWAYS };
const char *wf_trigger_name(enum trigger t);

/* Main steps run as the graph; on_failure steps when the run failed;
 * finally steps at the very end. */
enum wf_section { SECTION_MAIN, SECTION_ON_FAILURE, SECTION_FINALLY };
const char *wf_section_name(enum wf_section s);

enum resource_preset { PRESET_NONE, PRESET_LOW, PRESET_MEDIUM, PRESET_HIGH, PRESET_MAX };

struct resources {
	enum resource_preset preset;
	int64_t cpu_time_ms;	/* 0: not set */
	uint64_t memory;	/* bytes; 0: not set */
	long long open_files;	/* 0: not set */
};

struct repeat_spec {
	struct expr *until;
	struct ynode *until_node;
	int max_iterations;
	int64_t delay_ms;
};

struct step {
	char *id;
	struct ynode *node;
	size_t index;		/* in workflow.steps */
	enum wf_section section;
	char *name, *description;
	struct body body;
	struct body *gate;	/* an approval accompanying another kind, or NULL */
	/* order, as written */
	bool has_depends_on;
	const char **depends_on, **parallel_with;	/* the document's strings */
	size_t n_depends_on, n_parallel_with;
	struct ynode *depends_node, *parallel_node;
	/* behaviour */
	struct expr *condition;	/* NULL: always */
	struct ynode *condition_node;
	enum trigger trigger;
	struct retry retry;
	bool allow_failure, store_result, progress_tracking;
	struct body *fallback, *rollback;
	struct ynode *outputs;	/* templated mapping, or NULL */
	bool has_cache;
	int64_t cache_ttl_ms;
	struct ynode *cache_key;	/* templated, or NULL: the resolved inputs */
	char *pool;
	struct resources resources;
	char *runner;
	/* for_each: an expression or a literal list */
	struct expr *for_each;
	struct ynode *for_each_node;
	int fe_max_parallel;	/* 0: limits.max_parallel */
	double min_success;	/* a count, or a fraction when min_success_pct */
	bool min_success_pct;
	struct repeat_spec *repeat;
	/* graph, filled by wf_graph */
	size_t *deps;		/* indices into workflow.steps, in file order */
	size_t n_deps;
	/* steps whose results its fields read (steps.ID), by wf_check;
	 * reads_all: it reads steps as a whole */
	size_t *reads;
	size_t n_reads;
	bool reads_all;
	int level;		/* within its section; -1 in a cycle */
	size_t group;		/* index of its parallel group's first member */
};

struct budget {
	bool given;		/* limits.budget was written */
	bool has_cost, ask;
	double max_cost, warn_at;
	long long max_tokens;	/* 0: none */
};

struct circuit_breaker {
	bool given;		/* limits.circuit_breaker was written */
	int failures;
	int64_t window_ms, open_for_ms;
};

struct pool {
	char *name;
	int size;
};

struct workflow {
	char *file;		/* as given */
	char *dir;		/* its directory, for relative paths */
	char *text;		/* the exact text, NUL-terminated */
	size_t text_len;
	bool muster;		/* written as apiVersion/kind/metadata/spec */
	char *name, *description, *version, *category;
	const char **tags;	/* the document's strings */
	size_t n_tags;
	struct arg_specs args;
	struct ynode *env;	/* templated mapping, or NULL */
	struct ynode *outputs;	/* templated mapping, or NULL */
	int64_t default_timeout_ms;
	struct retry default_retry;
	struct resources default_resources;
	char *default_runner;
	int max_parallel;	/* 0: number of CPUs */
	int64_t timeout_ms;
	struct budget budget;
	struct circuit_breaker breaker;
	struct pool *pools;
	size_t n_pools;
	struct tool *tools;
	size_t n_tools;
	struct mcp_server *servers;
	size_t n_servers;
	struct step *steps;	/* main, then on_failure, then finally */
	size_t n_steps, n_main, n_on_failure, n_finally;
	size_t *step_slots;	/* steps by id, open addressing: index + 1, 0 free */
	size_t n_step_slots;	/* a power of two, or 0 */
	int n_levels;		/* of the main section */
	/* what keeps the ynodes alive */
	struct ydoc **docs;	/* the workflow, then any tools files */
	char **doc_files;
	size_t n_docs;
};

/* Reads, parses and checks a workflow file.  Returns NULL when it has any
 * problem; every problem is added to d.  Free with wf_free. */
struct workflow *wf_load_file(const char *path, struct diags *d);
/* The same from text already in memory (name is used in messages and for
 * the directory that relative paths start from). */
struct workflow *wf_load_text(const char *name, const char *text, size_t len, struct diags *d);
void wf_free(struct workflow *wf);
/* A file named tools.yaml holds tools and MCP servers, not a workflow; it
 * loads into a workflow without steps. */
bool wf_is_tools_file(const char *path);

/* Steps of one section: *first is the index of the first one. */
size_t wf_section_steps(const struct workflow *wf, enum wf_section s, size_t *first);
/* Indexes step i by its id, for wf_find_step: the step that already has
 * that id, or NULL. */
const struct step *wf_index_step(struct workflow *wf, size_t i);
/* The step, tool or MCP server with this id or name, or NULL. */
const struct step *wf_find_step(const struct workflow *wf, const char *id);
const struct tool *wf_find_tool(const struct workflow *wf, const char *name);
const struct mcp_server *wf_find_server(const struct workflow *wf, const char *name);
/* True when step `up` is an ancestor of step `down` through the graph. */
bool wf_is_upstream(const struct workflow *wf, size_t up, size_t down);

/* True when s (NAME or NAME=VALUE) is an environment entry drover sets
 * for a step itself: DROVER_RUN_ID, DROVER_RUN_UUID, DROVER_STEP_ID,
 * DROVER_ATTEMPT, DROVER_OUTPUT, DROVER_ARG_*.  A workflow may not set
 * them, and drover's own environment does not pass them on. */
bool wf_env_is_drovers(const char *s);

/* Internal stages of wf_load, one file each. */
void wf_graph_build(struct workflow *wf, struct diags *d);

#endif

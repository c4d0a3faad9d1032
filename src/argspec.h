/* argspec.h - typed parameters: checking values against a spec, turning
 * command-line text into typed values, and resolving a run's args.
 *
 * The same rules serve workflow args, tool params and approval inputs.
 * Messages name the arg, the value (or *** for secrets) and the broken rule.
 */
#ifndef DROVER_ARGSPEC_H
#define DROVER_ARGSPEC_H

#include <cjson/cJSON.h>

#include "err.h"
#include "wf.h"

const char *argspec_type_name(enum arg_type t);
/* Parses "string", "integer", ... ; -1 when unknown. */
int argspec_type_parse(const char *s, enum arg_type *t);

/* Compiles s->pattern (POSIX ERE) so that it must match the whole value. */
int argspec_compile(struct arg_spec *s, struct err *e);
/* Checks v against every rule of s. */
int argspec_check(const struct arg_spec *s, const cJSON *v, struct err *e);
/* Converts text to the declared type ("3" -> 3, "true" -> true, '["a"]' ->
 * ["a"]) and checks it.  Caller frees the result. */
cJSON *argspec_from_text(const struct arg_spec *s, const char *text, struct err *e);
/* A value given for s: strings for non-string types are converted from
 * text, anything else must already have the type.  Caller frees. */
cJSON *argspec_coerce(const struct arg_spec *s, const cJSON *v, struct err *e);

const struct arg_spec *argspecs_find(const struct arg_specs *specs, const char *name);
void argspecs_fini(struct arg_specs *specs);

/* The values of every arg for a run: given (an object of name -> value,
 * from -a NAME=VALUE as strings and from an args file as typed values),
 * then defaults.  Unknown names, missing required args and values that
 * break a rule are errors.  Caller frees. */
cJSON *argspecs_resolve(const struct arg_specs *specs, const cJSON *given, struct err *e);

/* What specs ask for, for people who must give values (a gate's inputs):
 * [{"name", "type", "required", "description", "default", "enum"}], no
 * default or choices of a secret.  Caller frees. */
cJSON *argspecs_describe_json(const struct arg_specs *specs);

#endif

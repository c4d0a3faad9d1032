/* shq_cases.h - shell commands with a template in every quoting context,
 * and what they must print, for the quoting property test (test_shq.c)
 * and its fuzz target (tests/fuzz/fuzz_shq.c).
 *
 * A case is a base command that prints the value it received (possibly
 * with text around it) wrapped in up to SHQ_CASE_MAX_WRAP wrappers
 * (subshell, $(...), `...`, a heredoc holding $(...), a pipe...).  Each
 * part says what it does to the output, so the exact bytes the command
 * must print for any value are known.  The template's hole is written
 * "{{ args.v }}".
 */
#ifndef DROVER_SHQ_CASES_H
#define DROVER_SHQ_CASES_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

#define SHQ_CASE_MAX_WRAP 3

struct shq_case {
	int base;
	int wrap[SHQ_CASE_MAX_WRAP];
	int n_wrap;
};

size_t shq_case_bases(void);
size_t shq_case_wrappers(void);
/* The template of c; caller frees (sb). */
void shq_case_template(const struct shq_case *c, struct strbuf *out);
/* What c prints when the value is v (len bytes). */
void shq_case_expect(const struct shq_case *c, const char *v, size_t len, struct strbuf *out);

/* True when dir holds nothing: no value ran as a command there. */
bool shq_case_dir_empty(const char *dir);

/* Runs script with shell ("sh" or "bash"), in dir, and collects what it
 * prints on stdout; -c puts the script on the command line (as drover
 * does), else it is read from a file.  Returns the exit status, or -1. */
int shq_case_run(const char *shell, const char *dir, const char *script, size_t len,
    bool dash_c, struct strbuf *out);

#endif

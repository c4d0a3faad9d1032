/* json.h - reading members of cJSON objects without repeating the type
 * checks (a missing member and one of the wrong type read the same), and
 * printing JSON as cJSON does, only faster. */
#ifndef DROVER_JSON_H
#define DROVER_JSON_H

#include <stdbool.h>

#include <cjson/cJSON.h>

struct strbuf;

/* The string member key of o, or NULL. */
const char *json_str(const cJSON *o, const char *key);
/* The number member key of o, or dflt (NAN to tell "missing" apart). */
double json_num(const cJSON *o, const char *key, double dflt);

/* v as JSON appended to sb, as if it stood depth arrays and objects down:
 * on one line (byte for byte what cJSON_PrintUnformatted gives), in
 * cJSON_Print's layout (a tab per level, ":\t"), or in drover's --json
 * layout (the same with two spaces per level and ": "). */
enum json_layout { JSON_LINE, JSON_TABS, JSON_SPACES };
void json_print(struct strbuf *sb, const cJSON *v, enum json_layout layout, int depth);
/* s (NULL: "") as a JSON string, escaped as cJSON escapes it. */
void json_print_string(struct strbuf *sb, const char *s);
/* v as cJSON_Print (formatted) or cJSON_PrintUnformatted would give it:
 * a new string (free). */
char *json_text(const cJSON *v, bool formatted);

#endif

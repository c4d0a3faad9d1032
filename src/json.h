/* json.h - reading members of cJSON objects without repeating the type
 * checks: a missing member and one of the wrong type read the same. */
#ifndef DROVER_JSON_H
#define DROVER_JSON_H

#include <cjson/cJSON.h>

/* The string member key of o, or NULL. */
const char *json_str(const cJSON *o, const char *key);
/* The number member key of o, or dflt (NAN to tell "missing" apart). */
double json_num(const cJSON *o, const char *key, double dflt);

#endif

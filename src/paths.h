/* paths.h - where drover finds and keeps things (SPEC section 3). */
#ifndef DROVER_PATHS_H
#define DROVER_PATHS_H

#include <stddef.h>

#include "err.h"

/* The workflow search path: $DROVER_PATH (a colon list) or ./workflows,
 * $XDG_CONFIG_HOME/drover/workflows and the installed examples.  Returns a
 * NULL-terminated array; free with paths_free. */
char **paths_workflow_dirs(void);
void paths_free(char **dirs);
/* $XDG_CONFIG_HOME (or ~/.config), without a trailing slash; caller frees. */
char *paths_config_home(void);
/* $XDG_STATE_HOME (or ~/.local/state), the same way. */
char *paths_state_home(void);


#endif

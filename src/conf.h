/* conf.h - the configuration: the host's file ($DROVER_SYSTEM_CONFIG, else
 * /etc/drover/config.yaml), then the user's ($DROVER_CONFIG, else
 * $XDG_CONFIG_HOME/drover/config.yaml), whose settings win.  Both are
 * optional; every setting has a default.  (Named conf, not config, because
 * autoconf owns config.h.) */
#ifndef DROVER_CONF_H
#define DROVER_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "alerts.h"
#include "diag.h"
#include "pricing.h"
#include "proctrack.h"

/* providers: NAME: {base_url, api_key_env} -- where llm steps send. */
struct provider {
	char *name, *base_url;
	char *api_key_env;	/* or NULL: no key is sent */
};

struct conf {
	int64_t kill_grace_ms;	/* kill_grace: SIGTERM, then SIGKILL this much later */
	enum proctrack_mode process_tracking;	/* how steps' processes are tracked */
	bool bell;		/* the console rings when a gate opens */
	/* shared mode (SPEC 10, share.h): all set, or all NULL */
	char *shared_group, *shared_history, *shared_runtime_dir;
	char *shared_admins;	/* a group whose members may cancel any run, or NULL */
	struct provider *providers;
	size_t n_providers;
	struct prices pricing;	/* pricing: what it adds to or changes of the shipped prices */
	struct alert_rules alerts;	/* alerts: rules judged when a run ends */
};

/* Reads and parses a settings file (a configuration, the prices): NULL
 * with its problem in d (path:line:col). */
struct ydoc;
struct ydoc *conf_read_yaml(const char *path, struct diags *d);

/* The provider called name, or NULL. */
const struct provider *conf_provider(const struct conf *c, const char *name);

/* Fills c with the defaults, then what the file sets.  Returns -1 with
 * every problem in d (file:line:col) when the file is broken. */
int conf_load(struct conf *c, struct diags *d);
void conf_fini(struct conf *c);

#endif

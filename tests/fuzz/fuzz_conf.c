/* fuzz_conf.c - libFuzzer target: any bytes as the user's configuration
 * (providers, prices, shared mode, alert rules).
 *
 * Reading it must end in settings or in diagnostics, never in a crash, a
 * leak or unbounded work.  The bytes go through a file, as conf_load reads
 * one.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void
remove_file(void)
{
	unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = DIAGS_INIT;
	struct conf c;
	FILE *f;
	int rc;

	if (path[0] == '\0') {
		snprintf(path, sizeof path, "/tmp/drover-fuzz-conf.%d.yaml", (int)getpid());
		setenv("DROVER_CONFIG", path, 1);
		setenv("DROVER_SYSTEM_CONFIG", path, 1);
		atexit(remove_file);
	}
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	rc = conf_load(&c, &d);
	if ((rc < 0) != (d.n > 0))
		abort();	/* a failure must say why, a success must be clean */
	conf_fini(&c);
	diags_fini(&d);
	return 0;
}

/* fuzz_load.c - libFuzzer target: any bytes as a workflow file.
 *
 * Loading must end in a workflow or in diagnostics, never in a crash, a
 * leak or unbounded work.  Tools files are looked up in a directory that
 * does not exist, so the run does not depend on the machine.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "diag.h"
#include "wf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = DIAGS_INIT;
	struct workflow *wf;

	setenv("DROVER_PATH", "/nonexistent/drover-fuzz", 1);
	wf = wf_load_text("/nonexistent/drover-fuzz/fuzz.yaml", (const char *)data, size, &d);
	if ((wf == NULL) == (d.n == 0))
		abort();	/* a failure must say why, a success must be clean */
	wf_free(wf);
	diags_fini(&d);
	return 0;
}

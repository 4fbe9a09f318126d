// SPDX-License-Identifier: GPL-2.0-or-later
/* run.c - placeholder while fs and net are tried */
#include "internal.h"
#include "log.h"

int shim_run(const struct shim_opts *o, char *const *fs, int nfs,
	     char *const *net, int nnet, char *const *argv, bool *started)
{
	(void)o; (void)fs; (void)nfs; (void)net; (void)nnet; (void)argv;
	*started = false;
	err("run: not there yet");
	return SHIM_FAIL;
}

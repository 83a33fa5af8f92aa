/* prune.h: removing old runs from a reports folder (firedrill report --prune). */
#ifndef FD_PRUNE_H
#define FD_PRUNE_H

#include "util.h"

#include <stdio.h>

/* Keeps the newest `keep` runs of each scenario in reports_dir and removes the older
 * run directories (only those holding nothing but a run's files), saying each on out,
 * then writes the index again. 0, or -1 with *err (caller frees). */
int fd_prune_reports(const char *reports_dir, int64_t keep, FILE *out, char **err);

#endif

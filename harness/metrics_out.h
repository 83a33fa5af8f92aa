/* metrics_out.h: a run's figures for the monitoring stack, in the Prometheus text
 * format (render_metrics.c): pushed to report.pushgateway, and written to --metrics-file
 * for node exporter's textfile collector. Neither changes the verdict; a failure is
 * said. */
#ifndef FD_METRICS_OUT_H
#define FD_METRICS_OUT_H

#include "runstate.h"

/* Whether --metrics-file PATH may be written: nothing is there yet (in a directory that
 * exists), or a regular file a run wrote (its first line says so). Anything else is the
 * user's: false with *err (caller frees), asked before the run touches anything. */
bool fd_metrics_file_ok(const char *path, char **err);
/* After report.json is written: the push and the file, as the run asks. */
void fd_metrics_out(fd_run *r);

#endif

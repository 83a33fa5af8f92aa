/* notify.h: report.notify.webhook: a JSON summary POSTed when a run ends. */
#ifndef FD_NOTIFY_H
#define FD_NOTIFY_H

#include <jansson.h>
#include <stdbool.h>

/* The summary body: scenario, verdict, key figures, run directory, and a `text`
 * field so that it also works as a Slack incoming-webhook message. Caller decrefs. */
json_t *fd_notify_summary(const json_t *report, const char *run_dir);

/* POSTs the summary with a 10 s timeout, trying 3 times. Returns false with *err
 * (caller frees) when every try failed. */
bool fd_notify_webhook(const char *url, const json_t *report, const char *run_dir, char **err);

#endif

/* notify.h: report.notify.webhook: a JSON summary POSTed when a run ends, and with
 * report.notify.events a message at each stage (start, fault applied, hold waiting,
 * abort) POSTed by a thread of its own, so that a slow webhook never delays the drill. */
#ifndef FD_NOTIFY_H
#define FD_NOTIFY_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    FD_NOTIFY_START = 1 << 0,
    FD_NOTIFY_FAULT = 1 << 1,
    FD_NOTIFY_HOLD = 1 << 2,
    FD_NOTIFY_ABORT = 1 << 3,
    FD_NOTIFY_END = 1 << 4,
};
extern const char *const fd_notify_event_names[]; /* in bit order, NULL-terminated */

typedef struct fd_notifier {
    char *url;
    pthread_t thread;
    bool started, quit;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    char **queue; /* JSON bodies */
    size_t n, cap;
    size_t failed;
    char *last_error;
} fd_notifier;

bool fd_notifier_start(fd_notifier *nt, const char *url);
/* Queues a body (caller keeps nothing: it is sent as text, then freed). */
void fd_notifier_post(fd_notifier *nt, json_t *body);
/* Waits up to drain_us for what is queued to be sent, then stops; what is left is
 * dropped. *failed (when given): how many were not sent; *last (when given): the last
 * error (caller frees). */
void fd_notifier_stop(fd_notifier *nt, int64_t drain_us, size_t *failed, char **last);

/* The summary body: scenario, verdict, key figures, run directory, the report's link
 * (link: report.url_base's, else the run directory's report.html), and a `text` field so
 * that it also works as a Slack incoming-webhook message. Caller decrefs. */
json_t *fd_notify_summary(const json_t *report, const char *run_dir, const char *link);

/* POSTs the summary with a 10 s timeout, trying 3 times. Returns false with *err
 * (caller frees) when every try failed. */
bool fd_notify_webhook(const char *url, const json_t *report, const char *run_dir, const char *link,
                       char **err);

#endif

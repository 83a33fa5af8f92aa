/* alerts.h: the Alertmanager gate (safety.alerts). Before any fault the Alertmanager is
 * asked for the alerts that match the scenario's matchers: one firing stops the run
 * (exit 3, naming it); no answer stops it too (exit 4, naming the URL). From then until
 * the reports are written a thread asks again every interval: an alert the drill does not
 * expect that starts firing before the timeline ends aborts the run (every fault healed);
 * so does an Alertmanager that has not answered for 5 s then (the gate cannot hold). Every
 * alert seen is kept with its times, for the report and for time_to_alert and
 * time_to_resolve. */
#ifndef FD_ALERTS_H
#define FD_ALERTS_H

#include "runstate.h"

#include <jansson.h>

/* One alert of Alertmanager's answer (GET /api/v2/alerts). */
typedef struct fd_alert {
    char *fingerprint, *name;
    json_t *labels;     /* every label, alertname included */
    double starts_unix; /* its startsAt; NAN when missing */
} fd_alert;

/* Reads an answer of /api/v2/alerts (its first FD_ALERTS_MAX alerts). False with *error
 * (caller frees) when it is not one. */
#define FD_ALERTS_MAX 10000
bool fd_alerts_parse(const char *body, size_t len, fd_alert **out, size_t *n, char **error);
void fd_alerts_free(fd_alert *a, size_t n);

/* Asks once; on an alert firing or no answer, says why, records the outcome and returns
 * false. Otherwise starts the watch. True at once without safety.alerts. */
bool fd_alerts_preflight(fd_run *r);
/* Stops the watch (its last look done). */
void fd_alerts_stop(fd_run *r);
/* Seconds from the start of the first fault to alert `name` firing (its startsAt), or to
 * its resolution (every firing of it seen during the run resolved); NAN when it did not. */
double fd_alerts_time_to(const fd_run *r, const char *name, bool resolve);
/* The report's "alerts" section (NULL without safety.alerts). */
json_t *fd_alerts_json(const fd_run *r);
void fd_alerts_free_watch(fd_run *r);

#endif

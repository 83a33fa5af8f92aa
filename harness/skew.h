/* skew.h: how simultaneously a fault took effect (or was healed) across its hosts.
 *
 * Each host has two views of the moment: the agent's own timestamp ("effect: UNIX" on
 * its output, by the host's clock) and the controller's acknowledgement (when the
 * agent's answer arrived, by the controller's clock). Hosts' clocks may disagree, so
 * the skew (last host minus first) uses the agents' timestamps only when every one of
 * them lies within its own send..acknowledgement window on the controller's clock
 * (the clocks then agree to within a round trip); otherwise the acknowledgements. */
#ifndef FD_SKEW_H
#define FD_SKEW_H

#include <stdbool.h>
#include <stddef.h>

/* One host's times, in seconds on the run's clock; effect_s is NAN when the agent did
 * not say (or did not succeed). */
typedef struct fd_host_timing {
    double sent_s, effect_s, ack_s;
} fd_host_timing;

typedef struct fd_skew {
    size_t hosts;        /* hosts with an acknowledgement */
    double controller_s; /* last acknowledgement minus first */
    double hosts_s;      /* last agent timestamp minus first; NAN unless every host gave one */
    bool hosts_clock;    /* the skew is hosts_s (the clocks agree), else controller_s */
    double skew_s;       /* the one the report leads with */
} fd_skew;

/* How far apart the clocks may read and still agree: the granularity of the times. */
#define FD_SKEW_CLOCK_SLACK_S 0.002

/* The skew over n hosts' timings (a host with no acknowledgement, ack_s NAN, is left
 * out: its fault did not take effect there). */
void fd_skew_of(const fd_host_timing *t, size_t n, fd_skew *out);

/* " on N hosts within X ms (the hosts' clocks)" for a log line, or "" for one host.
 * Caller frees. */
char *fd_skew_text(const fd_skew *s);

/* The Unix time on an "effect: UNIX" line of an agent's output (with at least
 * milliseconds), or NAN. */
double fd_effect_unix(const char *out);

#endif

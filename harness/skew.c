/* skew.c: apply and heal skew across a fault's hosts. */
#include "skew.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void fd_skew_of(const fd_host_timing *t, size_t n, fd_skew *out)
{
    double ack_lo = INFINITY, ack_hi = -INFINITY, eff_lo = INFINITY, eff_hi = -INFINITY;
    size_t acked = 0, effects = 0;
    bool agree = true;
    for (size_t i = 0; i < n; i++) {
        if (isnan(t[i].ack_s))
            continue;
        acked++;
        ack_lo = fmin(ack_lo, t[i].ack_s);
        ack_hi = fmax(ack_hi, t[i].ack_s);
        if (isnan(t[i].effect_s)) {
            agree = false;
            continue;
        }
        effects++;
        eff_lo = fmin(eff_lo, t[i].effect_s);
        eff_hi = fmax(eff_hi, t[i].effect_s);
        if (t[i].effect_s < t[i].sent_s - FD_SKEW_CLOCK_SLACK_S ||
            t[i].effect_s > t[i].ack_s + FD_SKEW_CLOCK_SLACK_S)
            agree = false;
    }
    out->hosts = acked;
    out->controller_s = acked ? ack_hi - ack_lo : NAN;
    out->hosts_s = acked && effects == acked ? eff_hi - eff_lo : NAN;
    out->hosts_clock = acked && agree;
    out->skew_s = out->hosts_clock ? out->hosts_s : out->controller_s;
}

char *fd_skew_text(const fd_skew *s)
{
    if (s->hosts < 2 || isnan(s->skew_s))
        return fd_strdup("");
    return fd_asprintf(" on %zu hosts within %.0f ms (%s clock%s)", s->hosts, s->skew_s * 1000.0,
                       s->hosts_clock ? "the hosts'" : "the controller's",
                       s->hosts_clock ? "s" : "");
}

double fd_effect_unix(const char *out)
{
    for (const char *p = out, *nl; p && *p; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        if (strncmp(p, "effect: ", 8) != 0)
            continue;
        /* digits, a point and at least milliseconds: whole seconds (a date without %N)
         * cannot place the moment within a round trip */
        const char *q = p + 8, *dot;
        size_t whole = strspn(q, "0123456789");
        dot = q + whole;
        size_t frac = *dot == '.' ? strspn(dot + 1, "0123456789") : 0;
        const char *end = dot + (frac ? frac + 1 : 0);
        if (whole && frac >= 3 && (*end == '\n' || *end == '\0'))
            return strtod(q, NULL);
    }
    return NAN;
}

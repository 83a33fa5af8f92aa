/* plan.h: turning a fault step into per-host agent calls, and printing a plan.
 *
 * Both `plan` and `run` expand faults here, so the plan shows exactly the
 * commands a run sends. */
#ifndef FD_PLAN_H
#define FD_PLAN_H

#include "agent.h"
#include "scenario.h"
#include "selector.h"

#include <stdio.h>

/* Resolves a selector to inventory indexes (out holds inv->n). */
typedef size_t (*fd_resolve_fn)(const fd_selector *sel, size_t *out, void *arg);

typedef struct fd_fault_target {
    size_t host; /* inventory index */
    fd_agent_call call;
    size_t *peers; /* inventory indexes of the hosts it is cut from */
    size_t npeers;
} fd_fault_target;

typedef struct fd_fault_expansion {
    fd_fault_target *t;
    size_t n;
} fd_fault_expansion;

/* Expands fault step st. Returns false with *err (caller frees) when the selectors
 * leave nothing to do or contradict each other (a host in two split groups). */
bool fd_fault_expand(const fd_scenario *s, const fd_step *st, const char *run_id,
                     fd_resolve_fn resolve, void *arg, fd_fault_expansion *out, char **err);
void fd_fault_expansion_free(fd_fault_expansion *e);

/* The static resolver used by plan: `where` is not run (its candidates are kept),
 * picks use the seed as a run does. When only_sel is set, that selector resolves to the single
 * host only_host (to show what a step does if `where` picks that host). */
typedef struct fd_static_resolver {
    const fd_scenario *s;
    uint64_t seed; /* the run's seed: each selector picks with fd_selector_rng */
    const fd_selector *only_sel;
    size_t only_host;
} fd_static_resolver;
size_t fd_resolve_static(const fd_selector *sel, size_t *out, void *arg);

/* Prints the plan of a scenario: per step, the hosts and the exact commands. */
void fd_plan_print(FILE *f, const fd_scenario *s, const char *run_id, uint64_t seed);

/* "<name>-<UTC yyyymmddThhmmssZ>-<6 random hex digits>". Caller frees. */
char *fd_run_id_new(const char *name, double unix_time);

#endif

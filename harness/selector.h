/* selector.h: resolving a `target` selector to hosts. */
#ifndef FD_SELECTOR_H
#define FD_SELECTOR_H

#include "scenario.h"
#include "ssh.h"

#include <stdint.h>

/* Reads a `pick` (all, one, random:N with N 1-100000, percent:P with P 1-100) into
 * sel. False, sel unchanged, for anything else. The scenario and --pick use it. */
bool fd_selector_parse_pick(const char *s, fd_selector *sel);

/* A small deterministic generator for random picks (splitmix64), seeded by --seed. */
typedef struct fd_rng {
    uint64_t state;
} fd_rng;
void fd_rng_seed(fd_rng *r, uint64_t seed);
uint64_t fd_rng_next(fd_rng *r);

/* The hosts matching hosts/role/datacenter (all keys ANDed), in inventory order.
 * out must hold inv->n entries. Returns the count. */
size_t fd_selector_match(const fd_selector *sel, const fd_inventory *inv, size_t *out);
/* The generator for one selector's random pick: the run's seed mixed with where the
 * selector stands in the scenario. Each selector draws from its own stream, so a pick
 * does not depend on the selectors before it (nor on what a `where` found there):
 * `plan` and `run` with one seed pick the same hosts. */
fd_rng fd_selector_rng(uint64_t seed, const fd_selector *sel);
/* Applies `pick` to n matched hosts in place; returns the new count. */
size_t fd_selector_pick(const fd_selector *sel, size_t *idx, size_t n, fd_rng *rng);

typedef struct fd_where_result {
    size_t host; /* inventory index */
    bool kept;
    bool ran; /* false when the host could not be reached */
    int exit_status;
    char *detail; /* error or stderr excerpt; caller frees */
} fd_where_result;

/* Full resolution at step time: match, run `where` on each candidate concurrently
 * (connecting as needed), pick (with fd_selector_rng(seed, sel)). Returns the count of chosen hosts
 * in out (inv->n entries). When details is not NULL it receives one entry per candidate
 * (*ndetails of them; free each detail and the array). */
size_t fd_selector_resolve(const fd_selector *sel, fd_pool *pool, const char *run_id, uint64_t seed,
                           size_t *out, fd_where_result **details, size_t *ndetails);

/* A one-line description, such as "role=redis, where `...`, pick one". Caller frees. */
char *fd_selector_describe(const fd_selector *sel);

#endif

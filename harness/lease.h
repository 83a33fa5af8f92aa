/* lease.h: a run's leases on the hosts its faults may touch, and the watch that brings a
 * fleet-wide halt (`firedrill halt`) to the run within a second.
 *
 * At preflight the run leases every host a fault step may touch (lib.sh's `lease`):
 * a file on the host naming the run, its controller and drill, and an expiry. Another
 * run holding one of them (a lease in force, or faults of its own recorded there) makes
 * the preflight fail naming it, unless --allow-overlap. While the run goes on, one watch
 * thread per leased host keeps a command running there (lib.sh's `watch`, on a
 * connection of its own) that renews the lease and looks at the halt marker four times
 * a second: a halt reaches the run at once, without the controller asking the hosts
 * anything each probe interval. A controller that dies renews nothing: its leases lapse
 * within the ttl, and the host removes them then. After the last heal the run releases
 * its leases; when a heal failed they stay until they lapse. */
#ifndef FD_LEASE_H
#define FD_LEASE_H

#include "runstate.h"

/* The hosts a scenario's faults may touch, in inventory order, as `plan` expands the fault
 * steps (every candidate of a `where` selector counted, picks drawn with the seed). out
 * holds s->inv.n entries; returns the count. Hosts only probed or read are not in it. */
size_t fd_lease_hosts(const fd_scenario *s, uint64_t seed, size_t *out);
/* How long a lease lasts without renewal: the longest ttl of its faults (each defaults to
 * safety.ttl), so that a dead controller's lease lapses as its faults revert themselves
 * (an applied fault also extends it to its own ttl on the host); safety.ttl without
 * faults. */
int64_t fd_lease_ttl_us(const fd_scenario *s);
/* How often the watch renews it: a third of the ttl, from 1 to 10 seconds. */
int64_t fd_lease_renew_us(int64_t ttl_us);

/* Preflight: leases the hosts of fd_lease_hosts. False when the run must not go on
 * (said; the outcome recorded: a halted host aborts the run, a held one is an
 * infrastructure error), with no lease left behind. */
bool fd_lease_acquire(fd_run *r);
/* Starts the watch threads. */
void fd_lease_watch_start(fd_run *r);
/* Stops the watch and releases the leases, unless a heal failed (said). */
void fd_lease_finish(fd_run *r);

#endif

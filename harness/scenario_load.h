/* scenario_load.h: what the scenario loader's files share while they read one
 * document (scenario.c: the document, vars and top-level sections; scenario_step.c:
 * the steps; scenario_probe.c: the probes; scenario_refs.c: the cross-references).
 * Internal to the loader: everything else uses scenario.h. */
#ifndef FD_SCENARIO_LOAD_H
#define FD_SCENARIO_LOAD_H

#include "scenario.h"
#include "yamldoc.h"
#include "ytyped.h"

/* One document being read: the typed reader (with its diagnostics), the scenario it
 * fills, and the document. */
typedef struct fd_loader {
    fd_yt t;
    fd_scenario *s;
    fd_ydoc *doc;
} fd_loader;

/* Step ids and probe names: 1 to 64 letters, digits, '_', '.', '-', starting with a
 * letter or digit. */
bool fd_scenario_valid_id(const char *s);
/* Reads timeline entry m (at index) into st. */
void fd_scenario_read_step(fd_loader *L, const fd_ynode *m, size_t index, fd_step *st);
/* Reads probe entry m into p. */
void fd_scenario_read_probe(fd_loader *L, const fd_ynode *m, fd_probe *p);
/* Checks the names a selector uses against the inventory, reporting at node. */
void fd_scenario_check_selector(fd_loader *L, const fd_selector *sel, const fd_ynode *node);
/* scenario_monitor.c: safety.alerts (node may be NULL), and the references to the
 * monitoring stack: conditions and checks on values, alert checks. */
void fd_scenario_read_alerts(fd_loader *L, const fd_ynode *m);
void fd_scenario_check_monitoring(fd_loader *L, const fd_ynode *root);
/* Checks every cross-reference of the scenario read from root. */
void fd_scenario_check_refs(fd_loader *L, const fd_ynode *root);

#endif

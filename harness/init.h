/* init.h: the starter scenarios of `firedrill init`, written for an inventory. */
#ifndef FD_INIT_H
#define FD_INIT_H

#include "inventory.h"
#include "util.h"

typedef struct fd_init_template {
    const char *name; /* redis-sentinel, postgres, ... */
    const char *text; /* scenarios/templates/NAME.yaml, embedded at build time */
} fd_init_template;

/* Every template, in name order, ending with {0, 0}. */
extern const fd_init_template fd_init_templates[];

const fd_init_template *fd_init_find(const char *name);

/* The template's text with its placeholders filled from inv:
 *   @{inventory}          inventory_yaml, the scenario's `inventory:` key as written
 *   @{target:K1|K2}       `role: R` for the first role named like a keyword, else
 *                         `hosts: [every host]`
 *   @{list:K1|K2:FMT}     FMT for each of those hosts, `%` its address, joined by ','
 *   @{host:K1|K2:N}       the Nth of those hosts' name (counted round), @{addr:...} its
 *                         address
 * Each keyword set that matched no role adds a line to notes. NULL with *err set
 * (caller frees) on a placeholder it does not know. */
char *fd_init_render(const char *tmpl, const fd_inventory *inv, const char *inventory_yaml,
                     fd_strv *notes, char **err);

#endif

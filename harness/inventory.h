/* inventory.h: the hosts a scenario runs against. */
#ifndef FD_INVENTORY_H
#define FD_INVENTORY_H

#include "util.h"
#include "ytyped.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct fd_host {
    char *name;
    char *address;    /* an address or a Host alias from ~/.ssh/config */
    char *datacenter; /* may be NULL */
    fd_strv roles;
    char *user;        /* NULL: from ~/.ssh/config, else the local user */
    int port;          /* 0: from ~/.ssh/config, else 22 */
    char *identity;    /* resolved path, or NULL */
    char *known_hosts; /* resolved path */
    bool sudo;
    int64_t connect_timeout_us;
    /* `jump: [user@]host[:port]`: reached through that SSH server (ssh -W). NULL host:
     * directly (or as ~/.ssh/config's ProxyJump says). */
    char *jump_user, *jump_host;
    int jump_port;
    int line, col;
} fd_host;

typedef struct fd_inventory {
    char *file; /* where it was read from (the scenario file when inline) */
    fd_host *hosts;
    size_t n;
} fd_inventory;

#define FD_MAX_HOSTS 10000

/* The settings `defaults` gives every host and each host may override. */
typedef struct fd_host_opts {
    char *user;
    int64_t port;
    char *identity;
    char *known_hosts;
    bool sudo;
    int64_t connect_timeout_us;
    char *jump;
} fd_host_opts;

/* Reads an inventory mapping: firedrill's own (defaults and hosts) or
 * `{ansible: PATH, ...}`. base_dir resolves relative paths; verbose warns of Ansible
 * variables firedrill does not read. Returns false after reporting errors through t. */
bool fd_inventory_from_node(fd_yt *t, const fd_ynode *node, const char *file, const char *base_dir,
                            bool verbose, fd_inventory *inv);

/* The checks every name, role, datacenter and address passes, whatever inventory it
 * comes from, and the reading of a jump host [user@]host[:port] into h. */
#define FD_WORD_RULE "must be 1 to 64 letters, digits, '-', '_' or '.'"
#define FD_ADDRESS_RULE                                                                            \
    "must be a host name or an IP address (letters, digits, '-', '_', '.', ':', '%')"
#define FD_JUMP_RULE                                                                               \
    "must be [user@]host[:port] (a safe user name, a host name or an IP address, [IPv6] in "       \
    "brackets)"
bool fd_inventory_valid_word(const char *s);
bool fd_inventory_valid_address(const char *s);
bool fd_inventory_set_jump(const char *s, fd_host *h);
/* A copy of the defaults, for one host to override. */
fd_host_opts fd_host_opts_copy(const fd_host_opts *d);
/* The settings of a host after the defaults: user, port, paths resolved against
 * base_dir, known_hosts defaulted. Takes what o holds. */
void fd_host_apply_opts(fd_host *h, fd_host_opts *o, const char *base_dir);
void fd_inventory_free(fd_inventory *inv);

/* The host's jump host as [user@]host:port, the port it is reached on (22 unless the
 * inventory says), or NULL when it has none (caller frees). */
char *fd_host_jump_words(const fd_host *h);

const fd_host *fd_inventory_find(const fd_inventory *inv, const char *name);
bool fd_inventory_has_role(const fd_inventory *inv, const char *role);
bool fd_inventory_has_datacenter(const fd_inventory *inv, const char *dc);

#endif

/* jump.h: reaching a host through a jump host (a bastion), the inventory's `jump:`.
 *
 * OpenSSH's `ssh -W` carries the connection (libssh's ProxyCommand), the jump host's
 * key checked strictly against the inventory's known_hosts; what it says when it fails
 * is kept for the error; logins through one jump host are limited, under its sshd's
 * MaxStartups. */
#ifndef FD_JUMP_H
#define FD_JUMP_H

#include "inventory.h"

#include <stddef.h>

/* The ProxyCommand that reaches host h through its jump host: OpenSSH's `ssh -W`, the
 * jump host's key verified strictly against h's known_hosts, with h's identity, as the
 * jump's user (else h's); its stderr appended to err_path unless NULL. Caller frees. */
char *fd_jump_command(const fd_host *h, const char *err_path);

/* A file of firedrill's own (made exclusively, mode 0600) for the jump's ssh to say why
 * it failed, its path in path; -1 when none can be made. */
int fd_jump_err_open(char *path, size_t size);
/* What the jump's ssh said (its last line; a changed key summed up), or NULL; closes
 * fd and removes the file. Caller frees. */
char *fd_jump_err_take(int fd, const char *path);

/* A login slot of h's jump host: waits while JUMP_LOGINS logins go through it; NULL
 * (no wait) when too many jump hosts are known. */
typedef struct fd_jump_slot fd_jump_slot;
fd_jump_slot *fd_jump_enter(const fd_host *h);
void fd_jump_leave(fd_jump_slot *s);

#endif

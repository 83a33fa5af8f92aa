/* jump.c: reaching a host through a jump host (a bastion), the inventory's `jump:`. */
#include "jump.h"
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *fd_jump_command(const fd_host *h, const char *err_path)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    /* OpenSSH's client carries the connection to the jump host, as libssh itself does for
     * ProxyJump; the jump host's key is checked strictly against the inventory's
     * known_hosts, like every host's. */
    fd_buf_printf(&b,
                  "exec ssh -W %%h:%%p -o BatchMode=yes -o StrictHostKeyChecking=yes "
                  "-o LogLevel=ERROR -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=%lld "
                  "-o UserKnownHostsFile=",
                  (long long)(h->connect_timeout_us + 999999) / 1000000);
    fd_buf_shell_quote(&b, h->known_hosts);
    if (h->identity) {
        fd_buf_puts(&b, " -o IdentitiesOnly=yes -i ");
        fd_buf_shell_quote(&b, h->identity);
    }
    const char *user = h->jump_user ? h->jump_user : h->user;
    if (user) {
        fd_buf_puts(&b, " -l ");
        fd_buf_shell_quote(&b, user);
    }
    fd_buf_printf(&b, " -p %d -- ", h->jump_port ? h->jump_port : 22);
    fd_buf_shell_quote(&b, h->jump_host);
    if (err_path) {
        fd_buf_puts(&b, " 2>>");
        fd_buf_shell_quote(&b, err_path);
    }
    return fd_buf_steal(&b);
}

/* A file of our own (made exclusively, mode 0600) for the jump's ssh to say why it
 * failed; -1 when none can be made (its complaints then go to the terminal). */
int fd_jump_err_open(char *path, size_t size)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || *dir != '/' || strlen(dir) + 32 > size)
        dir = "/tmp";
    snprintf(path, size, "%s/firedrill-jump-XXXXXX", dir);
    return mkstemp(path);
}

/* What the jump's ssh said, or NULL; the file is removed. Its last line says why
 * ("Host key verification failed.", "Permission denied", "Connection timed out"); a
 * changed key's banner above it is summed up. */
char *fd_jump_err_take(int fd, const char *path)
{
    if (fd < 0)
        return NULL;
    enum { CAP = 8192 };
    char *buf = fd_xmalloc(CAP); /* off the stack: connections open on small-stack threads */
    ssize_t n = pread(fd, buf, CAP - 1, 0);
    close(fd);
    unlink(path);
    if (n <= 0) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    char *last = strrchr(buf, '\n');
    last = last ? last + 1 : buf;
    char *p = *last ? fd_printable(last, 300) : NULL;
    if (p && strstr(buf, "IDENTIFICATION HAS CHANGED")) {
        char *s = fd_asprintf("the jump host's key has CHANGED; %s", p);
        free(p);
        p = s;
    }
    free(buf);
    return p;
}

/* Logins to one jump host at once. A bastion's sshd drops connections that have not
 * logged in yet past its MaxStartups (10 by default, then 30% of new ones): firedrill
 * stays under it. A slot is held until ssh_connect returns, by which time the jump's
 * ssh has logged in to the bastion (or failed). */
#define JUMP_LOGINS 8
#define JUMP_HOSTS 32

struct fd_jump_slot {
    char key[300];
    int busy;
};

static pthread_mutex_t jump_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jump_freed = PTHREAD_COND_INITIALIZER;
static fd_jump_slot jump_slots[JUMP_HOSTS];

/* Waits for a login slot of h's jump host; NULL when the table is full (no wait). */
fd_jump_slot *fd_jump_enter(const fd_host *h)
{
    char key[300];
    snprintf(key, sizeof key, "%s@%s:%d", h->jump_user ? h->jump_user : "", h->jump_host,
             h->jump_port);
    pthread_mutex_lock(&jump_lock);
    fd_jump_slot *s = NULL;
    for (size_t i = 0; i < JUMP_HOSTS && !s; i++)
        if (strcmp(jump_slots[i].key, key) == 0 || !jump_slots[i].key[0])
            s = &jump_slots[i];
    if (s) {
        if (!s->key[0])
            snprintf(s->key, sizeof s->key, "%s", key);
        while (s->busy >= JUMP_LOGINS)
            pthread_cond_wait(&jump_freed, &jump_lock);
        s->busy++;
    }
    pthread_mutex_unlock(&jump_lock);
    return s;
}

void fd_jump_leave(fd_jump_slot *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&jump_lock);
    s->busy--;
    pthread_cond_broadcast(&jump_freed);
    pthread_mutex_unlock(&jump_lock);
}

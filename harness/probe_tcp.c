/* probe_tcp.c: the tcp probe: one TCP connect per operation, closed with a reset (as a
 * load balancer's health check closes it) so that neither the controller nor the server
 * keeps a socket in TIME_WAIT: at 1 ms, 60 s of orderly closes leave 60 000 of them and
 * exhaust the ephemeral ports (docs/behaviour.md). */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct fd_probe_client {
    const fd_probe *p;
};

static fd_probe_client *tcp_open(const fd_probe *p, const fd_probe_env *env)
{
    fd_probe_client *c = fd_xcalloc(1, sizeof *c);
    c->p = p;
    return c;
}

static fd_outcome tcp_op(fd_probe_client *c, const char *value, int64_t deadline_us, char **error)
{
    char port[16];
    snprintf(port, sizeof port, "%lld", (long long)c->p->port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc = getaddrinfo(c->p->address, port, &hints, &ai);
    if (rc != 0) {
        *error = fd_asprintf("resolve %s: %s", c->p->address, gai_strerror(rc));
        return FD_OUT_FAIL;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    fd_outcome o = FD_OUT_FAIL;
    if (fd < 0) {
        *error = fd_asprintf("socket: %s", strerror(errno));
    } else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        o = FD_OUT_OK;
    } else if (errno != EINPROGRESS) {
        *error = fd_asprintf("connect: %s", strerror(errno));
    } else {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int n;
        while ((n = poll(&pfd, 1, fd_deadline_ms(deadline_us))) < 0 && errno == EINTR)
            ;
        int err = 0;
        socklen_t len = sizeof err;
        if (n == 0) {
            *error = fd_strdup("connect timed out");
        } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
            o = FD_OUT_OK;
        } else {
            *error = fd_asprintf("connect: %s", strerror(err ? err : errno));
        }
    }
    if (fd >= 0) {
        if (o == FD_OUT_OK) {
            /* linger 0: the close sends RST and the socket is gone at once */
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(fd);
    }
    freeaddrinfo(ai);
    return o;
}

static bool tcp_read_back(fd_probe_client *c, int64_t deadline_us, fd_strv *values, char **error)
{
    *error = fd_strdup("tcp probes do not write");
    return false;
}

static void tcp_close(fd_probe_client *c)
{
    free(c);
}

/* tcp: an address and a port. */
static void tcp_read(const fd_probe_reader *rd, const fd_ynode *m, fd_probe *p)
{
    fd_yt *t = rd->t;
    const char *what = rd->what;
    fd_yt_str(t, m, "address", true, what, &p->address);
    if (fd_yt_uint(t, m, "port", true, what, 65535, &p->port) && fd_ymap_get(m, "port") &&
        p->port == 0)
        fd_yt_err(t, fd_ymap_get(m, "port"), "'port' must be from 1 to 65535, got '0'");
}

static const char *const tcp_keys[] = {"address", "port", NULL};

const fd_probe_type_ops fd_probe_tcp_ops = {
    .type = FD_PROBE_TCP,
    .keys = tcp_keys,
    .read = tcp_read,
    .writes = false,
    .open = tcp_open,
    .op = tcp_op,
    .read_back = tcp_read_back,
    .close = tcp_close,
};

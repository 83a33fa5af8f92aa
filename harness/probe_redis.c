/* probe_redis.c: the redis probe, with hiredis.
 *
 * hiredis has no Sentinel support, so the master is found as the Sentinel client
 * guidelines say: ask each sentinel in turn (the last one that answered first) for
 * SENTINEL get-master-addr-by-name, connect, and confirm with ROLE that it is a
 * master; after any error the connection is dropped and the next operation looks
 * the master up again. With `endpoints`, writes go to the endpoint whose ROLE is
 * master and reads to the first that answers.
 *
 * Reads GET the probe's key; writes RPUSH a unique value onto it, so that the
 * read-back (LRANGE) sees every value the current master holds. */
#include "probe.h"

#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct fd_probe_client {
    const fd_probe *p;
    char *key;
    redisContext *ctx;
    bool ctx_is_master;
    size_t preferred; /* index of the sentinel or endpoint that answered last */
};

static struct timeval tv_until(int64_t deadline_us)
{
    int64_t left = deadline_us - fd_mono_us();
    if (left < 1000)
        left = 1000;
    struct timeval tv = {.tv_sec = left / 1000000, .tv_usec = left % 1000000};
    return tv;
}

static bool split_addr(const char *addr, char **host, int *port)
{
    const char *colon = strrchr(addr, ':');
    if (!colon)
        return false;
    int64_t p = 0;
    if (!fd_parse_uint(colon + 1, 65535, &p) || p == 0)
        return false;
    *host = fd_strndup(addr, (size_t)(colon - addr));
    *port = (int)p;
    return true;
}

static redisContext *connect_to(const char *host, int port, int64_t deadline_us, char **error)
{
    struct timeval tv = tv_until(deadline_us);
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (!c || c->err) {
        free(*error);
        *error = fd_asprintf("connect %s:%d: %s", host, port, c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    return c;
}

/* Sends a command and reads its reply. FD_OUT_FAIL when the request was not sent or
 * was refused with an error reply, FD_OUT_UNKNOWN when it was sent but no reply came. */
static fd_outcome command(redisContext *c, int64_t deadline_us, redisReply **out, char **error,
                          const char *fmt, ...)
{
    *out = NULL;
    struct timeval tv = tv_until(deadline_us);
    redisSetTimeout(c, tv);
    va_list ap;
    va_start(ap, fmt);
    int rc = redisvAppendCommand(c, fmt, ap);
    va_end(ap);
    if (rc != REDIS_OK) {
        *error = fd_asprintf("cannot build the command: %s", c->errstr);
        return FD_OUT_FAIL;
    }
    int done = 0;
    do {
        if (redisBufferWrite(c, &done) != REDIS_OK) {
            *error = fd_asprintf("send: %s", c->errstr);
            return FD_OUT_FAIL;
        }
    } while (!done);
    void *reply = NULL;
    if (redisGetReply(c, &reply) != REDIS_OK || !reply) {
        *error = fd_asprintf("no reply: %s", c->err ? c->errstr : "connection closed");
        return FD_OUT_UNKNOWN;
    }
    redisReply *r = reply;
    if (r->type == REDIS_REPLY_ERROR) {
        *error = fd_asprintf("%s", r->str ? r->str : "error reply");
        freeReplyObject(r);
        return FD_OUT_FAIL;
    }
    *out = r;
    return FD_OUT_OK;
}

static bool is_master(redisContext *c, int64_t deadline_us, char **error)
{
    redisReply *r;
    char *e = NULL;
    if (command(c, deadline_us, &r, &e, "ROLE") != FD_OUT_OK) {
        free(*error);
        *error = e;
        return false;
    }
    bool master = r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
                  r->element[0]->type == REDIS_REPLY_STRING &&
                  strcmp(r->element[0]->str, "master") == 0;
    if (!master) {
        free(*error);
        *error = fd_strdup("the node is not a master (ROLE)");
    }
    freeReplyObject(r);
    return master;
}

static void drop(fd_probe_client *c)
{
    if (c->ctx)
        redisFree(c->ctx);
    c->ctx = NULL;
    c->ctx_is_master = false;
}

/* Finds and connects to the master through the sentinels. */
static bool resolve_sentinel(fd_probe_client *c, int64_t deadline_us, char **error)
{
    const fd_strv *s = &c->p->sentinel_addresses;
    for (size_t k = 0; k < s->n && fd_mono_us() < deadline_us; k++) {
        size_t i = (c->preferred + k) % s->n;
        char *host = NULL;
        int port = 0;
        if (!split_addr(s->v[i], &host, &port)) {
            free(host);
            continue;
        }
        redisContext *sc = connect_to(host, port, deadline_us, error);
        free(host);
        if (!sc)
            continue;
        redisReply *r = NULL;
        char *e = NULL;
        fd_outcome o = command(sc, deadline_us, &r, &e, "SENTINEL get-master-addr-by-name %s",
                               c->p->sentinel_master);
        redisFree(sc);
        if (o != FD_OUT_OK || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            free(*error);
            *error = e ? fd_asprintf("sentinel %s: %s", s->v[i], e)
                       : fd_asprintf("sentinel %s does not know master '%s'", s->v[i],
                                     c->p->sentinel_master);
            free(e);
            if (r)
                freeReplyObject(r);
            continue;
        }
        /* the sentinel's answer is remote data: two strings, a port from 1 to 65535 */
        int64_t mport = 0;
        if (r->element[0]->type != REDIS_REPLY_STRING ||
            r->element[1]->type != REDIS_REPLY_STRING ||
            !fd_parse_uint(r->element[1]->str, 65535, &mport) || mport == 0) {
            free(*error);
            *error = fd_asprintf("sentinel %s gave no usable master address", s->v[i]);
            freeReplyObject(r);
            continue;
        }
        char *mhost = fd_strdup(r->element[0]->str);
        freeReplyObject(r);
        redisContext *mc = connect_to(mhost, (int)mport, deadline_us, error);
        if (mc && is_master(mc, deadline_us, error)) {
            c->ctx = mc;
            c->ctx_is_master = true;
            c->preferred = i;
            free(mhost);
            return true;
        }
        if (mc)
            redisFree(mc);
        free(mhost);
    }
    if (!*error)
        *error = fd_strdup("no sentinel answered in time");
    return false;
}

static bool resolve_endpoints(fd_probe_client *c, bool need_master, int64_t deadline_us,
                              char **error)
{
    const fd_strv *e = &c->p->endpoints;
    for (size_t k = 0; k < e->n && fd_mono_us() < deadline_us; k++) {
        size_t i = (c->preferred + k) % e->n;
        char *host = NULL;
        int port = 0;
        if (!split_addr(e->v[i], &host, &port)) {
            free(host);
            continue;
        }
        redisContext *rc = connect_to(host, port, deadline_us, error);
        free(host);
        if (!rc)
            continue;
        if (need_master && !is_master(rc, deadline_us, error)) {
            redisFree(rc);
            continue;
        }
        c->ctx = rc;
        c->ctx_is_master = need_master;
        c->preferred = i;
        return true;
    }
    if (!*error)
        *error = fd_strdup(need_master ? "no endpoint is a master" : "no endpoint answered");
    return false;
}

static bool ensure(fd_probe_client *c, bool need_master, int64_t deadline_us, char **error)
{
    if (c->ctx && (!need_master || c->ctx_is_master))
        return true;
    drop(c);
    if (c->p->sentinel_addresses.n)
        return resolve_sentinel(c, deadline_us, error);
    return resolve_endpoints(c, need_master, deadline_us, error);
}

static fd_probe_client *redis_open(const fd_probe *p, const fd_probe_env *env)
{
    fd_probe_client *c = fd_xcalloc(1, sizeof *c);
    c->p = p;
    c->key = fd_asprintf("firedrill:%s:%s", env->run_id, p->name);
    return c;
}

static fd_outcome redis_op(fd_probe_client *c, const char *value, int64_t deadline_us, char **error)
{
    if (!ensure(c, value != NULL, deadline_us, error))
        return FD_OUT_FAIL;
    redisReply *r = NULL;
    fd_outcome o = value ? command(c->ctx, deadline_us, &r, error, "RPUSH %s %s", c->key, value)
                         : command(c->ctx, deadline_us, &r, error, "GET %s", c->key);
    if (r)
        freeReplyObject(r);
    if (o != FD_OUT_OK)
        drop(c); /* look the master up again on the next operation */
    return o;
}

static bool redis_read_back(fd_probe_client *c, int64_t deadline_us, fd_strv *values, char **error)
{
    drop(c); /* ask the sentinels afresh: the master may have changed */
    /* a write probe reads back from the master; a replica's copy (mode read) from it */
    if (!ensure(c, c->p->write, deadline_us, error))
        return false;
    redisReply *r = NULL;
    fd_outcome o = command(c->ctx, deadline_us, &r, error, "LRANGE %s 0 -1", c->key);
    if (o != FD_OUT_OK) {
        drop(c);
        return false;
    }
    bool ok = r->type == REDIS_REPLY_ARRAY;
    for (size_t i = 0; ok && i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING)
            fd_strv_push(values, r->element[i]->str);
    if (!ok)
        *error = fd_strdup("LRANGE did not return a list");
    freeReplyObject(r);
    return ok;
}

/* The newest of the probe's values on this server: the list's last element. */
static bool redis_newest(fd_probe_client *c, int64_t deadline_us, uint64_t *n, char **error)
{
    *n = 0;
    if (!ensure(c, c->p->write, deadline_us, error))
        return false;
    redisReply *r = NULL;
    fd_outcome o = command(c->ctx, deadline_us, &r, error, "LINDEX %s -1", c->key);
    if (o != FD_OUT_OK) {
        drop(c);
        return false;
    }
    if (r->type == REDIS_REPLY_STRING)
        *n = strtoull(r->str, NULL, 10);
    freeReplyObject(r);
    return true;
}

static void redis_close(fd_probe_client *c)
{
    drop(c);
    free(c->key);
    free(c);
}

/* redis: endpoints, or Sentinel's addresses and master name. */
static void redis_read(const fd_probe_reader *rd, const fd_ynode *m, fd_probe *p)
{
    fd_yt *t = rd->t;
    const char *what = rd->what;
    const fd_ynode *sn = fd_ymap_get(m, "sentinel");
    const fd_ynode *en = fd_ymap_get(m, "endpoints");
    if (sn && en) {
        fd_yt_err(t, fd_ymap_key(m, "sentinel"), "%s takes 'endpoints' or 'sentinel', not both",
                  what);
    } else if (!sn && !en) {
        fd_yt_err(t, m, "%s needs 'endpoints' or 'sentinel'", what);
    } else if (en) {
        if (fd_yt_strlist(t, m, "endpoints", true, what, &p->endpoints))
            fd_probe_check_endpoints(rd, m, "endpoints", &p->endpoints, false);
    } else if (fd_yt_map(t, sn, "'sentinel'")) {
        static const char *const skeys[] = {"addresses", "master", NULL};
        fd_yt_keys(t, sn, "'sentinel'", skeys);
        if (fd_yt_strlist(t, sn, "addresses", true, "'sentinel'", &p->sentinel_addresses))
            fd_probe_check_endpoints(rd, sn, "addresses", &p->sentinel_addresses, false);
        fd_yt_str(t, sn, "master", true, "'sentinel'", &p->sentinel_master);
    }
}

static const char *const redis_keys[] = {"endpoints", "sentinel", NULL};

const fd_probe_type_ops fd_probe_redis_ops = {
    .type = FD_PROBE_REDIS,
    .keys = redis_keys,
    .read = redis_read,
    .writes = true,
    .open = redis_open,
    .op = redis_op,
    .read_back = redis_read_back,
    .newest = redis_newest,
    .close = redis_close,
};

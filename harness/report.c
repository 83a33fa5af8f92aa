/* report.c: report.json, the whole result of a run (the source of every other
 * format). Every string that may hold a secret is redacted on the way in. */
#include "run.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static json_t *jstr(const fd_run *r, const char *s)
{
    if (!s)
        return json_null();
    char *red = fd_redact(&r->s->vars, s);
    json_t *j = json_string(red);
    if (!j) /* not UTF-8: keep it readable rather than drop it */
        j = json_string("(output that is not UTF-8 text)");
    free(red);
    return j;
}

static json_t *jtime(double s)
{
    return s < 0 ? json_null() : json_real((double)(int64_t)(s * 1000.0 + 0.5) / 1000.0);
}

/* The file's sha256 as hex, or NULL. Caller frees. */
static char *file_sha256(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        EVP_DigestUpdate(ctx, buf, n);
    fclose(f);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    char *hex = fd_xmalloc(len * 2 + 1);
    for (unsigned int i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return hex;
}

static const char *heal_status(const fd_active_fault *f)
{
    switch (f->state) {
    case FD_FS_HEALED: return "ok";
    case FD_FS_HEAL_FAILED: return "failed";
    default: return "pending";
    }
}

int fd_report_write_json(const fd_run *r)
{
    const fd_scenario *s = r->s;
    json_t *root = json_object();
    json_object_set_new(root, "format", json_string("firedrill-report/1"));
    json_object_set_new(root, "firedrill_version", json_string(FD_VERSION));
    char *sha = file_sha256(s->file);
    json_object_set_new(root, "scenario",
                        json_pack("{s:o,s:o,s:o,s:o}", "name", jstr(r, s->name), "file",
                                  jstr(r, s->file), "sha256", sha ? json_string(sha) : json_null(),
                                  "description", jstr(r, s->description)));
    free(sha);
    json_object_set_new(root, "run_id", jstr(r, r->run_id));
    json_object_set_new(root, "seed", json_integer((json_int_t)r->seed));
    json_object_set_new(root, "started_at_unix", json_real(r->started_unix));
    json_object_set_new(root, "duration_s", jtime(r->duration_s));
    json_object_set_new(root, "verdict", json_string(r->verdict ? r->verdict : "error"));
    json_object_set_new(root, "exit_code", json_integer(r->exit_code));
    if (r->abort_reason)
        json_object_set_new(root, "abort_reason", jstr(r, r->abort_reason));

    json_t *hosts = json_array();
    for (size_t i = 0; i < s->inv.n; i++) {
        const fd_host *h = &s->inv.hosts[i];
        json_t *roles = json_array();
        for (size_t k = 0; k < h->roles.n; k++)
            json_array_append_new(roles, jstr(r, h->roles.v[k]));
        json_array_append_new(hosts, json_pack("{s:o,s:o,s:o,s:o}", "name", jstr(r, h->name),
                                               "address", jstr(r, h->address), "datacenter",
                                               jstr(r, h->datacenter), "roles", roles));
    }
    json_object_set_new(root, "hosts", hosts);

    json_t *faults = json_array();
    for (size_t i = 0; i < r->nfaults; i++) {
        const fd_active_fault *f = r->faults[i];
        json_t *targets = json_array(), *cmds = json_array();
        for (size_t k = 0; k < f->nhosts; k++) {
            const fd_fault_host *fh = &f->hosts[k];
            const char *name = s->inv.hosts[fh->host].name;
            json_array_append_new(targets, jstr(r, name));
            json_t *c = json_pack("{s:o,s:o,s:o,s:o,s:o}", "host", jstr(r, name), "apply",
                                  jstr(r, fh->apply_cmd), "revert", jstr(r, fh->revert_cmd),
                                  "apply_exit", json_integer(fh->apply_exit), "agent",
                                  jstr(r, fh->apply_detail));
            if (fh->heal_error)
                json_object_set_new(c, "heal_error", jstr(r, fh->heal_error));
            json_array_append_new(cmds, c);
        }
        json_array_append_new(
            faults, json_pack("{s:o,s:s,s:o,s:o,s:o,s:o,s:s,s:b,s:o,s:o}", "id",
                              jstr(r, f->step->id), "type", fd_fault_type_names[f->step->fault.type],
                              "targets", targets, "started_s", jtime(f->started_s), "applied_s",
                              jtime(f->applied_s), "healed_s", jtime(f->healed_s), "heal",
                              heal_status(f), "took_effect", f->took_effect, "verification",
                              jstr(r, f->verification), "commands", cmds));
    }
    json_object_set_new(root, "faults", faults);

    json_t *steps = json_array();
    for (size_t i = 0; i < r->nsteps; i++) {
        const fd_step_record *st = &r->steps[i];
        json_t *o = json_pack("{s:i,s:s,s:o,s:o,s:o,s:s}", "index", (json_int_t)st->index, "kind",
                              fd_step_kind_names[st->step->kind], "id", jstr(r, st->step->id),
                              "started_s", jtime(st->started_s), "ended_s", jtime(st->ended_s),
                              "status", st->status ? st->status : "skipped");
        if (st->detail)
            json_object_set_new(o, "detail", jstr(r, st->detail));
        json_array_append_new(steps, o);
    }
    json_object_set_new(root, "steps", steps);
    json_object_set_new(root, "probes", json_array());
    json_object_set_new(root, "verifies", json_array());
    json_object_set_new(root, "checks", json_array());
    json_t *errors = json_array();
    for (size_t i = 0; i < r->errors.n; i++)
        json_array_append_new(errors, jstr(r, r->errors.v[i]));
    json_object_set_new(root, "errors", errors);

    char *path = fd_asprintf("%s/report.json", r->dir);
    char *tmp = fd_asprintf("%s.tmp", path);
    int rc = json_dump_file(root, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    if (rc == 0)
        rc = rename(tmp, path);
    json_decref(root);
    free(tmp);
    free(path);
    return rc;
}

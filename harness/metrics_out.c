/* metrics_out.c: the run's figures pushed to a Pushgateway (PUT: the scenario's group is
 * replaced by this run's) and written for node exporter's textfile collector. */
#include "metrics_out.h"
#include "curlutil.h"
#include "render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HEADER "# firedrill metrics:"

bool fd_metrics_file_ok(const char *path, char **err)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno != ENOENT) {
            *err = fd_asprintf("--metrics-file %s: %s", path, strerror(errno));
            return false;
        }
        char *dir = fd_strdup(path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *(slash == dir ? slash + 1 : slash) = '\0';
        bool ok = stat(slash ? dir : ".", &st) == 0 && S_ISDIR(st.st_mode);
        if (!ok)
            *err = fd_asprintf("--metrics-file %s: its directory does not exist", path);
        free(dir);
        return ok;
    }
    char *text = S_ISREG(st.st_mode) ? fd_read_file(path, (size_t)1 << 20, NULL, err) : NULL;
    bool ours = text && fd_str_starts(text, HEADER);
    if (!ours) {
        free(*err);
        *err = fd_asprintf("--metrics-file %s: refusing to replace it: it is not a metrics file "
                           "firedrill wrote (its first line would start '" HEADER "')",
                           path);
    }
    free(text);
    return ours;
}

static bool push(const char *base, const char *scenario, const fd_buf *body, char **err)
{
    CURL *h = curl_easy_init();
    char *path = fd_asprintf("metrics/job/firedrill/scenario/%s", scenario);
    char *url = fd_url_join(base, path);
    free(path);
    struct curl_slist *hdr =
        curl_slist_append(NULL, "Content-Type: text/plain; version=0.0.4; charset=utf-8");
    fd_http_result res;
    fd_outcome o =
        fd_http_request(h, "PUT", url, body->data, hdr, fd_mono_us() + 15000000, &res, err);
    bool ok = o == FD_OUT_OK && res.status >= 200 && res.status < 300;
    if (o == FD_OUT_OK && !ok) {
        char *said = fd_printable(res.body.data ? res.body.data : "", 300);
        *err = fd_asprintf("HTTP %ld: %s", res.status, said);
        free(said);
    }
    fd_buf_free(&res.body);
    curl_slist_free_all(hdr);
    free(url);
    curl_easy_cleanup(h);
    return ok;
}

void fd_metrics_out(fd_run *r)
{
    const fd_scenario *s = r->s;
    if (!s->pushgateway && !r->opts.metrics_file)
        return;
    char *path = fd_asprintf("%s/report.json", r->dir);
    json_t *rep = json_load_file(path, 0, NULL);
    free(path);
    if (!rep) {
        fd_run_error(r, "metrics: cannot read %s/report.json: nothing pushed or written", r->dir);
        return;
    }
    fd_buf text;
    fd_buf_init(&text, FD_BUF_UNCAPPED);
    fd_render_metrics(rep, &text);
    char *err = NULL;
    if (s->pushgateway) {
        char *url = fd_redact(&s->vars, s->pushgateway);
        if (push(s->pushgateway, s->name, &text, &err)) {
            fd_run_log(r, "metrics pushed to %s (job firedrill, scenario %s)", url, s->name);
        } else {
            char *e = fd_redact(&s->vars, err ? err : "no answer");
            fd_run_error(r, "metrics: the push to %s failed: %s (the verdict stands)", url, e);
            free(e);
        }
        free(url);
        free(err);
        err = NULL;
    }
    const char *file = r->opts.metrics_file;
    if (file) {
        if (fd_metrics_file_ok(file, &err) &&
            fd_write_file_replace(file, text.data, text.len, &err))
            fd_run_log(r, "metrics written to %s", file);
        else
            fd_run_error(r, "metrics: %s (the verdict stands)", err);
        free(err);
    }
    fd_buf_free(&text);
    json_decref(rep);
}

/* notify.c: the webhook notification, with libcurl. A failure to notify is reported
 * by the caller and never changes a run's verdict. */
#include "notify.h"
#include "util.h"

#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const fd_notify_event_names[] = {"start", "fault", "hold", "abort", "end", NULL};

json_t *fd_notify_summary(const json_t *r, const char *run_dir, const char *link)
{
    const char *scenario =
        json_string_value(json_object_get(json_object_get(r, "scenario"), "name"));
    const char *verdict = json_string_value(json_object_get(r, "verdict"));
    double failover = NAN, availability = NAN;
    json_int_t lost = -1;
    size_t i, failed = 0;
    const json_t *p, *c;
    json_array_foreach(json_object_get(r, "probes"), i, p)
    {
        const json_t *fo = json_object_get(p, "failover_time_s");
        const json_t *av = json_object_get(p, "availability");
        const json_t *lw = json_object_get(p, "lost_writes");
        if (json_is_number(fo) && (isnan(failover) || json_number_value(fo) > failover))
            failover = json_number_value(fo);
        if (json_is_number(av) && (isnan(availability) || json_number_value(av) < availability))
            availability = json_number_value(av);
        if (json_is_integer(lw))
            lost = (lost < 0 ? 0 : lost) + json_integer_value(lw);
    }
    json_array_foreach(json_object_get(r, "checks"), i, c) failed +=
        !json_is_true(json_object_get(c, "pass"));
    fd_buf text;
    fd_buf_init(&text, 4096);
    fd_buf_printf(&text, "firedrill: %s %s (exit %lld)", scenario ? scenario : "?",
                  verdict ? verdict : "?",
                  (long long)json_integer_value(json_object_get(r, "exit_code")));
    if (!isnan(failover))
        fd_buf_printf(&text, ", failover %.2f s", failover);
    if (!isnan(availability))
        fd_buf_printf(&text, ", availability %.2f%%", availability * 100);
    if (lost >= 0)
        fd_buf_printf(&text, ", lost writes %lld", (long long)lost);
    if (failed)
        fd_buf_printf(&text, ", %zu check%s failed", failed, failed == 1 ? "" : "s");
    fd_buf_printf(&text, ". Report: %s", link);
    json_t *j = json_pack("{s:s,s:s,s:s,s:s?,s:O?,s:s?,s:O?,s:o,s:o,s:o,s:I,s:s}", "text",
                          text.data, "event", "end", "report", link, "scenario", scenario, "run_id",
                          json_object_get(r, "run_id"), "verdict", verdict, "exit_code",
                          json_object_get(r, "exit_code"), "failover_time_s",
                          isnan(failover) ? json_null() : json_real(failover), "availability",
                          isnan(availability) ? json_null() : json_real(availability),
                          "lost_writes", lost < 0 ? json_null() : json_integer(lost),
                          "checks_failed", (json_int_t)failed, "run_dir", run_dir);
    fd_buf_free(&text);
    return j;
}

/* POSTs text (JSON) with a 10 s timeout, trying 3 times. */
static bool post(const char *url, const char *text, char **err)
{
    *err = NULL;
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    bool ok = false;
    for (int attempt = 1; attempt <= 3 && !ok; attempt++) {
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, NULL);
        FILE *devnull = fopen("/dev/null", "w");
        curl_easy_setopt(h, CURLOPT_WRITEDATA, devnull);
        CURLcode rc = curl_easy_perform(h);
        if (devnull)
            fclose(devnull);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        free(*err);
        *err = NULL;
        if (rc == CURLE_OK && status >= 200 && status < 300)
            ok = true;
        else if (rc != CURLE_OK)
            *err = fd_asprintf("%s", curl_easy_strerror(rc));
        else
            *err = fd_asprintf("the webhook answered HTTP %ld", status);
        if (!ok && attempt < 3)
            fd_sleep_us(1000000LL * attempt);
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return ok;
}

bool fd_notify_webhook(const char *url, const json_t *report, const char *run_dir, const char *link,
                       char **err)
{
    json_t *body = fd_notify_summary(report, run_dir, link);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    bool ok = post(url, text, err);
    free(text);
    return ok;
}

static void *notifier_main(void *arg)
{
    fd_notifier *nt = arg;
    pthread_mutex_lock(&nt->lock);
    for (;;) {
        while (!nt->n && !nt->quit)
            pthread_cond_wait(&nt->cond, &nt->lock);
        if (!nt->n)
            break;
        char *text = nt->queue[0];
        memmove(nt->queue, nt->queue + 1, --nt->n * sizeof *nt->queue);
        pthread_mutex_unlock(&nt->lock);
        char *err = NULL;
        bool ok = post(nt->url, text, &err);
        free(text);
        pthread_mutex_lock(&nt->lock);
        if (!ok) {
            nt->failed++;
            free(nt->last_error);
            nt->last_error = err;
            err = NULL;
        }
        free(err);
        pthread_cond_broadcast(&nt->cond);
    }
    pthread_mutex_unlock(&nt->lock);
    return NULL;
}

bool fd_notifier_start(fd_notifier *nt, const char *url)
{
    memset(nt, 0, sizeof *nt);
    nt->url = fd_strdup(url);
    pthread_mutex_init(&nt->lock, NULL);
    pthread_cond_init(&nt->cond, NULL);
    nt->started = pthread_create(&nt->thread, NULL, notifier_main, nt) == 0;
    return nt->started;
}

void fd_notifier_post(fd_notifier *nt, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text || !nt->started) {
        free(text);
        return;
    }
    pthread_mutex_lock(&nt->lock);
    if (nt->n == nt->cap) {
        nt->cap = nt->cap ? nt->cap * 2 : 8;
        nt->queue = fd_xrealloc(nt->queue, nt->cap * sizeof *nt->queue);
    }
    nt->queue[nt->n++] = text;
    pthread_cond_broadcast(&nt->cond);
    pthread_mutex_unlock(&nt->lock);
}

void fd_notifier_stop(fd_notifier *nt, int64_t drain_us, size_t *failed, char **last)
{
    if (nt->started) {
        int64_t deadline = fd_mono_us() + drain_us;
        pthread_mutex_lock(&nt->lock);
        while (nt->n && fd_mono_us() < deadline) {
            pthread_mutex_unlock(&nt->lock);
            fd_sleep_us(20000);
            pthread_mutex_lock(&nt->lock);
        }
        nt->failed += nt->n; /* not sent in time: dropped */
        for (size_t i = 0; i < nt->n; i++)
            free(nt->queue[i]);
        nt->n = 0;
        nt->quit = true;
        pthread_cond_broadcast(&nt->cond);
        pthread_mutex_unlock(&nt->lock);
        pthread_join(nt->thread, NULL);
        pthread_mutex_destroy(&nt->lock);
        pthread_cond_destroy(&nt->cond);
    }
    if (failed)
        *failed = nt->failed;
    if (last) {
        *last = nt->last_error;
        nt->last_error = NULL;
    }
    free(nt->queue);
    free(nt->url);
    free(nt->last_error);
    memset(nt, 0, sizeof *nt);
}

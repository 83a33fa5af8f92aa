/* notify.c: the webhook notification, with libcurl. A failure to notify is reported
 * by the caller and never changes a run's verdict. */
#include "notify.h"
#include "util.h"

#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

json_t *fd_notify_summary(const json_t *r, const char *run_dir)
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
    fd_buf_printf(&text, ". Report: %s/report.html", run_dir);
    json_t *j = json_pack("{s:s,s:s?,s:O?,s:s?,s:O?,s:o,s:o,s:o,s:I,s:s}", "text", text.data,
                          "scenario", scenario, "run_id", json_object_get(r, "run_id"), "verdict",
                          verdict, "exit_code", json_object_get(r, "exit_code"), "failover_time_s",
                          isnan(failover) ? json_null() : json_real(failover), "availability",
                          isnan(availability) ? json_null() : json_real(availability),
                          "lost_writes", lost < 0 ? json_null() : json_integer(lost),
                          "checks_failed", (json_int_t)failed, "run_dir", run_dir);
    fd_buf_free(&text);
    return j;
}

bool fd_notify_webhook(const char *url, const json_t *report, const char *run_dir, char **err)
{
    *err = NULL;
    json_t *body = fd_notify_summary(report, run_dir);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
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
    free(text);
    return ok;
}

/* curlutil.h: libcurl requests for the http and etcd probes, with a deadline and a
 * capped response body, classified as probe outcomes. */
#ifndef FD_CURLUTIL_H
#define FD_CURLUTIL_H

#include "metrics.h"
#include "scenario.h"
#include "util.h"

#include <curl/curl.h>

typedef struct fd_http_result {
    long status;
    fd_buf body;
} fd_http_result;

/* Performs a request on a reused easy handle. body may be NULL (no body). Returns ok
 * when a response arrived (whatever its status), fail when the request was certainly
 * not sent, unknown when it may have been. */
fd_outcome fd_http_request(CURL *h, const char *method, const char *url, const char *body,
                           struct curl_slist *headers, int64_t deadline_us, fd_http_result *res,
                           char **error);

/* The request headers "key: value" of a scenario's map (NULL when n is 0). */
struct curl_slist *fd_http_headers(const fd_kv *h, size_t n);

/* base64 of n bytes (caller frees), and its inverse (NULL on bad input). */
char *fd_base64(const void *p, size_t n);
char *fd_unbase64(const char *s, size_t *n);

#endif

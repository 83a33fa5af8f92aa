/* curlutil.c: libcurl requests with deadlines, and base64 through OpenSSL. */
#include "curlutil.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    fd_buf_append(arg, p, size * n);
    return size * n;
}

fd_outcome fd_http_request(CURL *h, const char *method, const char *url, const char *body,
                           struct curl_slist *headers, int64_t deadline_us, fd_http_result *res,
                           char **error)
{
    fd_buf_init(&res->body, (size_t)64 << 20);
    res->status = 0;
    int64_t left = deadline_us - fd_mono_us();
    long ms = left < 1000 ? 1 : (long)(left / 1000);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
        curl_easy_setopt(h, CURLOPT_HTTPGET, strcmp(method, "GET") == 0 ? 1L : 0L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &res->body);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
        return FD_OUT_OK;
    }
    long sent = 0;
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
    *error = fd_asprintf("%s", curl_easy_strerror(rc));
    bool not_sent = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                    rc == CURLE_URL_MALFORMAT || sent == 0;
    return not_sent ? FD_OUT_FAIL : FD_OUT_UNKNOWN;
}

struct curl_slist *fd_http_headers(const fd_kv *h, size_t n)
{
    struct curl_slist *l = NULL;
    for (size_t i = 0; i < n; i++) {
        char *hdr = fd_asprintf("%s: %s", h[i].key, h[i].value);
        l = curl_slist_append(l, hdr);
        free(hdr);
    }
    return l;
}

char *fd_base64(const void *p, size_t n)
{
    char *out = fd_xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    return out;
}

char *fd_unbase64(const char *s, size_t *n)
{
    size_t len = strlen(s);
    if (len % 4 != 0)
        return NULL;
    unsigned char *out = fd_xmalloc(len / 4 * 3 + 1);
    int got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
    if (got < 0) {
        free(out);
        return NULL;
    }
    /* EVP_DecodeBlock counts padding bytes as data */
    if (len >= 1 && s[len - 1] == '=')
        got--;
    if (len >= 2 && s[len - 2] == '=')
        got--;
    out[got] = '\0';
    *n = (size_t)got;
    return (char *)out;
}

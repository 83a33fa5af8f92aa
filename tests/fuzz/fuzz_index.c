/* fuzz_index.c: libFuzzer target for the index of past runs: the input is one or more
 * report.json documents separated by lines "---run NAME---", where NAME is the run
 * directory's name (hostile names included: the index links every run). */
#include "render.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RUNS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char sep[] = "\n---run ";
    const char *p = (const char *)data, *end = p + size;
    json_t *reports[MAX_RUNS];
    char *names[MAX_RUNS];
    size_t n = 0;
    const char *name = "run";
    size_t name_len = 3;
    while (p <= end && n < MAX_RUNS) {
        const char *next = memmem(p, (size_t)(end - p), sep, sizeof sep - 1);
        const char *doc_end = next ? next : end;
        reports[n] = json_loadb(p, (size_t)(doc_end - p), 0, NULL);
        names[n] = fd_strndup(name, name_len);
        n++;
        if (!next)
            break;
        name = next + sizeof sep - 1;
        const char *nl = memchr(name, '\n', (size_t)(end - name));
        const char *close = nl ? nl : end;
        name_len = (size_t)(close - name);
        if (name_len >= 3 && memcmp(close - 3, "---", 3) == 0)
            name_len -= 3;
        p = nl ? nl + 1 : end;
        if (!nl)
            break;
    }
    fd_buf b;
    fd_buf_init(&b, (size_t)8 << 20);
    fd_render_index_html("reports", (const char *const *)names, reports, n, &b);
    fd_buf_free(&b);
    for (size_t i = 0; i < n; i++) {
        json_decref(reports[i]);
        free(names[i]);
    }
    return 0;
}

/* fuzz_report.c: libFuzzer target for the report reader and renderers: the input
 * is a report.json, optionally followed by a line "---history---" and history.jsonl
 * lines; every format is rendered from it. */
#include "render.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char sep[] = "\n---history---\n";
    const char *text = (const char *)data;
    const char *hist = memmem(text, size, sep, sizeof sep - 1);
    size_t jlen = hist ? (size_t)(hist - text) : size;
    json_t *r = json_loadb(text, jlen, 0, NULL);
    if (!r)
        return 0;
    fd_buf b;
    fd_buf_init(&b, (size_t)8 << 20);
    fd_render_markdown(r, &b);
    fd_buf_free(&b);
    fd_buf_init(&b, (size_t)8 << 20);
    fd_render_junit(r, &b);
    fd_buf_free(&b);
    fd_buf_init(&b, (size_t)8 << 20);
    fd_render_metrics(r, &b);
    fd_buf_free(&b);
    fd_timeline_data t;
    size_t hlen = hist ? size - jlen - (sizeof sep - 1) : 0;
    FILE *f = fmemopen(hist ? (void *)(hist + sizeof sep - 1) : (void *)"", hlen ? hlen : 1, "r");
    fd_timeline_read(f, fd_jnum(r, "duration_s"), r, &t);
    fclose(f);
    fd_buf_init(&b, (size_t)8 << 20);
    fd_render_html(r, &t, &b);
    fd_buf_free(&b);
    fd_timeline_free(&t);
    json_decref(r);
    return 0;
}

/* catalog.c: the newest usable backup of a backup tool's catalog. */
#include "catalog.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* One entry of a pgBackRest stanza's "backup" list, if it is usable and newer than *best. */
static void pgbackrest_entry(const json_t *b, fd_catalog_backup *best)
{
    if (json_is_true(json_object_get(b, "error")))
        return;
    const json_t *ts = json_object_get(b, "timestamp");
    const json_t *stop = json_object_get(ts, "stop"), *start = json_object_get(ts, "start");
    const char *label = json_string_value(json_object_get(b, "label"));
    if (!json_is_number(stop) || !label)
        return;
    double stop_s = json_number_value(stop);
    if (best->label && stop_s <= best->stop_unix)
        return;
    fd_catalog_backup_free(best);
    best->tool = "pgbackrest";
    best->label = fd_printable(label, 120);
    const char *type = json_string_value(json_object_get(b, "type"));
    best->type = type ? fd_printable(type, 20) : NULL;
    best->stop_unix = stop_s;
    best->start_unix = json_is_number(start) ? json_number_value(start) : stop_s;
    const json_t *repo = json_object_get(json_object_get(b, "info"), "repository");
    const json_t *size = json_object_get(repo, "size");
    best->size = json_is_integer(size) ? (int64_t)json_integer_value(size) : -1;
    const char *lsn = json_string_value(json_object_get(json_object_get(b, "lsn"), "stop"));
    best->lsn_stop = lsn ? fd_printable(lsn, 40) : NULL;
}

bool fd_catalog_parse(const char *text, fd_catalog_backup *out, char **err)
{
    memset(out, 0, sizeof *out);
    out->size = -1;
    *err = NULL;
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    if (!json_is_array(root)) {
        json_decref(root);
        *err = fd_strdup("the catalog is not the JSON of `pgbackrest info --output=json`");
        return false;
    }
    size_t i, k;
    const json_t *stanza, *b;
    json_array_foreach(root, i, stanza)
    {
        json_array_foreach(json_object_get(stanza, "backup"), k, b) pgbackrest_entry(b, out);
    }
    if (!out->label) {
        const json_t *st = json_object_get(json_array_get(root, 0), "status");
        const char *msg = json_string_value(json_object_get(st, "message"));
        char *shown = fd_printable(msg ? msg : "no stanza", 200);
        *err = fd_asprintf("the catalog lists no usable backup (pgBackRest says: %s)", shown);
        free(shown);
    }
    json_decref(root);
    return out->label != NULL;
}

void fd_catalog_backup_free(fd_catalog_backup *b)
{
    if (!b)
        return;
    free(b->label);
    free(b->type);
    free(b->lsn_stop);
    b->label = b->type = b->lsn_stop = NULL;
}

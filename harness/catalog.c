/* catalog.c: the newest usable backup of a backup tool's catalog. */
#include "catalog.h"
#include "util.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static bool is_dump(const char *text)
{
    return strstr(text, "-- MySQL dump ") || strstr(text, "-- MariaDB dump ") ||
           strstr(text, "-- Dump completed on ");
}

/* The binlog coordinates of a --master-data dump's CHANGE MASTER TO line (commented out
 * or not) as FILE:POS, or NULL. */
static char *dump_position(const char *text)
{
    const char *p = strstr(text, "CHANGE MASTER TO MASTER_LOG_FILE='");
    if (!p)
        return NULL;
    p += strlen("CHANGE MASTER TO MASTER_LOG_FILE='");
    size_t n = strcspn(p, "'\n");
    const char *pos = strstr(p + n, "MASTER_LOG_POS=");
    long long v;
    if (p[n] != '\'' || n == 0 || n > 200 || !pos || sscanf(pos, "MASTER_LOG_POS=%lld", &v) != 1)
        return NULL;
    char *file = fd_strndup(p, n);
    char *shown = fd_printable(file, 200);
    char *out = fd_asprintf("%s:%lld", shown, v);
    free(file);
    free(shown);
    return out;
}

/* A dump: complete when its `-- Dump completed on` line is there (the last one counts).
 * It does not say when it began: its start stays unknown. */
static bool parse_dump(const char *text, fd_catalog_backup *out, char **err)
{
    const char *last = NULL, *p = text;
    while ((p = strstr(p, "-- Dump completed on ")))
        last = p++;
    int y, mo, d, h, mi, s;
    if (!last ||
        sscanf(last, "-- Dump completed on %d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) {
        *err = fd_strdup("the dump is not complete: it has no '-- Dump completed on "
                         "YYYY-MM-DD HH:MM:SS' line (run mysqldump with --dump-date)");
        return false;
    }
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    out->tool = "mysqldump";
    out->type = fd_strdup("logical");
    out->stop_unix = (double)timegm(&tm);
    out->start_unix = NAN;
    out->log_position = dump_position(text);
    char when[32];
    snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s);
    out->label = fd_strdup(when);
    return true;
}

bool fd_catalog_parse(const char *text, fd_catalog_backup *out, char **err)
{
    memset(out, 0, sizeof *out);
    out->size = -1;
    *err = NULL;
    if (is_dump(text))
        return parse_dump(text, out, err);
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    if (!json_is_array(root)) {
        json_decref(root);
        *err = fd_strdup("the catalog is neither the JSON of `pgbackrest info --output=json` nor "
                         "a mysqldump text");
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
    free(b->log_position);
    b->label = b->type = b->lsn_stop = b->log_position = NULL;
}

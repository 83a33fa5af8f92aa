/* catalog.c: the newest usable backup of a backup tool's catalog; log positions. */
#include "catalog.h"
#include "util.h"
#include "value.h"

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

static bool parse_lsn(const char *s, uint64_t *out)
{
    unsigned int hi, lo;
    int n = 0;
    if (sscanf(s, "%8X/%8X%n", &hi, &lo, &n) != 2 || s[n])
        return false;
    *out = ((uint64_t)hi << 32) | lo;
    return true;
}

/* A WAL segment file name (timeline, log, segment: 24 hex digits): the LSN where it
 * ends, for PostgreSQL's default 16 MiB segments. */
static bool parse_segment(const char *s, uint64_t *out)
{
    if (strlen(s) != 24 || strspn(s, "0123456789ABCDEF") != 24)
        return false;
    char log[9] = "", seg[9] = "";
    memcpy(log, s + 8, 8);
    memcpy(seg, s + 16, 8);
    uint64_t l = strtoull(log, NULL, 16), g = strtoull(seg, NULL, 16);
    if (g >= 256)
        return false;
    *out = (l << 32) + (g + 1) * (16ULL << 20);
    return true;
}

static bool parse_binlog(const char *s, fd_log_position *out)
{
    const char *colon = strrchr(s, ':');
    int64_t pos;
    size_t n = colon ? (size_t)(colon - s) : 0;
    if (!n || n >= sizeof out->file || !fd_parse_uint(colon + 1, INT64_MAX, &pos))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] == '.' || s[i] == '-' || s[i] == '_' || (s[i] >= '0' && s[i] <= '9') ||
              (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
            return false;
    memcpy(out->file, s, n);
    out->file[n] = '\0';
    out->offset = (uint64_t)pos;
    out->binlog = true;
    return true;
}

bool fd_log_position_parse(const char *text, fd_log_position *out, char **err)
{
    memset(out, 0, sizeof *out);
    out->at_unix = NAN;
    char line[512];
    size_t n = strcspn(text, "\n");
    if (n >= sizeof line)
        n = sizeof line - 1;
    memcpy(line, text, n);
    line[n] = '\0';
    char *save = NULL, *pos = strtok_r(line, " \t\r|", &save);
    char *at = pos ? strtok_r(NULL, " \t\r|", &save) : NULL;
    bool ok = pos && (parse_lsn(pos, &out->offset) || parse_segment(pos, &out->offset) ||
                      parse_binlog(pos, out));
    if (ok && at) {
        char *end = NULL;
        out->at_unix = strtod(at, &end);
        ok = end != at && !*end && out->at_unix > 0;
    }
    if (!ok) {
        char *q = fd_printable(text, 120);
        *err = fd_asprintf("not a log position: '%s' (want an LSN like 0/5000060, a WAL segment "
                           "name or a binlog FILE:POS, then optionally a Unix time)",
                           q);
        free(q);
    }
    return ok;
}

int64_t fd_log_position_behind(const fd_log_position *archive, const fd_log_position *primary)
{
    if (archive->binlog != primary->binlog)
        return -1;
    if (archive->binlog) {
        int c = strcmp(archive->file, primary->file);
        if (c > 0 || (c == 0 && archive->offset >= primary->offset))
            return 0;
        return c == 0 ? (int64_t)(primary->offset - archive->offset) : -1;
    }
    return archive->offset >= primary->offset ? 0 : (int64_t)(primary->offset - archive->offset);
}

char *fd_log_position_str(const fd_log_position *p)
{
    if (p->binlog)
        return fd_asprintf("%s:%llu", p->file, (unsigned long long)p->offset);
    return fd_asprintf("%X/%X", (unsigned)(p->offset >> 32), (unsigned)(p->offset & 0xffffffffu));
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

/* test_catalog.c: reading a backup tool's catalog (pgBackRest's `info --output=json`, a
 * mysqldump's head and last line): the newest usable backup, and a clear refusal of
 * anything else. */
#include "fdtest.h"
#include "catalog.h"
#include "util.h"

#include <math.h>

/* Two stanzas as pgBackRest 2.45 prints them (trimmed), the newest backup marked in
 * error, a hostile label in the older one. */
static const char two_stanzas[] =
    "[{\"name\":\"lab\",\"status\":{\"code\":0,\"message\":\"ok\"},\"backup\":["
    "{\"label\":\"20261201-010000F\",\"type\":\"full\",\"error\":false,"
    "\"timestamp\":{\"start\":1796086800,\"stop\":1796086860},"
    "\"info\":{\"size\":22992773,\"repository\":{\"size\":3043511,\"delta\":3043511}},"
    "\"lsn\":{\"start\":\"0/5000028\",\"stop\":\"0/6000050\"}},"
    "{\"label\":\"20261202-010000I\",\"type\":\"incr\",\"error\":true,"
    "\"timestamp\":{\"start\":1796173200,\"stop\":1796173260}}]},"
    "{\"name\":\"other\",\"status\":{\"code\":0,\"message\":\"ok\"},\"backup\":["
    "{\"label\":\"20261201-120000D\\u001b[31m\",\"type\":\"diff\","
    "\"timestamp\":{\"start\":1796126400,\"stop\":1796126430},"
    "\"info\":{\"repository\":{\"size\":1024}}}]}]";

static void test_newest_usable_backup(void **state)
{
    fd_catalog_backup b;
    char *err = NULL;
    assert_true(fd_catalog_parse(two_stanzas, &b, &err));
    assert_null(err);
    /* the incremental in error is passed over; the diff of the other stanza is newer */
    assert_string_equal(b.tool, "pgbackrest");
    assert_string_equal(b.label, "20261201-120000D\\x1b[31m"); /* shown, not obeyed */
    assert_string_equal(b.type, "diff");
    assert_true(b.stop_unix == 1796126430.0);
    assert_true(b.start_unix == 1796126400.0);
    assert_int_equal(b.size, 1024);
    assert_null(b.lsn_stop);
    fd_catalog_backup_free(&b);
}

static void test_fields_of_a_full_backup(void **state)
{
    const char one[] = "[{\"name\":\"lab\",\"backup\":[{\"label\":\"L\",\"type\":\"full\","
                       "\"timestamp\":{\"start\":10,\"stop\":20},"
                       "\"info\":{\"repository\":{\"size\":3043511}},"
                       "\"lsn\":{\"stop\":\"0/6000050\"}}]}]";
    fd_catalog_backup b;
    char *err = NULL;
    assert_true(fd_catalog_parse(one, &b, &err));
    assert_string_equal(b.label, "L");
    assert_int_equal(b.size, 3043511);
    assert_string_equal(b.lsn_stop, "0/6000050");
    assert_true(b.stop_unix == 20.0);
    fd_catalog_backup_free(&b);
}

/* No usable backup, or no catalog at all: an error that says which. */
/* The head and the last line of a `mariadb-dump --master-data=2` as MariaDB 10.11
 * writes them; mysqldump pads a one-digit hour with a space. */
static const char dump_catalog[] =
    "-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n"
    "--\n-- Host: 10.77.0.11    Database: \n"
    "-- Server version\t10.11.19-MariaDB-0+deb12u1-log\n\n"
    "-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000003', MASTER_LOG_POS=1048;\n"
    "-- Dump completed on 2026-12-02  6:28:19\n";

static void test_a_dump(void **state)
{
    fd_catalog_backup b;
    char *err = NULL;
    assert_true(fd_catalog_parse(dump_catalog, &b, &err));
    assert_null(err);
    assert_string_equal(b.tool, "mysqldump");
    assert_string_equal(b.type, "logical");
    assert_string_equal(b.label, "2026-12-02T06:28:19Z");
    assert_true(b.stop_unix == 1796192899.0); /* date -ud '2026-12-02 06:28:19' +%s */
    assert_true(isnan(b.start_unix));         /* a dump does not say when it began */
    assert_string_equal(b.log_position, "mysql-bin.000003:1048");
    assert_int_equal(b.size, -1);
    fd_catalog_backup_free(&b);
    /* without --master-data: complete, no position */
    assert_true(fd_catalog_parse("-- MySQL dump 10.13\n-- Dump completed on 2026-12-02 16:00:00\n",
                                 &b, &err));
    assert_null(b.log_position);
    assert_true(b.stop_unix == 1796227200.0);
    fd_catalog_backup_free(&b);
    /* a hostile file name is shown, not obeyed */
    assert_true(fd_catalog_parse("-- CHANGE MASTER TO MASTER_LOG_FILE='a\x1b[2Jb', "
                                 "MASTER_LOG_POS=4;\n-- Dump completed on 2026-12-02 16:00:00\n",
                                 &b, &err));
    assert_string_equal(b.log_position, "a\\x1b[2Jb:4");
    fd_catalog_backup_free(&b);
}

static void test_refusals(void **state)
{
    static const char not_a_catalog[] =
        "the catalog is neither the JSON of `pgbackrest info --output=json` nor a mysqldump text";
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"[{\"name\":\"lab\",\"status\":{\"code\":2,\"message\":\"no valid backups\"},"
         "\"backup\":[]}]",
         "the catalog lists no usable backup (pgBackRest says: no valid backups)"},
        {"[{\"name\":\"lab\",\"backup\":[{\"label\":\"x\",\"error\":true,"
         "\"timestamp\":{\"stop\":5}}]}]",
         "the catalog lists no usable backup (pgBackRest says: no stanza)"},
        {"[{\"backup\":[{\"label\":\"no time\"}]}]",
         "the catalog lists no usable backup (pgBackRest says: no stanza)"},
        {"stanza: lab\n    status: ok\n", not_a_catalog},
        {"{\"backup\":[]}", not_a_catalog},
        {"", not_a_catalog},
        /* a dump cut short: its head is there, its completion line is not */
        {"-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n-- CHANGE MASTER TO "
         "MASTER_LOG_FILE='mysql-bin.000002', MASTER_LOG_POS=77;\nINSERT INTO t VALUES (1);\n",
         "the dump is not complete: it has no '-- Dump completed on YYYY-MM-DD HH:MM:SS' line "
         "(run mysqldump with --dump-date)"},
        {"-- MySQL dump 10.13\n-- Dump completed on yesterday\n",
         "the dump is not complete: it has no '-- Dump completed on YYYY-MM-DD HH:MM:SS' line "
         "(run mysqldump with --dump-date)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fd_catalog_backup b;
        char *err = NULL;
        assert_false(fd_catalog_parse(cases[i].text, &b, &err));
        assert_string_equal(err, cases[i].want);
        assert_null(b.label);
        free(err);
        fd_catalog_backup_free(&b);
    }
}

/* The positions an archive_lag step's commands print, and how far apart they are. */
static void test_log_positions(void **state)
{
    fd_log_position a, p;
    char *err = NULL;
    /* psql -Atc "select pg_current_wal_lsn(), extract(epoch from now())" */
    assert_true(fd_log_position_parse("0/6000A28|1796227200.25\n", &p, &err));
    assert_false(p.binlog);
    assert_true(p.offset == 0x6000A28 && p.at_unix == 1796227200.25);
    /* the newest archived segment 0000000100000000000000 05 ends at 0/6000000 */
    assert_true(fd_log_position_parse("000000010000000000000005 1796227199", &a, &err));
    assert_true(a.offset == 0x6000000 && a.at_unix == 1796227199.0);
    assert_int_equal(fd_log_position_behind(&a, &p), 0xA28);
    char *s = fd_log_position_str(&a);
    assert_string_equal(s, "0/6000000");
    free(s);
    assert_true(fd_log_position_parse("1/0", &p, &err) && p.offset == (1ULL << 32));
    assert_int_equal(fd_log_position_behind(&p, &a), 0); /* the archive ahead: 0 */
    assert_true(isnan(p.at_unix));
    /* binlogs: the same file, a later file, an earlier file */
    assert_true(fd_log_position_parse("mysql-bin.000003:1048 1796227199.5", &a, &err));
    assert_true(a.binlog && a.offset == 1048 && strcmp(a.file, "mysql-bin.000003") == 0);
    assert_true(fd_log_position_parse("mysql-bin.000003:9000", &p, &err));
    assert_int_equal(fd_log_position_behind(&a, &p), 9000 - 1048);
    assert_true(fd_log_position_parse("mysql-bin.000004:200", &p, &err));
    assert_int_equal(fd_log_position_behind(&a, &p), -1); /* behind, by how much unknown */
    assert_true(fd_log_position_parse("mysql-bin.000002:200", &p, &err));
    assert_int_equal(fd_log_position_behind(&a, &p), 0);
    s = fd_log_position_str(&a);
    assert_string_equal(s, "mysql-bin.000003:1048");
    free(s);
    /* an LSN and a binlog cannot be compared */
    assert_true(fd_log_position_parse("0/10", &p, &err));
    assert_int_equal(fd_log_position_behind(&a, &p), -1);
    /* refusals: no position, a hostile file name, a bad time */
    static const char *const bad[] = {"",
                                      "error: connection refused",
                                      "bin:x",
                                      "a b:1",
                                      "f\x1b[2J:1",
                                      "0/10 soon",
                                      ":4",
                                      "0/10 -5",
                                      "mysql-bin.1:-1",
                                      "0/1/2"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err = NULL;
        assert_false(fd_log_position_parse(bad[i], &p, &err));
        assert_non_null(strstr(err, "not a log position"));
        assert_null(strchr(err, '\x1b'));
        free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newest_usable_backup),
        cmocka_unit_test(test_fields_of_a_full_backup),
        cmocka_unit_test(test_a_dump),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_log_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

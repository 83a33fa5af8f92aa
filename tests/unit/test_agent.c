/* test_agent.c: agent invocations and shell quoting.
 *
 * Quoting is checked by running the quoted word through a real /bin/sh: whatever a
 * value holds, the shell must see exactly that value as one argument. */
#include "fdtest.h"
#include "agent.h"
#include "faults.h"
#include "plan.h"
#include "ssh.h"

#include <sys/wait.h>

static const char *const hostile[] = {
    "x'; touch /tmp/fd-pwned; '",
    "$(touch /tmp/fd-pwned)",
    "`touch /tmp/fd-pwned`",
    "a b\tc\nd",
    "'\"\\$HOME${PATH}",
    "; rm -rf / #",
    "-n",
    "",
    "plain-word_1.2:3,4@5%6+7=8/9",
};

/* Everything a pipe gives until it closes; closes it. */
static char *read_to_end(int fd)
{
    fd_buf b;
    fd_buf_init(&b, 0);
    char buf[256];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        fd_buf_append(&b, buf, (size_t)n);
    close(fd);
    return fd_buf_steal(&b);
}

/* Runs `printf '%s' WORD` through sh and returns what it printed. */
static char *sh_echo(const char *word)
{
    char *q = fd_shell_quote(word);
    char *cmd = fd_asprintf("printf '%%s' %s", q);
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    char *text = read_to_end(pipefd[0]);
    int st;
    waitpid(pid, &st, 0);
    free(q);
    free(cmd);
    return text;
}

static void test_quote_round_trip(void **state)
{
    unlink("/tmp/fd-pwned");
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        char *got = sh_echo(hostile[i]);
        assert_string_equal(got, hostile[i]);
        free(got);
    }
    assert_int_equal(access("/tmp/fd-pwned", F_OK), -1);
    char *q = fd_shell_quote("plain-word");
    assert_string_equal(q, "plain-word"); /* safe words stay readable */
    free(q);
}

static fd_host host(void)
{
    fd_host h = {.name = "h1", .address = "10.77.0.11", .datacenter = "dc-a", .user = "root"};
    return h;
}

static void test_kill_command(void **state)
{
    fd_fault f = {.type = FD_FAULT_KILL,
                  .process = "x'; touch /tmp/fd-pwned; '",
                  .signal = "KILL",
                  .loss = -1,
                  .delay_us = -1};
    fd_host h = host();
    fd_agent_ctx ctx = {.run_id = "r1", .host = &h};
    fd_agent_call c;
    fd_agent_build(&f, "k", &ctx, &c);
    assert_string_equal(c.script, "proc");
    /* the command line carries no argument: every value (a secret among them) goes on
     * stdin, where `ps` on the host cannot show it */
    char *cmd = fd_agent_command(&c, &h, "apply", "r1", "k");
    assert_string_equal(cmd, "FD_SSH_CONNECTION=\"$SSH_CONNECTION\" FD_HOST_NAME=h1 "
                             "FD_HOST_ADDRESS=10.77.0.11 FD_HOST_DATACENTER=dc-a sh -s "
                             "# agents/proc.sh");
    free(cmd);
    char *args = fd_agent_args(&c, "apply", "r1", "k", 300000000, "ops@ctl");
    assert_string_equal(args, "FD_CONTROLLER=ops@ctl; set -- apply r1 k 300 kind=kill "
                              "'process=x'\\''; touch /tmp/fd-pwned; '\\''' signal=KILL "
                              "deadline=0");
    free(args);
    char *in = fd_agent_input(&c, "apply", "r1", "k", 1500000, "ops@ctl");
    assert_true(fd_str_starts(in, "FD_CONTROLLER=ops@ctl; set -- apply r1 k 2 kind=kill "));
    assert_non_null(strstr(in, "\n# agents/lib.sh"));
    assert_non_null(strstr(in, "\n# agents/proc.sh"));
    free(in);
    h.sudo = true;
    cmd = fd_agent_command(&c, &h, "revert", "r1", "k");
    assert_string_equal(cmd, "sudo -n sh -c '[ ! -f /run/firedrill/r1/k.revert ] || sh "
                             "/run/firedrill/r1/k.revert'");
    free(cmd);
    fd_agent_call_free(&c);
}

static void test_partition_and_netem_args(void **state)
{
    fd_fault f = {.type = FD_FAULT_PARTITION, .loss = -1, .delay_us = -1, .jitter_us = -1};
    fd_host h = host();
    const char *peers[] = {"10.77.0.12", "10.77.0.13"};
    fd_agent_ctx ctx = {
        .run_id = "r", .host = &h, .peers = peers, .npeers = 2, .clients_cut = true};
    fd_agent_call c;
    fd_agent_build(&f, "cut", &ctx, &c);
    assert_string_equal(c.script, "net");
    assert_int_equal(c.args.n, 5);
    assert_string_equal(c.args.v[4], "deadline=0");
    assert_string_equal(c.args.v[1], "peers=10.77.0.12,10.77.0.13");
    assert_string_equal(c.args.v[2], "direction=both");
    assert_string_equal(c.args.v[3], "clients=cut");
    fd_agent_call_free(&c);
    fd_fault n = {.type = FD_FAULT_NETEM,
                  .delay_us = 100000,
                  .jitter_us = 10000,
                  .loss = 0.01,
                  .duplicate = -1,
                  .corrupt = -1,
                  .reorder = 0.25,
                  .rate = "1mbit"};
    n.to.set = true;
    fd_agent_build(&n, "slow", &ctx, &c);
    assert_string_equal(c.script, "tc");
    const char *want[] = {"delay=100ms", "jitter=10ms", "loss=1%",
                          "reorder=25%", "rate=1mbit",  "peers=10.77.0.12,10.77.0.13",
                          "deadline=60"};
    n.timeout_us = FD_FAULT_TIMEOUT_DEFAULT_US;
    fd_agent_call_free(&c);
    fd_agent_build(&n, "slow", &ctx, &c);
    assert_int_equal(c.args.n, 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(c.args.v[i], want[i]);
    fd_agent_call_free(&c);
}

static void test_heal_command(void **state)
{
    fd_host h = host();
    h.port = 2222;
    char *cmd = fd_agent_heal_command(&h, "run-1");
    assert_string_equal(cmd, "ssh -p 2222 root@10.77.0.11 'for f in /run/firedrill/run-1/*.revert; "
                             "do [ -f \"$f\" ] && sh \"$f\"; done'");
    free(cmd);
}

static void test_host_command(void **state)
{
    fd_host h = host();
    char *cmd = fd_host_command(&h, "r", "echo $FD_HOST_NAME", false);
    assert_string_equal(cmd, "FD_HOST_NAME=h1 FD_HOST_ADDRESS=10.77.0.11 "
                             "FD_HOST_DATACENTER=dc-a FD_RUN_ID=r sh -c 'echo $FD_HOST_NAME'");
    free(cmd);
    /* sudo resets the environment: the variables go through env behind it */
    h.sudo = true;
    cmd = fd_host_command(&h, "r", "id -u", true);
    assert_string_equal(cmd, "sudo -n env FD_HOST_NAME=h1 FD_HOST_ADDRESS=10.77.0.11 "
                             "FD_HOST_DATACENTER=dc-a FD_RUN_ID=r id -u");
    free(cmd);
    cmd = fd_host_command(&h, "r", "id -u >/tmp/x", true);
    assert_string_equal(cmd, "sudo -n env FD_HOST_NAME=h1 FD_HOST_ADDRESS=10.77.0.11 "
                             "FD_HOST_DATACENTER=dc-a FD_RUN_ID=r sh -c 'id -u >/tmp/x'");
    free(cmd);
    /* an unprivileged command on a sudo host runs as the login user */
    cmd = fd_host_command(&h, "r", "id", false);
    assert_string_equal(cmd, "FD_HOST_NAME=h1 FD_HOST_ADDRESS=10.77.0.11 "
                             "FD_HOST_DATACENTER=dc-a FD_RUN_ID=r id");
    free(cmd);
    /* hostile values stay quoted whichever form the command takes */
    h.name = "a'b;reboot";
    cmd = fd_host_command(&h, NULL, "uptime", false);
    assert_string_equal(cmd, "FD_HOST_NAME='a'\\''b;reboot' FD_HOST_ADDRESS=10.77.0.11 "
                             "FD_HOST_DATACENTER=dc-a FD_RUN_ID='' uptime");
    free(cmd);
}

static void test_plain_command(void **state)
{
    /* one program with plain arguments: every POSIX-family shell runs it the same way */
    const char *plain[] = {"true",
                           "false",
                           "/usr/bin/true",
                           "systemctl restart redis-server",
                           "pg_ctl -D /var/lib/postgresql/15/main promote",
                           "redis-cli -h 10.0.0.1 -p 6379 config set appendonly yes",
                           "nc -z db1.example.com 5432",
                           "tool --opt=value a,b user@host:1"};
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        if (!fd_plain_command(plain[i]))
            fail_msg("plain: %s", plain[i]);
    /* anything a shell interprets, or a word that shells read differently, goes to sh */
    const char *shell[] = {"",
                           " true",
                           "true ",
                           "true  x",
                           "true;",
                           "a | b",
                           "a && b",
                           "a > f",
                           "echo $FD_HOST_NAME",
                           "echo x",
                           "echo -e x",
                           "kill -SIGTERM 1",
                           "time sleep 1",
                           "cd /tmp",
                           ". /etc/profile",
                           ":",
                           "source x",
                           "exec true",
                           "type ls",
                           "print x",
                           "which ls",
                           "if",
                           "a=b",
                           "a=b cmd",
                           "ls =ls",
                           "ls ~",
                           "ls *",
                           "ls a?",
                           "ls [ab]",
                           "ls {a,b}",
                           "x 'y'",
                           "x \"y\"",
                           "x\\y",
                           "x `y`",
                           "x $(y)",
                           "x # y",
                           "x\ty",
                           "x\ny",
                           "x %1",
                           "x ^y",
                           "x !y",
                           "caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof shell / sizeof *shell; i++)
        if (fd_plain_command(shell[i]))
            fail_msg("not plain: %s", shell[i]);
    char *big = fd_xmalloc(5000);
    memset(big, 'a', 4999);
    big[4999] = '\0';
    assert_false(fd_plain_command(big));
    free(big);
}

static void test_scripts_embedded(void **state)
{
    const char *names[] = {"lib", "proc", "net", "tc", "disk", "cmd", "check"};
    for (size_t i = 0; i < 7; i++) {
        const char *t = fd_agent_text(names[i]);
        assert_non_null(t);
        /* the binary carries exactly the reviewed file */
        char *path = fd_asprintf("%s/agents/%s.sh", getenv("FD_SOURCE_DIR"), names[i]);
        char *err = NULL;
        char *file = fd_read_file(path, 1 << 20, NULL, &err);
        assert_non_null(file);
        assert_string_equal(t, file);
        free(file);
        free(path);
    }
    assert_null(fd_agent_text("nope"));
}

/* Every fault type has its family: keys, a reader, an agent call, and what it needs. */
/* Runs `sh -s` with `input` on stdin; returns its exit status, its stdout in *out. */
static int sh_stdin(const char *input, char **out)
{
    char tmpl[] = "/tmp/fd-agent-in.XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, input, strlen(input)), (ssize_t)strlen(input));
    lseek(fd, 0, SEEK_SET);
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, 0);
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        execl("/bin/sh", "sh", "-s", (char *)NULL);
        _exit(127);
    }
    close(fd);
    unlink(tmpl);
    close(pipefd[1]);
    char *text = read_to_end(pipefd[0]);
    int st;
    waitpid(pid, &st, 0);
    *out = text;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The check agent takes its arguments as data, whatever they hold, and answers with the
 * exit statuses agent.h names. */
static void test_check_agent(void **state)
{
    unlink("/tmp/fd-pwned");
    char dir[] = "/tmp/fd-check.XXXXXX";
    assert_non_null(mkdtemp(dir));
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        if (!hostile[i][0] || strchr(hostile[i], '/'))
            continue;
        char *path = fd_asprintf("%s/%s", dir, hostile[i]);
        FILE *f = fopen(path, "wx");
        assert_non_null(f);
        fputs("abc", f);
        fclose(f);
        const char *args[] = {path};
        char *in = fd_agent_check_input("digest", args, 1);
        char *out = NULL;
        assert_int_equal(sh_stdin(in, &out), FD_AGENT_APPLIED);
        /* sha256("abc") */
        assert_string_equal(out,
                            "3 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n");
        free(out);
        free(in);
        unlink(path);
        free(path);
    }
    const char *missing[] = {dir};
    char *in = fd_agent_check_input("digest", missing, 1), *out = NULL;
    assert_int_equal(sh_stdin(in, &out), FD_AGENT_NO_FILE); /* a directory */
    free(in);
    free(out);
    rmdir(dir);
    const char *bad_port[] = {"127.0.0.1", "$(touch /tmp/fd-pwned)"};
    in = fd_agent_check_input("reach", bad_port, 2);
    assert_int_equal(sh_stdin(in, &out), FD_AGENT_USAGE);
    free(in);
    free(out);
    in = fd_agent_check_input("nope", NULL, 0);
    assert_int_equal(sh_stdin(in, &out), FD_AGENT_USAGE);
    free(in);
    free(out);
    assert_int_equal(access("/tmp/fd-pwned", F_OK), -1);
}

static void test_fault_families(void **state)
{
    for (int t = 0; t < FD_FAULT_COUNT; t++) {
        const fd_fault_family *fam = fd_fault_family_of((fd_fault_type)t);
        assert_non_null(fam);
        assert_int_equal(fam->type, t);
        assert_non_null(fam->keys);
        assert_non_null(fam->read);
        assert_non_null(fam->build);
        assert_int_equal(fam->cuts_network,
                         t == FD_FAULT_PARTITION || t == FD_FAULT_CUT_DATACENTER);
        assert_int_equal(fd_fault_cuts_network((fd_fault_type)t), fam->cuts_network);
    }
    assert_null(fd_fault_family_of(FD_FAULT_COUNT));
    /* a family's build names its agent, and the deadline closes every call */
    fd_host h = host();
    fd_agent_ctx ctx = {.run_id = "r", .host = &h};
    fd_fault f = {.type = FD_FAULT_FILL_DISK,
                  .path = "/var/tmp",
                  .size_bytes = 1024,
                  .timeout_us = 2500000,
                  .loss = -1,
                  .delay_us = -1};
    fd_agent_call c;
    fd_agent_build(&f, "fill", &ctx, &c);
    assert_string_equal(c.script, "disk");
    assert_int_equal(c.args.n, 3);
    assert_string_equal(c.args.v[0], "path=/var/tmp");
    assert_string_equal(c.args.v[1], "bytes=1024");
    assert_string_equal(c.args.v[2], "deadline=3");
    fd_agent_call_free(&c);
}

/* Two runs of one scenario started in the same second get ids of their own: their
 * fault records on the hosts and their run directories never meet. */
static void test_run_ids_unique(void **state)
{
    char *a = fd_run_id_new("drill", 1795446062.0), *b = fd_run_id_new("drill", 1795446062.0);
    assert_true(fd_str_starts(a, "drill-20261123T150102Z-"));
    assert_int_equal(strlen(a), strlen("drill-20261123T150102Z-") + 6);
    assert_string_not_equal(a, b);
    free(a);
    free(b);
    /* a time no calendar holds still gives an id */
    char *c = fd_run_id_new("drill", 1e300);
    assert_true(fd_str_starts(c, "drill-"));
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_round_trip),
        cmocka_unit_test(test_kill_command),
        cmocka_unit_test(test_partition_and_netem_args),
        cmocka_unit_test(test_heal_command),
        cmocka_unit_test(test_host_command),
        cmocka_unit_test(test_plain_command),
        cmocka_unit_test(test_scripts_embedded),
        cmocka_unit_test(test_run_ids_unique),
        cmocka_unit_test(test_fault_families),
        cmocka_unit_test(test_check_agent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

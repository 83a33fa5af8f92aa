/* test_ansible.c: Ansible inventories read as firedrill's: the INI and YAML forms, groups
 * of groups as roles, variables in Ansible's order, and every input firedrill refuses
 * rather than guesses, each reported at its file and line. (That the resolved hosts agree
 * with ansible-inventory's own reading is tests/ansible/compare.py.) */
#include "fdtest.h"
#include "scenario.h"
#include "util.h"

#include <limits.h>
#include <sys/stat.h>

static char dir[PATH_MAX];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/fd-test-ansible-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = fd_asprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    return 0;
}

/* Writes dir/name (making its directories). */
static void put(const char *name, const char *text)
{
    char *path = fd_asprintf("%s/%s", dir, name);
    for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        mkdir(path, 0700);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(path);
}

/* Loads dir/name as an inventory; returns the diagnostics, one per line, with dir cut
 * to "D" (caller frees). */
static char *load(const char *name, fd_inventory *inv)
{
    char *path = fd_asprintf("%s/%s", dir, name);
    fd_diags d = {0};
    fd_err e = fd_inventory_load(path, false, inv, &d);
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    for (size_t i = 0; i < d.n; i++) {
        const char *m = d.msgs[i];
        if (fd_str_starts(m, dir)) {
            fd_buf_puts(&b, "D");
            m += strlen(dir);
        }
        fd_buf_printf(&b, "%s\n", m);
    }
    assert_true((e == FD_OK) == (d.n == 0));
    fd_diag_clear(&d);
    free(path);
    return fd_buf_steal(&b);
}

/* Loads dir/name and checks its diagnostics are exactly want. */
static void expect_errors(const char *name, const char *want)
{
    fd_inventory inv;
    char *got = load(name, &inv);
    assert_string_equal(got, want);
    free(got);
    fd_inventory_free(&inv);
}

static const fd_host *host(const fd_inventory *inv, const char *name)
{
    const fd_host *h = fd_inventory_find(inv, name);
    if (!h)
        fail_msg("no host %s", name);
    return h;
}

static char *roles(const fd_host *h)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    for (size_t i = 0; i < h->roles.n; i++)
        fd_buf_printf(&b, "%s%s", i ? "," : "", h->roles.v[i]);
    return fd_buf_steal(&b);
}

static void assert_roles(const fd_inventory *inv, const char *name, const char *want)
{
    char *got = roles(host(inv, name));
    assert_string_equal(got, want);
    free(got);
}

static void test_ini_groups_ranges_and_vars(void **state)
{
    (void)state;
    put("hosts", "# comment\n"
                 "; another\n"
                 "gw ansible_host=192.0.2.1\n"
                 "[web]\n"
                 "web[01:03] ansible_user=deploy\n"
                 "db-[a:b]:2222\n"
                 "[odd]\n"
                 "n[1:5:2]\n"
                 "[front:children]\n"
                 "web\n"
                 "[front:vars]\n"
                 "ansible_user = front\n"
                 "ansible_become='yes'\n"
                 "[all:vars]\n"
                 "ansible_port=2200\n");
    put("group_vars/web.yml", "ansible_port: 2300\n");
    put("host_vars/web02/a.yml", "ansible_host: 10.0.0.2\n");
    put("host_vars/web02/b.yaml", "ansible_host: 10.0.0.22\n");
    put("host_vars/web02/notes.txt", "not: read\n");
    fd_inventory inv;
    char *err = load("hosts", &inv);
    assert_string_equal(err, "");
    assert_int_equal(inv.n, 9);
    assert_string_equal(inv.hosts[0].name, "gw");
    assert_string_equal(host(&inv, "gw")->address, "192.0.2.1");
    assert_int_equal(host(&inv, "gw")->port, 2200);
    assert_null(host(&inv, "gw")->user);
    assert_false(host(&inv, "gw")->sudo);
    assert_roles(&inv, "gw", "");
    assert_roles(&inv, "web01", "web,front");
    /* the host's own variable over its groups'; group_vars over the inventory file's */
    assert_string_equal(host(&inv, "web01")->user, "deploy");
    assert_int_equal(host(&inv, "web01")->port, 2300);
    assert_true(host(&inv, "web01")->sudo);
    /* host_vars files in name order, the last winning; a .txt file not read */
    assert_string_equal(host(&inv, "web02")->address, "10.0.0.22");
    assert_string_equal(host(&inv, "web03")->address, "web03");
    assert_int_equal(host(&inv, "db-a")->port, 2222);
    assert_string_equal(host(&inv, "db-b")->user, "front");
    assert_non_null(fd_inventory_find(&inv, "n1"));
    assert_non_null(fd_inventory_find(&inv, "n3"));
    assert_non_null(fd_inventory_find(&inv, "n5"));
    assert_null(fd_inventory_find(&inv, "n2"));
    free(err);
    fd_inventory_free(&inv);
}

static void test_yaml_and_jump_hosts(void **state)
{
    (void)state;
    put("inv.yaml", "all:\n"
                    "  children:\n"
                    "    a:\n"
                    "      hosts:\n"
                    "        h1:\n"
                    "          ansible_ssh_common_args: -J ops@gw:2022\n"
                    "        h2:\n"
                    "          ansible_ssh_extra_args: >-\n"
                    "            -o 'ProxyCommand ssh -q -W %h:%p -l jumper bastion'\n"
                    "        h3:\n"
                    "          ansible_ssh_common_args: -oProxyJump=ssh://gw2 -o Compression=yes\n"
                    "        h4:\n"
                    "          ansible_ssh_common_args: -o ProxyJump=none\n"
                    "      vars:\n"
                    "        ansible_ssh_private_key_file: keys/id_a\n"
                    "    b:\n"
                    "      children:\n"
                    "        a:\n"
                    "    c:\n"
                    "      hosts:\n"
                    "        h5:\n"
                    "          ansible_private_key_file: k5\n");
    fd_inventory inv;
    char *err = load("inv.yaml", &inv);
    assert_string_equal(err, "");
    assert_int_equal(inv.n, 5);
    char *j;
    assert_string_equal(j = fd_host_jump_words(host(&inv, "h1")), "ops@gw:2022");
    free(j);
    assert_string_equal(j = fd_host_jump_words(host(&inv, "h2")), "jumper@bastion:22");
    free(j);
    assert_string_equal(j = fd_host_jump_words(host(&inv, "h3")), "gw2:22");
    free(j);
    assert_null(fd_host_jump_words(host(&inv, "h4")));
    assert_roles(&inv, "h1", "a,b");
    char *want = fd_asprintf("%s/keys/id_a", dir);
    assert_string_equal(host(&inv, "h1")->identity, want);
    free(want);
    want = fd_asprintf("%s/k5", dir);
    assert_string_equal(host(&inv, "h5")->identity, want);
    free(want);
    free(err);
    fd_inventory_free(&inv);
}

/* The scenario names the variable holding the datacenter; firedrill's defaults fill what
 * Ansible leaves unsaid, and never override what it says. */
static void test_scenario_mapping(void **state)
{
    (void)state;
    put("prod/hosts.ini", "[east]\ne1 site=east\ne2 ansible_user=admin\n[east:vars]\nsite=e\n");
    char *text = fd_asprintf("version: 1\nname: s\n"
                             "inventory:\n"
                             "  ansible: prod/hosts.ini\n"
                             "  datacenter_var: site\n"
                             "  defaults: {user: ops, connect_timeout: 2s}\n"
                             "timeline:\n  - wait: 1s\n");
    char *label = fd_asprintf("%s/s.yaml", dir);
    fd_scenario s;
    fd_diags d = {0};
    fd_err e = fd_scenario_load_text(label, text, strlen(text), NULL, &s, &d);
    for (size_t i = 0; i < d.n; i++)
        print_error("%s\n", d.msgs[i]);
    assert_int_equal(e, FD_OK);
    assert_string_equal(fd_inventory_find(&s.inv, "e1")->datacenter, "east");
    assert_string_equal(fd_inventory_find(&s.inv, "e2")->datacenter, "e");
    assert_string_equal(fd_inventory_find(&s.inv, "e1")->user, "ops");
    assert_string_equal(fd_inventory_find(&s.inv, "e2")->user, "admin");
    assert_int_equal(fd_inventory_find(&s.inv, "e2")->connect_timeout_us, 2000000);
    assert_true(fd_inventory_has_datacenter(&s.inv, "east"));
    fd_diag_clear(&d);
    fd_scenario_free(&s);
    free(label);
    free(text);
}

typedef struct bad_case {
    const char *file, *text;
    const char *want; /* the diagnostics, D for the directory */
} bad_case;

static void test_refused_with_file_and_line(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"a.ini", "[web:hosts]\nw1\n",
         "D/a.ini:1:6: section type 'hosts' is not vars or children\n"},
        {"b.ini", "[web\nw1\n",
         "D/b.ini:1:1: section header must be [group], [group:vars] or [group:children]\n"},
        {"c.ini", "w1 ansible_host='10.0.0.1\n",
         "D/c.ini:1:1: host line has an unclosed quote or more than 64 words\n"},
        {"d.ini", "[g:vars]\njust words\n", "D/d.ini:2:1: a [g:vars] line must be key=value\n"},
        {"e.ini", "w1 novalue\n", "D/e.ini:1:4: 'novalue' is not a host variable (key=value)\n"},
        {"f.ini", "w[3:1]\n",
         "D/f.ini:1:1: host pattern 'w[3:1]' has a range that is not [start:end] or "
         "[start:end:step] with start <= end\n"},
        {"g.ini", "w1 ansible_user=\"{{ deploy_user }}\" other=\"{{ fine }}\"\n",
         "D/g.ini:1:4: 'ansible_user' needs Ansible's templating ('{{ ... }}'), which firedrill "
         "does not evaluate: give its value literally\n"},
        {"h.ini", "[g]\nw1\n[g:vars]\nansible_become=true\nansible_become_method=su\n",
         "D/h.ini:5:23: 'ansible_become_method' is 'su': firedrill becomes root only with sudo\n"},
        {"i.ini", "w1 ansible_ssh_common_args='-o ProxyCommand=\"nc -X 5 -x proxy:1080 %h %p\"'\n",
         "D/i.ini:1:4: 'ansible_ssh_common_args': ProxyCommand 'nc -X 5 -x proxy:1080 %h %p' is "
         "not 'ssh -W %h:%p [user@]host': firedrill reaches a host through one SSH jump host; "
         "write it as -o ProxyJump=[user@]host[:port]\n"},
        {"j.ini", "w1 ansible_ssh_common_args='-J a@b,c@d'\n",
         "D/j.ini:1:4: 'ansible_ssh_common_args' names more than one jump host: firedrill "
         "reaches a host through one\n"},
        {"k.ini", "w1 ansible_connection=winrm\nw2 ansible_connection=local\n",
         "D/k.ini:1:4: host 'w1': ansible_connection 'winrm' is not SSH, which is how firedrill "
         "reaches hosts\n"},
        {"l.ini", "[a:children]\nb\n[b:children]\na\n[b]\nw1\n",
         "D/l.ini:1:2: group 'a' is a child of itself (through its children)\n"},
        /* host output and addresses reach shells and ssh: the same rules as firedrill's own */
        {"m.ini", "w1 ansible_host='$(reboot)'\n",
         "D/m.ini:1:4: 'ansible_host' value '$(reboot)' must be a host name or an IP address "
         "(letters, digits, '-', '_', '.', ':', '%')\n"},
        {"n.ini", "w1 ansible_user=-oProxyCommand=x\n",
         "D/n.ini:1:4: 'ansible_user' value '-oProxyCommand=x' must be 1 to 64 letters, "
         "digits, '-', '_' or '.'\n"},
        {"o.ini", "[we/b]\nw1\n",
         "D/o.ini:1:2: group name 'we/b', a role, must be 1 to 64 letters, digits, '-', '_' or "
         "'.'\n"},
        {"p.yml", "all:\n  hosts:\n    w1:\n  kids:\n    x:\n",
         "D/p.yml:4:3: group 'all' has key 'kids'; a group holds hosts, vars and children\n"},
        {"q.ini", "w1 ansible_port=http\n",
         "D/q.ini:1:4: 'ansible_port' must be a port from 1 "
         "to 65535\n"},
        {"r.ini", "[g]\n", "D/r.ini: the Ansible inventory lists no host\n"},
    };
    int failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        put(cases[i].file, cases[i].text);
        fd_inventory inv;
        char *got = load(cases[i].file, &inv);
        if (strcmp(got, cases[i].want) != 0) {
            print_error("%s:\n  expected: %s  got:      %s\n", cases[i].file, cases[i].want, got);
            failures++;
        }
        free(got);
        fd_inventory_free(&inv);
    }
    assert_int_equal(failures, 0);
}

/* Ansible Vault: an encrypted value firedrill needs, or an encrypted variables file, is
 * refused; an encrypted value it does not read is no obstacle. */
static void test_vault(void **state)
{
    (void)state;
    put("v1/hosts", "[g]\nw1\n");
    put("v1/group_vars/g.yml", "db_password: !vault |\n"
                               "  $ANSIBLE_VAULT;1.1;AES256\n"
                               "  3133\n"
                               "ansible_user: ops\n");
    fd_inventory inv;
    char *got = load("v1/hosts", &inv);
    assert_string_equal(got, "");
    assert_string_equal(host(&inv, "w1")->user, "ops");
    free(got);
    fd_inventory_free(&inv);

    put("v2/hosts", "[g]\nw1\n");
    put("v2/group_vars/g.yml", "ansible_host: !vault |\n"
                               "  $ANSIBLE_VAULT;1.1;AES256\n"
                               "  3133\n");
    expect_errors("v2/hosts", "D/v2/group_vars/g.yml:1:15: 'ansible_host' is encrypted with "
                              "Ansible Vault, which firedrill does not decrypt: give its value "
                              "unencrypted\n");

    put("v3/hosts", "[g]\nw1\n");
    put("v3/group_vars/g/vault.yml", "$ANSIBLE_VAULT;1.1;AES256\n6638\n");
    got = load("v3/hosts", &inv);
    assert_true(fd_str_starts(got, "D/v3/group_vars/g/vault.yml:1:1: this file is encrypted with "
                                   "Ansible Vault"));
    free(got);
    fd_inventory_free(&inv);
}

/* Group and host names pick files under group_vars/ and host_vars/: a name such as '..'
 * must never read a file outside them (here, the inventory itself as variables). */
static void test_names_stay_inside_vars_dirs(void **state)
{
    (void)state;
    put("t/hosts", "[..]\nw1\n");
    put("t/group_vars/x", "");
    fd_inventory inv;
    char *got = load("t/hosts", &inv);
    assert_string_equal(got, "");
    assert_roles(&inv, "w1", "..");
    free(got);
    fd_inventory_free(&inv);
}

/* The file a command is given is firedrill's inventory, an Ansible inventory or a
 * scenario, told apart by what it holds. */
static void test_scenario_or_inventory_detection(void **state)
{
    (void)state;
    put("d/hosts.ini", "[g]\nw1\n");
    put("d/inv.yml", "g:\n  hosts:\n    w2:\n");
    put("d/own.yaml", "hosts:\n  - name: w3\n");
    put("d/wrapper.yaml", "ansible: hosts.ini\n");
    const char *names[] = {"hosts.ini", "inv.yml", "own.yaml", "wrapper.yaml"};
    const char *first[] = {"w1", "w2", "w3", "w1"};
    for (size_t i = 0; i < 4; i++) {
        char *path = fd_asprintf("%s/d/%s", dir, names[i]);
        fd_scenario s;
        bool is_scenario = true;
        fd_diags d = {0};
        assert_int_equal(fd_load_scenario_or_inventory(path, NULL, &s, &is_scenario, &d), FD_OK);
        assert_false(is_scenario);
        assert_string_equal(s.inv.hosts[0].name, first[i]);
        fd_scenario_free(&s);
        free(path);
    }
}

/* A scenario may come from anyone and name any path: an Ansible inventory it names is
 * read only when others may read it, and a file that does not read as one (a key,
 * /etc/shadow) is refused without a word of what it holds. Given on the command line,
 * the user's own private inventory is read. */
static void test_private_and_foreign_files(void **state)
{
    (void)state;
    put("priv/hosts", "token-4f9a8c\n");
    char *path = fd_asprintf("%s/priv/hosts", dir);
    assert_int_equal(chmod(path, 0600), 0);
    static const char *const refs[] = {"inventory: priv/hosts\n",
                                       "inventory: {ansible: priv/hosts}\n"};
    for (size_t i = 0; i < 2; i++) {
        char *text = fd_asprintf("version: 1\nname: s\n%stimeline:\n  - wait: 1s\n", refs[i]);
        char *label = fd_asprintf("%s/s.yaml", dir);
        fd_scenario s;
        fd_diags d = {0};
        assert_int_equal(fd_scenario_load_text(label, text, strlen(text), NULL, &s, &d),
                         FD_ERR_INPUT);
        assert_int_equal(d.n, 1);
        assert_non_null(strstr(d.msgs[0], "this Ansible inventory is private (mode 0600)"));
        assert_null(strstr(d.msgs[0], "token-4f9a8c"));
        fd_diag_clear(&d);
        fd_scenario_free(&s);
        free(label);
        free(text);
    }
    fd_inventory inv;
    char *got = load("priv/hosts", &inv);
    assert_string_equal(got, "");
    assert_string_equal(inv.hosts[0].name, "token-4f9a8c");
    free(got);
    fd_inventory_free(&inv);
    free(path);

    put("key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
               "-----END OPENSSH PRIVATE KEY-----\n");
    put("shadow", "root:$6$SECRETHASH:19000:0:99999:7:::\n");
    static const char *const foreign[] = {"key", "shadow"};
    for (size_t i = 0; i < 2; i++) {
        got = load(foreign[i], &inv);
        assert_true(*got);
        assert_null(strstr(got, "b3BlbnNzaC1rZXk"));
        assert_null(strstr(got, "OPENSSH"));
        assert_null(strstr(got, "SECRETHASH"));
        free(got);
        fd_inventory_free(&inv);
    }
}

/* An inventory directory: an inventory script in it is not run, a file that is no
 * inventory is not shown, and one a scenario names is read only if others may read it,
 * file by file. */
static void test_directory_refusals(void **state)
{
    (void)state;
    put("dir1/a", "[g]\nw1\n");
    put("dir1/b.yml", "g2:\n  hosts:\n    w2:\n");
    fd_inventory inv;
    char *got = load("dir1", &inv);
    assert_string_equal(got, "");
    assert_int_equal(inv.n, 2);
    free(got);
    fd_inventory_free(&inv);

    put("dir2/script", "#!/bin/sh\necho '{}'\n");
    char *path = fd_asprintf("%s/dir2/script", dir);
    assert_int_equal(chmod(path, 0755), 0);
    free(path);
    put("dir2/secret", "root:$6$SECRETHASH:19000:0:99999:7:::\n");
    expect_errors("dir2", "D/dir2/script: an executable file in an inventory directory is an "
                          "inventory script, which firedrill does not run\n"
                          "D/dir2/secret: this file in an inventory directory is not an "
                          "Ansible inventory (its contents are not shown)\n");

    /* the kernel's folders are no inventory; an empty folder lists no host */
    fd_diags kd = {0};
    assert_int_equal(fd_inventory_load("/proc/self", false, &inv, &kd), FD_ERR_INPUT);
    assert_int_equal(kd.n, 1);
    assert_string_equal(kd.msgs[0], "/proc/self: the kernel's /proc, /sys and /dev hold no "
                                    "inventory");
    fd_diag_clear(&kd);
    fd_inventory_free(&inv);
    char *empty = fd_asprintf("%s/empty", dir);
    assert_int_equal(mkdir(empty, 0755), 0);
    free(empty);
    expect_errors("empty", "D/empty: the Ansible inventory lists no host\n");

    put("dir3/hosts", "[g]\nw1\n");
    put("dir3/private", "token-4f9a8c\n");
    path = fd_asprintf("%s/dir3/private", dir);
    assert_int_equal(chmod(path, 0600), 0);
    free(path);
    char *text = fd_asprintf("version: 1\nname: s\ninventory: {ansible: dir3}\n"
                             "timeline:\n  - wait: 1s\n");
    char *label = fd_asprintf("%s/s.yaml", dir);
    fd_scenario s;
    fd_diags d = {0};
    assert_int_equal(fd_scenario_load_text(label, text, strlen(text), NULL, &s, &d), FD_ERR_INPUT);
    assert_int_equal(d.n, 1);
    assert_non_null(strstr(d.msgs[0], "dir3/private: this Ansible inventory is private"));
    assert_null(strstr(d.msgs[0], "token-4f9a8c"));
    fd_diag_clear(&d);
    fd_scenario_free(&s);
    free(label);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ini_groups_ranges_and_vars),
        cmocka_unit_test(test_yaml_and_jump_hosts),
        cmocka_unit_test(test_scenario_mapping),
        cmocka_unit_test(test_refused_with_file_and_line),
        cmocka_unit_test(test_vault),
        cmocka_unit_test(test_names_stay_inside_vars_dirs),
        cmocka_unit_test(test_scenario_or_inventory_detection),
        cmocka_unit_test(test_private_and_foreign_files),
        cmocka_unit_test(test_directory_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

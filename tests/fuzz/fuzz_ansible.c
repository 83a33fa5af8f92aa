/* fuzz_ansible.c: libFuzzer target for Ansible inventories: the input is written as a
 * file in a directory of the fuzzer's own (no group_vars or host_vars beside it) and
 * read as an inventory given on the command line, so that the detection of its form,
 * the INI and YAML readers and the resolution of groups and variables all see it. */
#include "scenario.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        char dir[] = "/tmp/fd-fuzz-ansible-XXXXXX";
        if (!mkdtemp(dir))
            abort();
        snprintf(path, sizeof path, "%s/hosts", dir);
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    fd_inventory inv;
    fd_diags d = {0};
    fd_inventory_load(path, false, &inv, &d);
    fd_inventory_free(&inv);
    fd_diag_clear(&d);
    return 0;
}

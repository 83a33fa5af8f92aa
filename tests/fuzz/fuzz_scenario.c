/* fuzz_scenario.c: libFuzzer target for the scenario loader (YAML, substitution,
 * the typed model, cross-references). Built with clang -fsanitize=fuzzer, or with
 * replay.c as a plain program that ctest runs over the corpus. */
#include "scenario.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fd_scenario s;
    fd_diags d = {0};
    /* an inline inventory or a relative path under a directory that does not exist:
     * the fuzzer cannot make the loader read the machine's files */
    fd_scenario_load_text("/nonexistent-fuzz-dir/fuzz.yaml", (const char *)data, size, NULL, &s,
                          &d);
    fd_scenario_free(&s);
    fd_diag_clear(&d);
    return 0;
}

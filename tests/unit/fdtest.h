/* fdtest.h: cmocka includes and small helpers shared by the unit tests. */
#ifndef FD_TEST_H
#define FD_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* tests/ in the source tree (ctest sets FD_TEST_DATA). */
static inline const char *fd_test_data(void)
{
    const char *d = getenv("FD_TEST_DATA");
    return d ? d : "tests";
}

#endif

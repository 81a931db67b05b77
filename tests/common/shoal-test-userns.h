/* shoal-test-userns.h — for tests that make network namespaces: without
 * root, a user namespace in which the test is root, and the TAP skip
 * (never a pass) when even that is not allowed. */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

#define SHOAL_TEST_USERNS_SKIP_REASON \
  "needs root or unprivileged user namespaces to create network namespaces"

/* Prints "1..0 # SKIP <reason> (@what: <error>)" and exits 0: meson
 * reports the test as skipped. */
G_NORETURN void shoal_test_userns_skip_all     (const char *what,
                                                int         error_number);
/* Just after unshare(CLONE_NEWUSER): @uid and @gid (ours outside) become
 * 0 inside; skips the whole test when the kernel refuses. */
void            shoal_test_userns_map_to_root  (uid_t uid,
                                                gid_t gid);

G_END_DECLS

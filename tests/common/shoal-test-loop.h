/* shoal-test-loop.h — waiting on the main loop in tests, with a deadline
 * that fails the test instead of hanging it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef gboolean (*ShoalTestCheck) (gpointer data);

/* Iterates the default main context until @check holds; fails the test
 * ("timed out waiting for @what") after @timeout_ms. */
void shoal_test_wait_until (ShoalTestCheck  check,
                            gpointer        data,
                            guint           timeout_ms,
                            const char     *what);
/* The same, until *@flag is TRUE. */
void shoal_test_wait_flag  (const gboolean *flag,
                            guint           timeout_ms,
                            const char     *what);

/* For state outside this process (another process's files, its
 * answers): wakes up every @interval_ms to check again. */
void shoal_test_poll_until (ShoalTestCheck  check,
                            gpointer        data,
                            guint           interval_ms,
                            guint           timeout_ms,
                            const char     *what);

/* Runs the default main context for @ms: a quiet period in which
 * something must not happen, or time another process needs. */
void shoal_test_wait_ms    (guint ms);

G_END_DECLS

/* shoal-test-loop.c — waiting on the main loop in tests, with a deadline. */
#include "shoal-test-loop.h"

static gboolean
on_deadline (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
shoal_test_wait_until (ShoalTestCheck  check,
                       gpointer        data,
                       guint           timeout_ms,
                       const char     *what)
{
  gboolean timed_out = FALSE;
  guint deadline = g_timeout_add (timeout_ms, on_deadline, &timed_out);

  while (!check (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("timed out after %u ms waiting for %s", timeout_ms, what);
  g_source_remove (deadline);
}

static gboolean
flag_is_set (gpointer data)
{
  return *(const gboolean *) data;
}

void
shoal_test_wait_flag (const gboolean *flag,
                      guint           timeout_ms,
                      const char     *what)
{
  shoal_test_wait_until (flag_is_set, (gpointer) flag, timeout_ms, what);
}

static gboolean
on_poll_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

void
shoal_test_poll_until (ShoalTestCheck  check,
                       gpointer        data,
                       guint           interval_ms,
                       guint           timeout_ms,
                       const char     *what)
{
  guint tick = g_timeout_add (interval_ms, on_poll_tick, NULL);

  shoal_test_wait_until (check, data, timeout_ms, what);
  g_source_remove (tick);
}

static gboolean
on_wait_over (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
shoal_test_wait_ms (guint ms)
{
  gboolean over = FALSE;

  g_timeout_add (ms, on_wait_over, &over);
  while (!over)
    g_main_context_iteration (NULL, TRUE);
}

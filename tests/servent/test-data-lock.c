/* test-data-lock.c — one Shoal per data folder: a second taker, in this
 * process or another, is refused with the holder's pid; the lock goes
 * with its holder. */
#include "shoal-data-lock.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static char *
make_data_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("shoal-lock-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_data_dir (const char *dir)
{
  g_autofree char *lock = g_build_filename (dir, SHOAL_DATA_LOCK_FILE, NULL);

  g_unlink (lock);
  g_rmdir (dir);
}

static void
test_second_taker_refused (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autofree char *expected = g_strdup_printf ("process %ld", (long) getpid ());
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalDataLock) first = shoal_data_lock_acquire (dir, &error);
  g_autoptr(ShoalDataLock) second = NULL;
  g_autoptr(ShoalDataLock) again = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (first);
  second = shoal_data_lock_acquire (dir, &error);
  g_assert_null (second);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_nonnull (g_strstr_len (error->message, -1, expected));
  g_assert_nonnull (g_strstr_len (error->message, -1, dir));
  g_clear_error (&error);

  /* Released, it can be taken again. */
  g_clear_pointer (&first, shoal_data_lock_release);
  again = shoal_data_lock_acquire (dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (again);
  g_clear_pointer (&again, shoal_data_lock_release);
  remove_data_dir (dir);
}

/* A holder killed with SIGKILL leaves no stale lock behind. */
static void
test_dead_holder_leaves_nothing (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalDataLock) lock = NULL;
  int ready[2];
  char byte;
  int status;
  pid_t child;

  g_assert_cmpint (pipe (ready), ==, 0);
  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      ShoalDataLock *held = shoal_data_lock_acquire (dir, NULL);

      if (write (ready[1], held != NULL ? "y" : "n", 1) != 1)
        _exit (1);
      pause ();
      _exit (0);
    }
  g_assert_cmpint (read (ready[0], &byte, 1), ==, 1);
  g_assert_cmpint (byte, ==, 'y');
  lock = shoal_data_lock_acquire (dir, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);

  kill (child, SIGKILL);
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  lock = shoal_data_lock_acquire (dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lock);
  g_clear_pointer (&lock, shoal_data_lock_release);
  close (ready[0]);
  close (ready[1]);
  remove_data_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/data-lock/second-taker-refused", test_second_taker_refused);
  g_test_add_func ("/data-lock/dead-holder-leaves-nothing", test_dead_holder_leaves_nothing);
  return g_test_run ();
}

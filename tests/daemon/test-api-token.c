/* test-api-token.c — the API token file (made once, 0600, refused when
 * others can read it) and the endpoint file. */
#include "shoald-api-token.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#define TOKEN_LENGTH (2 * SHOALD_API_TOKEN_BYTES)
#define GOOD_TOKEN "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define TEST_URL "http://127.0.0.1:6348"

typedef struct
{
  char *data_dir;
  char *token_path;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->data_dir = g_dir_make_tmp ("shoald-token-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->token_path = g_build_filename (fixture->data_dir, SHOALD_API_TOKEN_FILE, NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *endpoint = g_build_filename (fixture->data_dir, SHOALD_API_ENDPOINT_FILE, NULL);

  g_unlink (fixture->token_path);
  g_unlink (endpoint);
  g_assert_cmpint (g_rmdir (fixture->data_dir), ==, 0);
  g_free (fixture->token_path);
  g_free (fixture->data_dir);
}

/* Writes the token file as a user (or an old version) might have. */
static void
write_token_file (Fixture    *fixture,
                  const char *contents,
                  int         mode)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (fixture->token_path, contents, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (fixture->token_path, mode), ==, 0);
}

static void
assert_is_token (const char *token)
{
  g_assert_nonnull (token);
  g_assert_cmpuint (strlen (token), ==, TOKEN_LENGTH);
  for (const char *c = token; *c != '\0'; c++)
    g_assert_true (g_ascii_isdigit (*c) || (*c >= 'a' && *c <= 'f'));
}

static void
test_created_private (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = shoald_api_token_load_or_create (fixture->data_dir, &error);
  g_autofree char *contents = NULL;
  GStatBuf info;

  g_assert_no_error (error);
  assert_is_token (token);
  g_assert_cmpint (g_stat (fixture->token_path, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (fixture->token_path, &contents, NULL, NULL));
  g_assert_cmpstr (g_strchomp (contents), ==, token);
}

static void
test_stable (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = shoald_api_token_load_or_create (fixture->data_dir, &error);
  g_autofree char *second = NULL;
  g_autofree char *client = NULL;

  g_assert_no_error (error);
  second = shoald_api_token_load_or_create (fixture->data_dir, &error);
  g_assert_no_error (error);
  client = shoald_api_token_load (fixture->data_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, ==, second);
  g_assert_cmpstr (first, ==, client);
}

static void
test_fresh_each_directory (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *other_dir = g_build_filename (fixture->data_dir, "other", NULL);
  g_autofree char *other_path = g_build_filename (other_dir, SHOALD_API_TOKEN_FILE, NULL);
  g_autofree char *first = shoald_api_token_load_or_create (fixture->data_dir, &error);
  g_autofree char *second = NULL;

  g_assert_no_error (error);
  /* A data directory not made yet is made. */
  second = shoald_api_token_load_or_create (other_dir, &error);
  g_assert_no_error (error);
  assert_is_token (second);
  g_assert_cmpstr (first, !=, second);
  g_assert_cmpint (g_unlink (other_path), ==, 0);
  g_assert_cmpint (g_rmdir (other_dir), ==, 0);
}

static void
test_readable_by_others (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) client_error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *client = NULL;

  write_token_file (fixture, GOOD_TOKEN "\n", 0644);
  token = shoald_api_token_load_or_create (fixture->data_dir, &error);
  g_assert_null (token);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM);
  g_assert_nonnull (strstr (error->message, fixture->token_path));
  g_assert_nonnull (strstr (error->message, "chmod 600"));
  client = shoald_api_token_load (fixture->data_dir, &client_error);
  g_assert_null (client);
  g_assert_error (client_error, G_FILE_ERROR, G_FILE_ERROR_PERM);

  /* Group-readable is no better. */
  g_assert_cmpint (g_chmod (fixture->token_path, 0640), ==, 0);
  g_clear_error (&error);
  g_assert_null (shoald_api_token_load (fixture->data_dir, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM);
}

static void
test_trimmed (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  write_token_file (fixture, "  " GOOD_TOKEN " \r\n\n", 0600);
  token = shoald_api_token_load_or_create (fixture->data_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, GOOD_TOKEN);
}

static void
assert_garbage_refused (Fixture    *fixture,
                        const char *contents)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  write_token_file (fixture, contents, 0600);
  token = shoald_api_token_load_or_create (fixture->data_dir, &error);
  g_assert_null (token);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_assert_nonnull (strstr (error->message, fixture->token_path));
}

static void
test_garbage (Fixture       *fixture,
              gconstpointer  data)
{
  assert_garbage_refused (fixture, "");
  assert_garbage_refused (fixture, "not a token at all\n");
  assert_garbage_refused (fixture, "0011223344556677\n");
  assert_garbage_refused (fixture, GOOD_TOKEN "00\n");
  assert_garbage_refused (fixture, "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
}

static void
test_load_absent (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = shoald_api_token_load (fixture->data_dir, &error);

  /* A client never makes one. */
  g_assert_null (token);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, fixture->token_path));
  g_assert_false (g_file_test (fixture->token_path, G_FILE_TEST_EXISTS));
}

static void
test_endpoint (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = g_build_filename (fixture->data_dir, SHOALD_API_ENDPOINT_FILE, NULL);
  g_autofree char *contents = NULL;

  url = shoald_api_endpoint_read (fixture->data_dir, &error);
  g_assert_null (url);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  g_assert_true (shoald_api_endpoint_write (fixture->data_dir, TEST_URL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, TEST_URL "\n");
  url = shoald_api_endpoint_read (fixture->data_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, TEST_URL);

  shoald_api_endpoint_remove (fixture->data_dir);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  /* Removing it again is no error. */
  shoald_api_endpoint_remove (fixture->data_dir);
  g_clear_pointer (&url, g_free);
  url = shoald_api_endpoint_read (fixture->data_dir, &error);
  g_assert_null (url);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

static void
add_test (const char *path,
          void      (*test) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_set_up, test, fixture_tear_down);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  add_test ("/api-token/created-private", test_created_private);
  add_test ("/api-token/stable", test_stable);
  add_test ("/api-token/fresh-each-directory", test_fresh_each_directory);
  add_test ("/api-token/readable-by-others", test_readable_by_others);
  add_test ("/api-token/trimmed", test_trimmed);
  add_test ("/api-token/garbage", test_garbage);
  add_test ("/api-token/load-absent", test_load_absent);
  add_test ("/api-token/endpoint", test_endpoint);
  return g_test_run ();
}

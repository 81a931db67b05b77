/* test-bye.c — byes as gtk-gnutella writes them, the tolerated missing
 * NUL, and the size limits. The capture holds no bye. */
#include "shoal-bye.h"
#include "shoal-proto-error.h"

#include <string.h>

static ShoalBye *
parse_bytes (const guint8 *data,
             gsize         length)
{
  g_autoptr(GError) error = NULL;
  ShoalBye *bye = shoal_bye_parse (data, length, &error);

  g_assert_no_error (error);
  g_assert_nonnull (bye);
  return bye;
}

static void
assert_writes (const ShoalBye *bye,
               const guint8   *expected,
               gsize           length)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_bye_write (bye, out, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out->data, out->len, expected, length);
}

static void
test_gtkg_with_server (void)
{
  static const char expected[] =
    "\x90\x01"  /* 400 */
    "Too large Query message (2000 bytes)\r\n"
    "Server: gtk-gnutella/1.2.3 (2024-01-01)\r\n"
    "\r\n";  /* and the string's own NUL */
  g_autoptr(ShoalBye) bye = shoal_bye_new (400, "Too large Query message (2000 bytes)",
                                           "gtk-gnutella/1.2.3 (2024-01-01)");
  g_autoptr(ShoalBye) parsed = NULL;

  assert_writes (bye, (const guint8 *) expected, sizeof expected);
  parsed = parse_bytes ((const guint8 *) expected, sizeof expected);
  g_assert_cmpuint (parsed->code, ==, 400);
  g_assert_cmpstr (parsed->reason, ==, "Too large Query message (2000 bytes)");
  g_assert_cmpstr (parsed->text, ==, expected + 2);
  g_assert_true (parsed->terminated);
  g_assert_null (parsed->trailer);
  assert_writes (parsed, (const guint8 *) expected, sizeof expected);
}

static void
test_plain_reason (void)
{
  static const char expected[] = "\xc8\x00Servent shutdown";
  g_autoptr(ShoalBye) bye = shoal_bye_new (200, "Servent shutdown", NULL);
  g_autoptr(ShoalBye) parsed = NULL;

  assert_writes (bye, (const guint8 *) expected, sizeof expected);
  g_assert_cmpstr (bye->reason, ==, "Servent shutdown");
  parsed = parse_bytes ((const guint8 *) expected, sizeof expected);
  g_assert_cmpuint (parsed->code, ==, 200);
  g_assert_cmpstr (parsed->reason, ==, parsed->text);
  g_assert_true (parsed->terminated);
}

static void
test_missing_nul_tolerated (void)
{
  /* Many servents send no NUL: accepted, remembered, not added back. */
  static const guint8 data[] = { 0xca, 0x00, 'M', 'a', 'k', 'i', 'n', 'g', '\r', '\n', '\r', '\n' };
  g_autoptr(ShoalBye) bye = parse_bytes (data, sizeof data);

  g_assert_cmpuint (bye->code, ==, 202);
  g_assert_false (bye->terminated);
  g_assert_cmpstr (bye->text, ==, "Making\r\n\r\n");
  g_assert_cmpstr (bye->reason, ==, "Making");
  assert_writes (bye, data, sizeof data);
}

static void
test_code_only (void)
{
  static const guint8 bare[] = { 0xf5, 0x01 };  /* 501 */
  static const guint8 empty[] = { 0xf5, 0x01, 0x00 };
  g_autoptr(ShoalBye) bare_bye = parse_bytes (bare, sizeof bare);
  g_autoptr(ShoalBye) empty_bye = parse_bytes (empty, sizeof empty);

  g_assert_cmpuint (bare_bye->code, ==, 501);
  g_assert_cmpstr (bare_bye->text, ==, "");
  g_assert_cmpstr (bare_bye->reason, ==, "");
  g_assert_false (bare_bye->terminated);
  assert_writes (bare_bye, bare, sizeof bare);
  g_assert_true (empty_bye->terminated);
  assert_writes (empty_bye, empty, sizeof empty);
}

static void
test_bytes_after_nul (void)
{
  /* gtk-gnutella reads up to the first NUL and ignores the rest; the
   * rest is kept so that the bye writes back as received. */
  static const guint8 data[] = { 0x93, 0x01, 'D', 'u', 'p', 's', 0x00, 'x', 0x00 };
  g_autoptr(ShoalBye) bye = parse_bytes (data, sizeof data);

  g_assert_cmpuint (bye->code, ==, 403);
  g_assert_cmpstr (bye->text, ==, "Dups");
  g_assert_true (bye->terminated);
  g_assert_nonnull (bye->trailer);
  g_assert_cmpmem (g_bytes_get_data (bye->trailer, NULL), g_bytes_get_size (bye->trailer),
                   "x\0", 2);
  assert_writes (bye, data, sizeof data);
}

static void
test_reason_needs_crlf (void)
{
  /* Like gtk-gnutella, only CRLF ends the reason line. */
  static const char data[] = "\x90\x01" "one\ntwo\r\nH: v\r\n\r\n";
  g_autoptr(ShoalBye) bye = parse_bytes ((const guint8 *) data, sizeof data);

  g_assert_cmpstr (bye->reason, ==, "one\ntwo");
}

static void
test_malformed_truncated (void)
{
  static const guint8 data[] = { 0xc8, 0x00 };

  for (gsize length = 0; length < SHOAL_BYE_MIN_SIZE; length++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (shoal_bye_parse (data, length, &error));
      g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
    }
}

static void
test_size_limit (void)
{
  g_autofree guint8 *data = g_malloc (SHOAL_BYE_MAX_SIZE + 1);
  g_autoptr(ShoalBye) largest = NULL;
  g_autoptr(GError) error = NULL;

  data[0] = 0x90;
  data[1] = 0x01;
  memset (data + 2, 'a', SHOAL_BYE_MAX_SIZE - 3);
  data[SHOAL_BYE_MAX_SIZE - 1] = 0;
  data[SHOAL_BYE_MAX_SIZE] = 0;

  largest = parse_bytes (data, SHOAL_BYE_MAX_SIZE);
  g_assert_cmpuint (strlen (largest->text), ==, SHOAL_BYE_MAX_SIZE - 3);
  assert_writes (largest, data, SHOAL_BYE_MAX_SIZE);

  g_assert_null (shoal_bye_parse (data, SHOAL_BYE_MAX_SIZE + 1, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
}

static void
test_write_too_large (void)
{
  g_autofree char *reason = g_strnfill (SHOAL_BYE_MAX_SIZE, 'r');
  g_autoptr(ShoalBye) bye = shoal_bye_new (400, reason, NULL);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (shoal_bye_write (bye, out, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
  g_assert_cmpuint (out->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bye/gtkg-with-server", test_gtkg_with_server);
  g_test_add_func ("/bye/plain-reason", test_plain_reason);
  g_test_add_func ("/bye/missing-nul-tolerated", test_missing_nul_tolerated);
  g_test_add_func ("/bye/code-only", test_code_only);
  g_test_add_func ("/bye/bytes-after-nul", test_bytes_after_nul);
  g_test_add_func ("/bye/reason-needs-crlf", test_reason_needs_crlf);
  g_test_add_func ("/bye/malformed/truncated", test_malformed_truncated);
  g_test_add_func ("/bye/size-limit", test_size_limit);
  g_test_add_func ("/bye/write-too-large", test_write_too_large);
  return g_test_run ();
}

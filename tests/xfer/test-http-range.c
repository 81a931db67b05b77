/* test-http-range.c — the Range header read against a file's size: the
 * three forms, several ranges, unsatisfiable and malformed headers. */
#include "shoal-http-range.h"

#define FILE_SIZE 1000

typedef struct
{
  const char            *value;
  guint64                size;
  ShoalHttpRangeOutcome  outcome;
  guint64                first;  /* when PARTIAL */
  guint64                last;
} RangeCase;

static void
check_cases (const RangeCase *cases,
             gsize            n_cases)
{
  for (gsize i = 0; i < n_cases; i++)
    {
      ShoalHttpRange range = { G_MAXUINT64, G_MAXUINT64 };
      ShoalHttpRangeOutcome outcome = shoal_http_range_parse (cases[i].value, cases[i].size, &range);

      g_test_message ("Range: %s (size %" G_GUINT64_FORMAT ")",
                      cases[i].value ? cases[i].value : "(none)", cases[i].size);
      g_assert_cmpint (outcome, ==, cases[i].outcome);
      if (outcome != SHOAL_HTTP_RANGE_PARTIAL)
        continue;
      g_assert_cmpuint (range.first, ==, cases[i].first);
      g_assert_cmpuint (range.last, ==, cases[i].last);
      g_assert_cmpuint (range.last, <, cases[i].size);
    }
}

static void
test_forms (void)
{
  static const RangeCase cases[] = {
    { NULL, FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
    { "bytes=0-0", FILE_SIZE, SHOAL_HTTP_RANGE_PARTIAL, 0, 0 },
    { "bytes=0-499", FILE_SIZE, SHOAL_HTTP_RANGE_PARTIAL, 0, 499 },
    { "bytes=500-999", FILE_SIZE, SHOAL_HTTP_RANGE_PARTIAL, 500, 999 },
    /* A last byte past the end is clipped to it. */
    { "bytes=500-5000", FILE_SIZE, SHOAL_HTTP_RANGE_PARTIAL, 500, 999 },
    { "bytes=900-", FILE_SIZE, SHOAL_HTTP_RANGE_PARTIAL, 900, 999 },
    { "bytes=0-", FILE_SIZE, SHOAL_HTTP_RANGE_PARTIAL, 0, 999 },
    { "bytes=-1", FILE_SIZE, SHOAL_HTTP_RANGE_PARTIAL, 999, 999 },
    { "bytes=-100", FILE_SIZE, SHOAL_HTTP_RANGE_PARTIAL, 900, 999 },
    /* A suffix longer than the file is the whole file. */
    { "bytes=-5000", FILE_SIZE, SHOAL_HTTP_RANGE_PARTIAL, 0, 999 },
    /* gtk-gnutella's request, in its own capture. */
    { "bytes=0-5242879", 5242880, SHOAL_HTTP_RANGE_PARTIAL, 0, 5242879 },
    /* Unit in any case, spaces where senders put them. */
    { "Bytes=1-2", FILE_SIZE, SHOAL_HTTP_RANGE_PARTIAL, 1, 2 },
    { " bytes = 1 - 2 ", FILE_SIZE, SHOAL_HTTP_RANGE_PARTIAL, 1, 2 },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_several_ranges (void)
{
  static const RangeCase cases[] = {
    /* The first satisfiable one, in the order given, alone. */
    { "bytes=0-9,20-29", FILE_SIZE, SHOAL_HTTP_RANGE_PARTIAL, 0, 9 },
    { "bytes=20-29, 0-9", FILE_SIZE, SHOAL_HTTP_RANGE_PARTIAL, 20, 29 },
    { "bytes=5000-6000,-10", FILE_SIZE, SHOAL_HTTP_RANGE_PARTIAL, 990, 999 },
    { "bytes=,,0-9,,", FILE_SIZE, SHOAL_HTTP_RANGE_PARTIAL, 0, 9 },
    { "bytes=5000-,6000-7000", FILE_SIZE, SHOAL_HTTP_RANGE_UNSATISFIABLE, 0, 0 },
    /* One bad spec spoils the header, even after the chosen one. */
    { "bytes=0-9,junk", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_unsatisfiable (void)
{
  static const RangeCase cases[] = {
    { "bytes=1000-", FILE_SIZE, SHOAL_HTTP_RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=1000-1000", FILE_SIZE, SHOAL_HTTP_RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=-0", FILE_SIZE, SHOAL_HTTP_RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=0-0", 0, SHOAL_HTTP_RANGE_UNSATISFIABLE, 0, 0 },
    /* Saturated, still just a number past the end. */
    { "bytes=99999999999999999999999999-", FILE_SIZE, SHOAL_HTTP_RANGE_UNSATISFIABLE, 0, 0 },
    /* An empty file: a suffix asks for its (empty) whole. */
    { "bytes=-10", 0, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_ignored (void)
{
  static const RangeCase cases[] = {
    { "", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
    { "bytes", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
    { "bytes=", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
    { "bytes=,", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
    { "items=0-9", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
    { "bytesx=0-9", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
    { "bytes=9-0", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
    { "bytes=a-b", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
    { "bytes=5", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
    { "bytes=-", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
    { "bytes=--5", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
    { "bytes=+1-2", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
    { "bytes=0x10-20", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
    { "bytes=1-2;3-4", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
    { "bytes=1-2 3-4", FILE_SIZE, SHOAL_HTTP_RANGE_WHOLE, 0, 0 },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_format (void)
{
  char buffer[SHOAL_HTTP_RANGE_CONTENT_RANGE_MAX];
  ShoalHttpRange range = { 0, 524287 };
  ShoalHttpRange widest = { 0, G_MAXUINT64 - 1 };

  g_assert_cmpstr (shoal_http_range_format (&range, 5242880, buffer), ==, "bytes 0-524287/5242880");
  g_assert_cmpuint (shoal_http_range_length (&range), ==, 524288);
  g_assert_cmpstr (shoal_http_range_format_unsatisfied (1000, buffer), ==, "bytes */1000");
  g_assert_cmpstr (shoal_http_range_format (&widest, G_MAXUINT64, buffer), ==,
                   "bytes 0-18446744073709551614/18446744073709551615");
  g_assert_cmpuint (shoal_http_range_length (&widest), ==, G_MAXUINT64);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/http-range/forms", test_forms);
  g_test_add_func ("/http-range/several-ranges", test_several_ranges);
  g_test_add_func ("/http-range/unsatisfiable", test_unsatisfiable);
  g_test_add_func ("/http-range/ignored", test_ignored);
  g_test_add_func ("/http-range/format", test_format);
  return g_test_run ();
}

/* library-test-util.h — driving a ShoalLibrary from a test: waiting on its
 * state with the main loop, searching synchronously, making file trees. */
#pragma once

#include "shoal-library.h"

G_BEGIN_DECLS

/* How long any wait may take before the test fails. */
#define LIBRARY_TEST_TIMEOUT_MS 60000

typedef gboolean (*LibraryTestCheck) (gpointer data);

/* Runs the default main context until @check holds; fails after the timeout. */
void       library_test_wait        (LibraryTestCheck check,
                                     gpointer         data,
                                     const char      *what);
/* Ready, and no scan, hash or write under way. */
void       library_test_wait_idle   (ShoalLibrary *library);
ShoalSharedRoot *library_test_add_root (ShoalLibrary *library,
                                        const char   *path,
                                        GError      **error);
GPtrArray *library_test_search      (ShoalLibrary *library,
                                     const char   *text);
GPtrArray *library_test_search_sha1 (ShoalLibrary *library,
                                     const guint8 *sha1);
/* Writes @contents to @root/@relpath, creating folders. */
void       library_test_write_file  (const char *root,
                                     const char *relpath,
                                     const char *contents,
                                     gsize       length);
void       library_test_sha1_of     (const char *contents,
                                     gsize       length,
                                     guint8      sha1[SHOAL_SHARE_SHA1_SIZE]);
/* rm -rf @path, without following links. */
void       library_test_remove_tree (const char *path);
/* Root reads any file through CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH.
 * Taking them out of this thread's effective set (keeping them permitted,
 * to take back) makes mode 000 unreadable for a root test as for anyone;
 * for an ordinary user this changes nothing. */
void       library_test_set_file_read_override (gboolean enabled);

G_END_DECLS

/* shoal-test-node.h — one shoald process for multi-node tests: its own
 * loopback address, data folder and shared folder; stopped with SIGTERM
 * and required to exit cleanly; its state read from the status.json it
 * writes on SIGUSR1. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define SHOAL_TEST_NODE_PORT 6346

typedef struct
{
  char     *address;
  char     *data_dir;
  char     *share_dir;
  GPid      pid;
  gboolean  running;
} ShoalTestNode;

/* Folders made, nothing started. The binary comes from $SHOALD. */
ShoalTestNode *shoal_test_node_new        (const char *address);
/* Removes its folders; the node must be stopped. */
void           shoal_test_node_free       (ShoalTestNode *node);
void           shoal_test_node_share_file (ShoalTestNode *node,
                                           const char    *name,
                                           const char    *contents);
/* Starts shoald on address:SHOAL_TEST_NODE_PORT, loopback allowed, no
 * bootstrap, sharing its folder, with @extra_args (NULL-terminated). */
void           shoal_test_node_start      (ShoalTestNode      *node,
                                           const char * const *extra_args);
/* SIGTERM, then requires exit status 0. */
void           shoal_test_node_stop       (ShoalTestNode *node);
/* SIGKILL: the node dies at once, as in a crash or a pulled cable. */
void           shoal_test_node_kill       (ShoalTestNode *node);
/* Asks for a fresh status.json and returns its root object (transfer
 * full). */
JsonObject    *shoal_test_node_status     (ShoalTestNode *node);
/* Runs the default main context until the node's status counts exactly
 * @files hashed shared files; fails the test after @timeout_ms. */
void           shoal_test_node_wait_hashed (ShoalTestNode *node,
                                            guint          files,
                                            guint          timeout_ms);
/* The links of a status, by role. */
guint          shoal_test_status_count_links (JsonObject *status,
                                              const char *role);

/* Runs $SHOALCTL --data-dir DATA_DIR @args (NULL-terminated) to its end;
 * returns its exit status, with what it printed in @out and @err (both
 * may be NULL). What it printed goes to the test log too. */
int            shoal_test_node_ctl        (ShoalTestNode       *node,
                                           const char * const  *args,
                                           char               **out,
                                           char               **err);

/* rm -rf @path, without following links. */
void           shoal_test_remove_tree     (const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalTestNode, shoal_test_node_free)

G_END_DECLS

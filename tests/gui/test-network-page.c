/* test-network-page.c — the Network page against live shoald peers: the
 * connecting and offline states before any link, the links list filling
 * in with address and role, the counters, the traffic graph sampling,
 * connecting to a host by hand (and failing to), a row leaving with
 * its peer, and why the node is a leaf as the node manager says it. */
#include "gui-test-util.h"
#include "shoal-link-row.h"
#include "shoal-network-page.h"
#include "shoal-test-node.h"
#include "shoal-traffic-graph.h"

#define TIMEOUT_MS SHOAL_GUI_TEST_TIMEOUT_MS
/* The peers: a loopback subnet no other test uses. */
#define ANCHOR_ADDRESS "127.0.42.1"
#define ANCHOR_ENDPOINT ANCHOR_ADDRESS ":6346"
#define SECOND_ADDRESS "127.0.42.2"
#define SECOND_ENDPOINT SECOND_ADDRESS ":6346"
/* Nothing listens there: connecting fails at once. */
#define NOBODY_ENDPOINT "127.0.42.9:6346"
/* Short enough for a test, long enough to see "Connecting…" first. */
#define OFFLINE_DELAY_S 2
/* Traffic samples to see before judging the graph. */
#define SAMPLES_WANTED 3

/* Finding what the user sees ------------------------------------------------- */

static gboolean
is_link_row_to (GtkWidget     *widget,
                gconstpointer  address)
{
  return SHOAL_IS_LINK_ROW (widget) &&
         g_strcmp0 (shoal_link_row_get_address (SHOAL_LINK_ROW (widget)), address) == 0;
}

static gboolean
is_traffic_graph (GtkWidget     *widget,
                  gconstpointer  data)
{
  return SHOAL_IS_TRAFFIC_GRAPH (widget);
}

static gboolean
is_entry_row (GtkWidget     *widget,
              gconstpointer  data)
{
  return ADW_IS_ENTRY_ROW (widget);
}

/* A servent and the page in a window ----------------------------------------- */

typedef struct
{
  ShoalGuiServent  node;
  GtkWindow       *window;
  GtkWidget       *page;
} Fixture;

/* On loopback, dialling nothing until the test names an anchor. */
static void
fixture_init (Fixture *fixture)
{
  shoal_gui_servent_init (&fixture->node, "shoal-gui-network-XXXXXX");
  shoal_gui_servent_start (&fixture->node, FALSE);
  fixture->page = shoal_network_page_new (fixture->node.servent);
  fixture->window = shoal_gui_show_in_window (fixture->page, fixture->page, 900, 2000);
}

static void
fixture_clear (Fixture *fixture)
{
  gtk_window_destroy (fixture->window);
  shoal_gui_servent_clear (&fixture->node);
}

/* Waiting on the page ---------------------------------------------------------- */

typedef struct
{
  Fixture    *fixture;
  const char *address;
  const char *text;       /* shown inside the row, or NULL */
} RowWanted;

static gboolean
link_row_shown (gpointer data)
{
  RowWanted *wanted = data;
  GtkWidget *row = shoal_gui_find_descendant (wanted->fixture->page, is_link_row_to, wanted->address);

  return row != NULL && gtk_widget_get_mapped (row) &&
         (wanted->text == NULL || shoal_gui_label_shown (row, wanted->text));
}

static gboolean
link_row_gone (gpointer data)
{
  RowWanted *wanted = data;

  return shoal_gui_find_descendant (wanted->fixture->page, is_link_row_to, wanted->address) == NULL;
}

static void
wait_link_row (Fixture    *fixture,
               const char *address,
               const char *text)
{
  RowWanted wanted = { fixture, address, text };
  g_autofree char *what = g_strdup_printf ("a link row to %s saying “%s”", address,
                                           text != NULL ? text : "");

  shoal_test_wait_until (link_row_shown, &wanted, TIMEOUT_MS, what);
}

static gboolean
graph_sampled (gpointer data)
{
  ShoalTrafficGraph *graph = data;
  double peak_in, peak_out;

  shoal_traffic_graph_get_peak (graph, &peak_in, &peak_out);
  return shoal_traffic_graph_get_n_samples (graph) >= SAMPLES_WANTED && peak_in > 0 && peak_out > 0;
}

static gboolean
has_error_style (gpointer data)
{
  return gtk_widget_has_css_class (data, "error");
}

/* The role row gives the node manager's reason, whatever it is now
 * (capitalised: compared from its second letter). */
static gboolean
role_reason_shown (gpointer data)
{
  Fixture *fixture = data;
  ShoalNodeManager *manager = shoal_servent_get_node_manager (fixture->node.servent);
  const char *text = g_utf8_next_char (shoal_node_manager_get_role_reason (manager));

  return shoal_node_manager_get_role (manager) == SHOAL_PEER_ROLE_LEAF &&
         shoal_gui_label_shown (fixture->page, text);
}

static void
connect_by_hand (Fixture    *fixture,
                 const char *text)
{
  GtkWidget *entry = shoal_gui_find_descendant (fixture->page, is_entry_row, NULL);
  GtkWidget *button = shoal_gui_find_descendant (fixture->page, shoal_gui_is_button_labelled, "C_onnect");

  g_assert_nonnull (entry);
  g_assert_nonnull (button);
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

/* Tests ------------------------------------------------------------------------ */

static void
test_live_peers (void)
{
  g_autoptr(ShoalTestNode) anchor = shoal_test_node_new (ANCHOR_ADDRESS);
  g_autoptr(ShoalTestNode) second = shoal_test_node_new (SECOND_ADDRESS);
  g_autoptr(GError) error = NULL;
  const char *ultrapeer_args[] = { "--role=ultrapeer", NULL };
  Fixture fixture = { 0 };
  ShoalTrafficGraph *graph;
  GtkWidget *entry;
  RowWanted gone;

  shoal_test_node_start (anchor, ultrapeer_args);
  shoal_test_node_start (second, ultrapeer_args);
  fixture_init (&fixture);

  /* No link yet: connecting, then, after a while, no connection with a
   * way out. */
  g_assert_true (shoal_gui_label_shown (fixture.page, "Connecting to the network…"));
  g_assert_true (shoal_gui_label_shown (fixture.page, "No links yet"));
  g_assert_true (shoal_gui_label_shown (fixture.page, "Not known until a peer is linked"));
  /* Nobody could reach it yet: the automatic policy's reason. */
  g_assert_true (shoal_gui_label_shown (fixture.page,
                                        "Not reachable from outside (no incoming link, "
                                        "no connect-back)"));
  shoal_network_page_set_offline_delay (SHOAL_NETWORK_PAGE (fixture.page), OFFLINE_DELAY_S);
  shoal_gui_wait_label (fixture.page, "No Connection", TRUE);
  g_assert_nonnull (shoal_gui_find_descendant (fixture.page, shoal_gui_is_button_labelled, "_Connect to a Host…"));

  /* The node dials its anchor by itself: a row with the peer's address
   * and role, the counts, the state gone. */
  g_assert_true (shoal_node_config_add_anchor (fixture.node.config, ANCHOR_ENDPOINT, &error));
  g_assert_no_error (error);
  shoal_servent_update_config (fixture.node.servent, fixture.node.config);
  wait_link_row (&fixture, ANCHOR_ENDPOINT, "Ultrapeer");
  shoal_gui_wait_label (fixture.page, "No Connection", FALSE);
  shoal_gui_wait_label (fixture.page, "1 ultrapeer · 0 leaves", TRUE);
  g_assert_false (shoal_gui_label_shown (fixture.page, "No links yet"));
  shoal_test_wait_until (role_reason_shown, &fixture, TIMEOUT_MS, "the node manager's role reason");
  g_assert_true (shoal_gui_label_shown (fixture.page, "Automatic"));
  /* Uptime and traffic come with the next refresh. */
  wait_link_row (&fixture, ANCHOR_ENDPOINT, "up ");
  wait_link_row (&fixture, ANCHOR_ENDPOINT, "messages");
  g_assert_cmpuint (shoal_host_cache_get_count (shoal_node_manager_get_host_cache (
                      shoal_servent_get_node_manager (fixture.node.servent))), >, 0);
  shoal_gui_wait_label (fixture.page, "Port ", TRUE);

  /* The graph took a sample a second, and saw our handshake's pings. */
  graph = SHOAL_TRAFFIC_GRAPH (shoal_gui_find_descendant (fixture.page, is_traffic_graph, NULL));
  g_assert_nonnull (graph);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (graph)));
  shoal_test_wait_until (graph_sampled, graph, TIMEOUT_MS, "traffic samples both ways");

  /* By hand: a second ultrapeer (port 6346 when left out), then a host
   * where nobody listens. */
  connect_by_hand (&fixture, SECOND_ADDRESS);
  wait_link_row (&fixture, SECOND_ENDPOINT, "Ultrapeer");
  shoal_gui_wait_label (fixture.page, "2 ultrapeers · 0 leaves", TRUE);
  entry = shoal_gui_find_descendant (fixture.page, is_entry_row, NULL);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  g_assert_false (gtk_widget_has_css_class (entry, "error"));
  connect_by_hand (&fixture, NOBODY_ENDPOINT);
  shoal_test_wait_until (has_error_style, entry, TIMEOUT_MS, "the entry to show the error");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, NOBODY_ENDPOINT);

  /* A peer that goes takes its row along. */
  shoal_test_node_stop (second);
  gone = (RowWanted) { &fixture, SECOND_ENDPOINT, NULL };
  shoal_test_wait_until (link_row_gone, &gone, TIMEOUT_MS, "the second peer's row to go");
  shoal_gui_wait_label (fixture.page, "1 ultrapeer · 0 leaves", TRUE);

  /* Fixed to the role it has: the reason changes, the role does not. */
  fixture.node.config->role_mode = SHOAL_ROLE_MODE_LEAF;
  shoal_servent_update_config (fixture.node.servent, fixture.node.config);
  g_assert_true (shoal_gui_label_shown (fixture.page, "Fixed in the settings"));
  g_assert_true (shoal_gui_label_shown (fixture.page, "Always a leaf"));

  fixture_clear (&fixture);
  shoal_test_node_stop (anchor);
}

int
main (int    argc,
      char **argv)
{
  shoal_gui_test_init (&argc, &argv);
  g_test_add_func ("/network-page/live-peers", test_live_peers);
  return g_test_run ();
}

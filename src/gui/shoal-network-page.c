/* shoal-network-page.c — the Network page: where this node stands in the
 * network, its links, and a hand to connect to a host. */
#include "shoal-network-page.h"

#include "shoal-link-row.h"
#include "shoal-traffic-graph.h"

#include <glib/gi18n.h>
#include <string.h>

/* Names of the state stack's pages. */
#define STATE_CONNECTING "connecting"
#define STATE_OFFLINE "offline"
#define STATE_ONLINE "online"

struct _ShoalNetworkPage
{
  AdwBin             parent_instance;

  ShoalServent      *servent;
  ShoalNodeManager  *node_manager;
  GHashTable        *rows;              /* link id → ShoalLinkRow*, borrowed */
  guint              refresh;           /* timeout source */
  guint              offline_delay_s;
  gint64             unlinked_since_usec;  /* monotonic; 0 while linked */
  gint64             linked_since_usec;    /* monotonic; 0 while unlinked */
  ShoalLinkStats     last_traffic;
  gint64             last_sample_usec;
  gboolean           dialing;

  GtkStack          *state_stack;
  AdwActionRow      *role_row;
  GtkLabel          *mode_label;
  AdwActionRow      *reach_row;
  GtkWidget         *reach_warning;
  AdwActionRow      *lan_row;
  GtkLabel          *links_label;
  GtkLabel          *hosts_label;
  GtkLabel          *routed_label;
  ShoalTrafficGraph *traffic_graph;
  GtkListBox        *links_list;
  AdwEntryRow       *connect_entry;
  GtkWidget         *connect_button;
  GtkSpinner        *connect_spinner;
};

G_DEFINE_FINAL_TYPE (ShoalNetworkPage, shoal_network_page, ADW_TYPE_BIN)

/* Helpers ------------------------------------------------------------------ */

static guint
count_rows (ShoalNetworkPage *self,
            ShoalPeerRole     role)
{
  GHashTableIter iter;
  gpointer row;
  guint count = 0;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, NULL, &row))
    count += shoal_link_row_get_role (row) == role;
  return count;
}

/* Why we are what we are, under the row that says what: the reason the
 * node manager's last role decision gave (the settings, the LAN's
 * election or the automatic policy), a sentence the core marks for
 * translation, starting in lower case as it reads in the log. */
static char *
describe_role_reason (ShoalNetworkPage *self)
{
  const char *reason = _(shoal_node_manager_get_role_reason (self->node_manager));
  g_autofree char *first = g_utf8_strup (reason, g_utf8_next_char (reason) - reason);

  return g_strconcat (first, g_utf8_next_char (reason), NULL);
}

static const char *
describe_mode (ShoalRoleMode mode)
{
  switch (mode)
    {
    case SHOAL_ROLE_MODE_LEAF:
      return _("Always a leaf");
    case SHOAL_ROLE_MODE_ULTRAPEER:
      return _("Always an ultrapeer");
    case SHOAL_ROLE_MODE_AUTO:
    default:
      return _("Automatic");
    }
}

static void
update_role (ShoalNetworkPage *self)
{
  g_autofree char *reason = describe_role_reason (self);
  gboolean ultrapeer = shoal_node_manager_get_role (self->node_manager) == SHOAL_PEER_ROLE_ULTRAPEER;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->role_row),
                                 ultrapeer ? _("Ultrapeer") : _("Leaf"));
  adw_action_row_set_subtitle (self->role_row, reason);
  gtk_label_set_text (self->mode_label,
                      describe_mode (shoal_node_manager_get_config (self->node_manager)->role_mode));
}

/* Reachability is only learnt from others: an incoming link, or a
 * connect-back a peer made when asked. Before a link has had time to
 * ask, say nothing we do not know. */
static void
update_reachability (ShoalNetworkPage *self,
                     gint64            now_usec)
{
  guint16 port = shoal_node_manager_get_port (self->node_manager);
  gboolean reachable = shoal_node_manager_get_reachable (self->node_manager);
  gboolean judged = self->linked_since_usec != 0 &&
                    now_usec - self->linked_since_usec >=
                    SHOAL_NETWORK_PAGE_REACHABILITY_GRACE_S * G_USEC_PER_SEC;
  g_autofree char *text = NULL;

  if (reachable)
    text = g_strdup_printf (_("Port %u reachable from outside: others can connect to you"), port);
  else if (self->linked_since_usec == 0)
    text = g_strdup (_("Not known until a peer is linked"));
  else if (!judged)
    text = g_strdup (_("Checking whether others can connect to you…"));
  else
    text = g_strdup_printf (_("Port %u not reachable from outside: others cannot connect to you; "
                              "searches still work"), port);
  adw_action_row_set_subtitle (self->reach_row, text);
  gtk_widget_set_visible (self->reach_warning, !reachable && judged);
}

static void
update_lan (ShoalNetworkPage *self)
{
  ShoalNodeLanStatus lan;
  g_autofree char *text = NULL;

  shoal_node_manager_get_lan_status (self->node_manager, &lan);
  switch (lan.state)
    {
    case SHOAL_LAN_STATE_STARTING:
      text = g_strdup (_("Starting…"));
      break;
    case SHOAL_LAN_STATE_RUNNING:
      text = g_strdup_printf (ngettext ("On: %u Shoal peer found nearby",
                                        "On: %u Shoal peers found nearby", lan.peers), lan.peers);
      break;
    case SHOAL_LAN_STATE_UNAVAILABLE:
      /* TRANSLATORS: %s says why, e.g. "avahi-daemon is not running" */
      text = g_strdup_printf (_("Unavailable: %s"), lan.reason != NULL ? lan.reason : _("unknown reason"));
      break;
    case SHOAL_LAN_STATE_OFF:
    default:
      text = g_strdup (_("Off"));
      break;
    }
  if (lan.lan_only)
    {
      /* TRANSLATORS: %s is the LAN discovery state; the node links to LAN hosts only */
      g_autofree char *only = g_strdup_printf (_("%s; local network only"), text);

      g_free (text);
      text = g_steal_pointer (&only);
    }
  adw_action_row_set_subtitle (self->lan_row, text);
}

static void
update_counts (ShoalNetworkPage *self)
{
  ShoalHostCache *hosts = shoal_node_manager_get_host_cache (self->node_manager);
  ShoalRouterStats stats;
  guint ultrapeers = count_rows (self, SHOAL_PEER_ROLE_ULTRAPEER);
  guint leaves = count_rows (self, SHOAL_PEER_ROLE_LEAF);
  g_autofree char *ultrapeers_text = g_strdup_printf (ngettext ("%u ultrapeer", "%u ultrapeers",
                                                               ultrapeers), ultrapeers);
  g_autofree char *leaves_text = g_strdup_printf (ngettext ("%u leaf", "%u leaves", leaves), leaves);
  g_autofree char *links = g_strdup_printf ("%s · %s", ultrapeers_text, leaves_text);
  g_autofree char *hosts_text = g_strdup_printf ("%u", hosts != NULL ? shoal_host_cache_get_count (hosts)
                                                                     : 0);
  g_autofree char *routed = NULL;

  shoal_router_get_stats (shoal_servent_get_router (self->servent), &stats);
  routed = g_strdup_printf ("%" G_GUINT64_FORMAT,
                            stats.queries_out + stats.hits_out + stats.pushes_out);
  gtk_label_set_text (self->links_label, links);
  gtk_label_set_text (self->hosts_label, hosts_text);
  gtk_label_set_text (self->routed_label, routed);
}

static void
update_state (ShoalNetworkPage *self,
              gint64            now_usec)
{
  const char *state = STATE_ONLINE;

  if (g_hash_table_size (self->rows) == 0)
    state = now_usec - self->unlinked_since_usec < (gint64) self->offline_delay_s * G_USEC_PER_SEC
      ? STATE_CONNECTING : STATE_OFFLINE;
  gtk_stack_set_visible_child_name (self->state_stack, state);
  gtk_widget_set_visible (GTK_WIDGET (self->state_stack), !g_str_equal (state, STATE_ONLINE));
}

static void
update_link_rows (ShoalNetworkPage *self,
                  gint64            now_usec)
{
  GHashTableIter iter;
  gpointer row;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, NULL, &row))
    {
      ShoalLinkStats stats;

      if (shoal_node_manager_get_link_stats (self->node_manager, shoal_link_row_get_id (row), &stats))
        shoal_link_row_update (row, &stats, now_usec);
    }
}

static void
update_all (ShoalNetworkPage *self)
{
  gint64 now_usec = g_get_monotonic_time ();

  update_state (self, now_usec);
  update_role (self);
  update_reachability (self, now_usec);
  update_lan (self);
  update_counts (self);
  update_link_rows (self, now_usec);
}

static double
counted_since (guint64 now,
               guint64 before)
{
  return now >= before ? (double) (now - before) : 0.0;
}

/* Messages per second since the last sample, from the node's totals. */
static void
sample_traffic (ShoalNetworkPage *self,
                gint64            now_usec)
{
  ShoalLinkStats totals;
  double seconds = (double) (now_usec - self->last_sample_usec) / G_USEC_PER_SEC;

  shoal_node_manager_get_traffic (self->node_manager, &totals);
  if (seconds > 0)
    shoal_traffic_graph_add_sample (self->traffic_graph,
                                    counted_since (totals.messages_in, self->last_traffic.messages_in) / seconds,
                                    counted_since (totals.messages_out, self->last_traffic.messages_out) / seconds);
  self->last_traffic = totals;
  self->last_sample_usec = now_usec;
}

static void
add_link_row (ShoalNetworkPage    *self,
              const ShoalPeerInfo *info)
{
  ShoalLinkStats stats;
  GtkWidget *row;

  if (g_hash_table_contains (self->rows, &info->id))
    return;
  row = shoal_link_row_new (info);
  if (shoal_node_manager_get_link_stats (self->node_manager, info->id, &stats))
    shoal_link_row_update (SHOAL_LINK_ROW (row), &stats, g_get_monotonic_time ());
  g_hash_table_insert (self->rows, g_memdup2 (&info->id, sizeof info->id), row);
  gtk_list_box_append (self->links_list, row);
  if (self->linked_since_usec == 0)
    self->linked_since_usec = g_get_monotonic_time ();
  self->unlinked_since_usec = 0;
}

/* The overlay is the bin's own child: not bound as a template child,
 * which dispose would unparent behind AdwBin's back. */
static void
show_toast (ShoalNetworkPage *self,
            const char       *title)
{
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (adw_bin_get_child (ADW_BIN (self))),
                               adw_toast_new (title));
}

static void
set_dialing (ShoalNetworkPage *self,
             gboolean          dialing)
{
  self->dialing = dialing;
  gtk_widget_set_sensitive (self->connect_button, !dialing);
  gtk_widget_set_visible (GTK_WIDGET (self->connect_spinner), dialing);
  gtk_spinner_set_spinning (self->connect_spinner, dialing);
}

static void
dial_failed (ShoalNetworkPage *self,
             const char       *message)
{
  /* TRANSLATORS: %s says why connecting to a host failed */
  g_autofree char *title = g_strdup_printf (_("Could not connect: %s"), message);

  set_dialing (self, FALSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->connect_entry), "error");
  show_toast (self, title);
}

static void
on_dial_done (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(ShoalNetworkPage) self = data;
  g_autoptr(GError) error = NULL;
  ShoalLinkRow *row;
  guint64 id = shoal_node_manager_dial_finish (SHOAL_NODE_MANAGER (source), result, &error);

  if (self->node_manager == NULL)  /* the page went meanwhile */
    return;
  if (id == 0)
    {
      dial_failed (self, error->message);
      return;
    }
  row = g_hash_table_lookup (self->rows, &id);
  set_dialing (self, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->connect_entry), "");
  if (row != NULL)
    {
      /* TRANSLATORS: %s is the address of the host just linked */
      g_autofree char *title = g_strdup_printf (_("Connected to %s"),
                                                shoal_link_row_get_address (row));

      show_toast (self, title);
    }
}

static void
dial (ShoalNetworkPage        *self,
      const ShoalIpv4Endpoint *endpoint)
{
  shoal_node_manager_dial_async (self->node_manager, endpoint, on_dial_done, g_object_ref (self));
}

typedef struct
{
  ShoalNetworkPage *page;
  guint16           port;
} Lookup;

static void
lookup_free (Lookup *lookup)
{
  g_object_unref (lookup->page);
  g_free (lookup);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Lookup, lookup_free)

static void
on_lookup_done (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(Lookup) lookup = data;
  g_autoptr(GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  ShoalIpv4Endpoint endpoint = { 0, lookup->port };

  for (GList *l = addresses; l != NULL && endpoint.address == 0; l = l->next)
    if (g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV4)
      endpoint.address = shoal_ipv4_from_wire (g_inet_address_to_bytes (l->data));
  g_resolver_free_addresses (addresses);
  if (lookup->page->node_manager == NULL)
    return;
  if (endpoint.address == 0)
    dial_failed (lookup->page, error != NULL ? error->message : _("the name has no IPv4 address"));
  else
    dial (lookup->page, &endpoint);
}

/* "a.b.c.d[:port]" is dialled at once; a host name is looked up first,
 * off the main loop. */
static void
connect_to_entered_host (ShoalNetworkPage *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->connect_entry))));
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autoptr(GError) error = NULL;
  ShoalIpv4Endpoint endpoint;
  const char *host;
  guint16 port;

  if (self->dialing || *text == '\0')
    return;
  gtk_widget_remove_css_class (GTK_WIDGET (self->connect_entry), "error");
  connectable = g_network_address_parse (text, SHOAL_DEFAULT_PORT, &error);
  if (connectable == NULL)
    {
      dial_failed (self, error->message);
      return;
    }
  set_dialing (self, TRUE);
  host = g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable));
  port = g_network_address_get_port (G_NETWORK_ADDRESS (connectable));
  if (shoal_ipv4_endpoint_parse (host, strlen (host), &endpoint))
    {
      endpoint.port = port;
      dial (self, &endpoint);
    }
  else
    {
      Lookup *lookup = g_new0 (Lookup, 1);
      g_autoptr(GResolver) resolver = g_resolver_get_default ();

      lookup->page = g_object_ref (self);
      lookup->port = port;
      g_resolver_lookup_by_name_async (resolver, host, NULL, on_lookup_done, lookup);
    }
}

/* Signal callbacks --------------------------------------------------------------- */

static gboolean
on_refresh (gpointer data)
{
  ShoalNetworkPage *self = data;
  gint64 now_usec = g_get_monotonic_time ();

  sample_traffic (self, now_usec);
  /* Counters nobody sees need no redrawing; the graph keeps sampling. */
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    update_all (self);
  return G_SOURCE_CONTINUE;
}

static void
on_link_added (ShoalNodeManager    *node_manager,
               const ShoalPeerInfo *info,
               ShoalNetworkPage    *self)
{
  add_link_row (self, info);
  update_all (self);
}

static void
on_link_removed (ShoalNodeManager *node_manager,
                 guint64           id,
                 ShoalNetworkPage *self)
{
  GtkWidget *row = g_hash_table_lookup (self->rows, &id);

  if (row == NULL)
    return;
  gtk_list_box_remove (self->links_list, row);
  g_hash_table_remove (self->rows, &id);
  if (g_hash_table_size (self->rows) == 0)
    {
      self->linked_since_usec = 0;
      self->unlinked_since_usec = g_get_monotonic_time ();
    }
  update_all (self);
}

static void
on_node_manager_notify (ShoalNodeManager *node_manager,
                        GParamSpec       *pspec,
                        ShoalNetworkPage *self)
{
  update_all (self);
}

static void
on_connect_clicked (ShoalNetworkPage *self)
{
  connect_to_entered_host (self);
}

static void
on_connect_hint_clicked (ShoalNetworkPage *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self->connect_entry));
}

static void
on_connect_entry_changed (ShoalNetworkPage *self)
{
  gtk_widget_remove_css_class (GTK_WIDGET (self->connect_entry), "error");
}

static void
on_map (ShoalNetworkPage *self)
{
  update_all (self);
}

/* Overrides ------------------------------------------------------------------- */

static void
shoal_network_page_dispose (GObject *object)
{
  ShoalNetworkPage *self = SHOAL_NETWORK_PAGE (object);

  g_clear_handle_id (&self->refresh, g_source_remove);
  if (self->node_manager != NULL)
    g_signal_handlers_disconnect_by_data (self->node_manager, self);
  g_clear_pointer (&self->rows, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), SHOAL_TYPE_NETWORK_PAGE);
  g_clear_object (&self->node_manager);
  g_clear_object (&self->servent);
  G_OBJECT_CLASS (shoal_network_page_parent_class)->dispose (object);
}

static void
shoal_network_page_class_init (ShoalNetworkPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = shoal_network_page_dispose;

  g_type_ensure (SHOAL_TYPE_TRAFFIC_GRAPH);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/shoal/Shoal/shoal-network-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ShoalNetworkPage, state_stack);
  gtk_widget_class_bind_template_child (widget_class, ShoalNetworkPage, role_row);
  gtk_widget_class_bind_template_child (widget_class, ShoalNetworkPage, mode_label);
  gtk_widget_class_bind_template_child (widget_class, ShoalNetworkPage, reach_row);
  gtk_widget_class_bind_template_child (widget_class, ShoalNetworkPage, reach_warning);
  gtk_widget_class_bind_template_child (widget_class, ShoalNetworkPage, lan_row);
  gtk_widget_class_bind_template_child (widget_class, ShoalNetworkPage, links_label);
  gtk_widget_class_bind_template_child (widget_class, ShoalNetworkPage, hosts_label);
  gtk_widget_class_bind_template_child (widget_class, ShoalNetworkPage, routed_label);
  gtk_widget_class_bind_template_child (widget_class, ShoalNetworkPage, traffic_graph);
  gtk_widget_class_bind_template_child (widget_class, ShoalNetworkPage, links_list);
  gtk_widget_class_bind_template_child (widget_class, ShoalNetworkPage, connect_entry);
  gtk_widget_class_bind_template_child (widget_class, ShoalNetworkPage, connect_button);
  gtk_widget_class_bind_template_child (widget_class, ShoalNetworkPage, connect_spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_connect_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_connect_hint_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_connect_entry_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_map);
}

static void
shoal_network_page_init (ShoalNetworkPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->rows = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->offline_delay_s = SHOAL_NETWORK_PAGE_DEFAULT_OFFLINE_DELAY_S;
  self->unlinked_since_usec = g_get_monotonic_time ();
}

/* Public API ------------------------------------------------------------------- */

GtkWidget *
shoal_network_page_new (ShoalServent *servent)
{
  ShoalNetworkPage *self;
  g_autoptr(GPtrArray) peers = NULL;

  g_return_val_if_fail (SHOAL_IS_SERVENT (servent), NULL);
  self = g_object_new (SHOAL_TYPE_NETWORK_PAGE, NULL);
  self->servent = g_object_ref (servent);
  self->node_manager = g_object_ref (shoal_servent_get_node_manager (servent));

  peers = shoal_node_manager_list_peers (self->node_manager);
  for (guint i = 0; i < peers->len; i++)
    add_link_row (self, g_ptr_array_index (peers, i));
  g_signal_connect (self->node_manager, "link-added", G_CALLBACK (on_link_added), self);
  g_signal_connect (self->node_manager, "link-removed", G_CALLBACK (on_link_removed), self);
  g_signal_connect (self->node_manager, "notify::role", G_CALLBACK (on_node_manager_notify), self);
  g_signal_connect (self->node_manager, "notify::reachable", G_CALLBACK (on_node_manager_notify),
                    self);
  g_signal_connect (self->node_manager, "notify::role-reason",
                    G_CALLBACK (on_node_manager_notify), self);

  shoal_node_manager_get_traffic (self->node_manager, &self->last_traffic);
  self->last_sample_usec = g_get_monotonic_time ();
  self->refresh = g_timeout_add (SHOAL_NETWORK_PAGE_REFRESH_MS, on_refresh, self);
  update_all (self);
  return GTK_WIDGET (self);
}

void
shoal_network_page_set_offline_delay (ShoalNetworkPage *self,
                                      guint             seconds)
{
  g_return_if_fail (SHOAL_IS_NETWORK_PAGE (self));
  self->offline_delay_s = seconds;
  update_state (self, g_get_monotonic_time ());
}

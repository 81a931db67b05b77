/* shoal-link-row.c — one link in the Network page. */
#include "shoal-link-row.h"

#include "shoal-units.h"

#include <glib/gi18n.h>

struct _ShoalLinkRow
{
  AdwActionRow   parent_instance;

  guint64        id;
  ShoalPeerRole  role;
  char          *address;
  char          *vendor;
  gboolean       outgoing;
  gint64         connected_usec;

  GtkLabel      *role_label;
  GtkWidget     *lan_label;
};

G_DEFINE_FINAL_TYPE (ShoalLinkRow, shoal_link_row, ADW_TYPE_ACTION_ROW)

/* Helpers ------------------------------------------------------------------ */

/* An incoming link's remote port is the peer's ephemeral one: the
 * address it listens on says more. */
static char *
describe_address (const ShoalPeerInfo *info)
{
  char buffer[SHOAL_IPV4_ENDPOINT_STRLEN];
  gboolean listen_known = info->listen.address != 0 && info->listen.port != 0;
  const ShoalIpv4Endpoint *shown = info->outgoing || !listen_known ? &info->remote : &info->listen;

  return g_strdup (shoal_ipv4_endpoint_format (shown, TRUE, buffer));
}

static char *
describe_traffic (guint64 messages,
                  guint64 bytes)
{
  g_autofree char *size = g_format_size (bytes);
  /* Formatted apart: G_GUINT64_FORMAT inside a msgid would cut it short
   * for xgettext. */
  g_autofree char *count = g_strdup_printf ("%'" G_GUINT64_FORMAT, messages);

  /* TRANSLATORS: messages and bytes over a link, e.g. "12 messages (3.4 kB)" */
  return g_strdup_printf (ngettext ("%s message (%s)", "%s messages (%s)",
                                    (gulong) MIN (messages, G_MAXULONG)),
                          count, size);
}

/* Overrides ------------------------------------------------------------------- */

static void
shoal_link_row_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), SHOAL_TYPE_LINK_ROW);
  G_OBJECT_CLASS (shoal_link_row_parent_class)->dispose (object);
}

static void
shoal_link_row_finalize (GObject *object)
{
  ShoalLinkRow *self = SHOAL_LINK_ROW (object);

  g_free (self->address);
  g_free (self->vendor);
  G_OBJECT_CLASS (shoal_link_row_parent_class)->finalize (object);
}

static void
shoal_link_row_class_init (ShoalLinkRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = shoal_link_row_dispose;
  object_class->finalize = shoal_link_row_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/shoal/Shoal/shoal-link-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ShoalLinkRow, role_label);
  gtk_widget_class_bind_template_child (widget_class, ShoalLinkRow, lan_label);
}

static void
shoal_link_row_init (ShoalLinkRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Addresses and user agents are text from the network, not markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self), FALSE);
}

/* Public API ------------------------------------------------------------------- */

GtkWidget *
shoal_link_row_new (const ShoalPeerInfo *info)
{
  ShoalLinkRow *self;

  g_return_val_if_fail (info != NULL, NULL);
  self = g_object_new (SHOAL_TYPE_LINK_ROW, NULL);
  self->id = info->id;
  self->role = info->role;
  self->address = describe_address (info);
  self->vendor = g_strdup (info->user_agent != NULL && *info->user_agent != '\0'
                           ? info->user_agent : _("Unknown software"));
  self->connected_usec = info->connected_usec;
  self->outgoing = info->outgoing;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), self->address);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), self->vendor);
  gtk_label_set_text (self->role_label, info->role == SHOAL_PEER_ROLE_ULTRAPEER ? _("Ultrapeer")
                                                                                : _("Leaf"));
  gtk_widget_set_visible (self->lan_label, info->lan);
  return GTK_WIDGET (self);
}

guint64
shoal_link_row_get_id (ShoalLinkRow *self)
{
  g_return_val_if_fail (SHOAL_IS_LINK_ROW (self), 0);
  return self->id;
}

ShoalPeerRole
shoal_link_row_get_role (ShoalLinkRow *self)
{
  g_return_val_if_fail (SHOAL_IS_LINK_ROW (self), SHOAL_PEER_ROLE_LEAF);
  return self->role;
}

const char *
shoal_link_row_get_address (ShoalLinkRow *self)
{
  g_return_val_if_fail (SHOAL_IS_LINK_ROW (self), NULL);
  return self->address;
}

void
shoal_link_row_update (ShoalLinkRow         *self,
                       const ShoalLinkStats *stats,
                       gint64                now_usec)
{
  g_autofree char *uptime = NULL;
  g_autofree char *in = NULL;
  g_autofree char *out = NULL;
  g_autofree char *subtitle = NULL;
  guint64 up_seconds;

  g_return_if_fail (SHOAL_IS_LINK_ROW (self));
  g_return_if_fail (stats != NULL);
  up_seconds = now_usec > self->connected_usec
    ? (guint64) (now_usec - self->connected_usec) / G_USEC_PER_SEC : 0;
  uptime = shoal_units_format_duration (up_seconds);
  in = describe_traffic (stats->messages_in, stats->bytes_in);
  out = describe_traffic (stats->messages_out, stats->bytes_out);
  /* TRANSLATORS: software · who dialled · "up 5 min" · "in 12 messages (3.4 kB)" · "out …" */
  subtitle = g_strdup_printf (_("%s · %s · up %s · in %s · out %s"), self->vendor,
                              self->outgoing ? _("we dialled") : _("it dialled us"), uptime, in, out);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
}

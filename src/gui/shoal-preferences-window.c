/* shoal-preferences-window.c — Preferences: each control edits one key of
 * the settings table (shoald-config.h) by name. A change is checked,
 * saved to the settings file, then applied to the running servent;
 * keys the servent takes only at start say so. */
#include "shoal-preferences-window.h"

#include <glib/gi18n.h>
#include <string.h>

#define KEY_PORT "network.port"
#define KEY_ROLE "roles.role"
#define KEY_ANCHORS "bootstrap.anchors"
#define KEY_MANUAL_PEERS "network.manual-peers"
#define KEY_DOWNLOAD_DIR "transfers.download-dir"
/* Caps are set in kbit/s (1000 bits): the subtitle shows bytes too. */
#define BYTES_PER_KBIT 125

/* How the settings file writes a list: items each followed by this. */
#define LIST_SEPARATOR ";"

struct _ShoalPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  ShoalServent         *servent;      /* NULL: nothing runs yet */
  ShoaldConfig         *settings;     /* in effect: borrowed, changed in place */
  ShoaldConfig         *wanted;       /* what the file says, restarts pending included */
  char                 *config_path;
  gboolean              populating;   /* controls being set from the settings */
  GtkNativeDialog      *chooser;      /* the download folder's, while open */
  GPtrArray            *anchor_rows;
  GPtrArray            *manual_peer_rows;

  AdwEntryRow          *port_row;
  GtkWidget            *port_restart_hint;
  GtkWidget            *lan_discovery_switch;
  GtkWidget            *lan_only_switch;
  GtkWidget            *lan_only_restart_hint;
  GtkWidget            *role_row;
  GtkWidget            *leaf_ultrapeer_slots_spin;
  GtkWidget            *ultrapeer_peer_slots_spin;
  GtkWidget            *ultrapeer_leaf_slots_spin;
  AdwPreferencesGroup  *anchors_group;
  AdwEntryRow          *anchor_entry;
  AdwPreferencesGroup  *manual_peers_group;
  AdwEntryRow          *manual_peer_entry;
  AdwActionRow         *download_dir_row;
  GtkWidget            *download_dir_restart_hint;
  AdwActionRow         *download_limit_row;
  GtkWidget            *download_limit_spin;
  GtkWidget            *upload_slots_spin;
  AdwActionRow         *upload_limit_row;
  GtkWidget            *upload_limit_spin;
  GtkWidget            *upload_kbps_spin;
  GtkWidget            *browse_host_switch;
};

G_DEFINE_FINAL_TYPE (ShoalPreferencesWindow, shoal_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

typedef enum
{
  CONTROL_SWITCH,  /* GtkSwitch: "true" or "false" */
  CONTROL_SPIN,    /* GtkSpinButton: a number */
  CONTROL_ROLE,    /* AdwComboRow over role_values */
} ControlKind;

/* A control that edits one key as soon as it changes. */
typedef struct
{
  const char  *key;
  ControlKind  kind;
  gsize        offset;  /* of the widget in ShoalPreferencesWindow */
} Control;

#define WIDGET_FIELD(member) G_STRUCT_OFFSET (ShoalPreferencesWindow, member)

static const Control controls[] = {
  { "network.lan-discovery", CONTROL_SWITCH, WIDGET_FIELD (lan_discovery_switch) },
  { "network.lan-only", CONTROL_SWITCH, WIDGET_FIELD (lan_only_switch) },
  { KEY_ROLE, CONTROL_ROLE, WIDGET_FIELD (role_row) },
  { "roles.leaf-ultrapeer-slots", CONTROL_SPIN, WIDGET_FIELD (leaf_ultrapeer_slots_spin) },
  { "roles.ultrapeer-peer-slots", CONTROL_SPIN, WIDGET_FIELD (ultrapeer_peer_slots_spin) },
  { "roles.ultrapeer-leaf-slots", CONTROL_SPIN, WIDGET_FIELD (ultrapeer_leaf_slots_spin) },
  { "transfers.download-limit-kbps", CONTROL_SPIN, WIDGET_FIELD (download_limit_spin) },
  { "transfers.upload-slots", CONTROL_SPIN, WIDGET_FIELD (upload_slots_spin) },
  { "transfers.upload-limit-kbps", CONTROL_SPIN, WIDGET_FIELD (upload_limit_spin) },
  { "transfers.upload-kbps", CONTROL_SPIN, WIDGET_FIELD (upload_kbps_spin) },
  { "library.browse-host", CONTROL_SWITCH, WIDGET_FIELD (browse_host_switch) },
};

/* The keys that wait for a restart, with the hint each row shows then. */
static const struct
{
  const char *key;
  gsize       offset;
} restart_hints[] = {
  { KEY_PORT, WIDGET_FIELD (port_restart_hint) },
  { "network.lan-only", WIDGET_FIELD (lan_only_restart_hint) },
  { KEY_DOWNLOAD_DIR, WIDGET_FIELD (download_dir_restart_hint) },
};

/* In the order of the role row's items, as the settings file writes them. */
static const char *const role_values[] = { "auto", "leaf", "ultrapeer" };

static GtkWidget *
widget_at (ShoalPreferencesWindow *self,
           gsize                   offset)
{
  return G_STRUCT_MEMBER (GtkWidget *, self, offset);
}

static void
show_toast (ShoalPreferencesWindow *self,
            const char             *text)
{
  /* Toast titles are markup; ours carry values the user typed. */
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (escaped));
}

static char *
get_text (ShoalPreferencesWindow *self,
          const char             *key)
{
  g_autofree char *text = shoald_config_get_text (self->wanted, key, NULL);

  return text != NULL ? g_steal_pointer (&text) : g_strdup ("");
}

/* The items of a list key, without the empty ones its separators leave. */
static GPtrArray *
get_items (ShoalPreferencesWindow *self,
           const char             *key)
{
  g_autofree char *text = get_text (self, key);
  g_auto(GStrv) parts = g_strsplit (text, LIST_SEPARATOR, -1);
  GPtrArray *items = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; parts[i] != NULL; i++)
    if (*g_strstrip (parts[i]) != '\0')
      g_ptr_array_add (items, g_strdup (parts[i]));
  return items;
}

static char *
join_items (GPtrArray *items)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < items->len; i++)
    {
      g_string_append (text, g_ptr_array_index (items, i));
      g_string_append (text, LIST_SEPARATOR);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
mark_refused (GtkWidget  *widget,
              const char *message)
{
  if (widget == NULL)
    return;
  gtk_widget_add_css_class (widget, "error");
  gtk_widget_set_tooltip_text (widget, message);
}

static void
clear_refused (GtkWidget *widget)
{
  if (widget == NULL || !gtk_widget_has_css_class (widget, "error"))
    return;
  gtk_widget_remove_css_class (widget, "error");
  gtk_widget_set_tooltip_text (widget, NULL);
}

/* Errors of the settings table start with the key's name, which the
 * user never sees here: the toast says what was wrong with the value. */
static void
refuse (ShoalPreferencesWindow *self,
        const char             *key,
        GtkWidget              *widget,
        const GError           *error)
{
  const char *reason = error->message;
  g_autofree char *prefix = g_strconcat (key, ": ", NULL);
  g_autofree char *text = NULL;

  if (g_str_has_prefix (reason, prefix))
    reason += strlen (prefix);
  text = g_strdup_printf (_("Not saved: %s"), reason);
  mark_refused (widget, text);
  show_toast (self, text);
}

static gboolean
in_list (GPtrArray  *names,
         const char *name)
{
  return g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL);
}

static void
show_restart_hints (ShoalPreferencesWindow *self,
                    GPtrArray              *restart)
{
  for (guint i = 0; i < G_N_ELEMENTS (restart_hints); i++)
    gtk_widget_set_visible (widget_at (self, restart_hints[i].offset),
                            in_list (restart, restart_hints[i].key));
}

/* Saved but not in effect: what differs between the file and what runs
 * for keys the servent takes only at start. */
static GPtrArray *
list_pending_restart (ShoalPreferencesWindow *self)
{
  g_autoptr(GPtrArray) differing = shoald_config_diff (self->settings, self->wanted);
  GPtrArray *pending = g_ptr_array_new ();
  ShoaldConfigKeyInfo info;

  for (guint i = 0; i < differing->len; i++)
    {
      const char *name = g_ptr_array_index (differing, i);

      if (shoald_config_find_key (name, &info) && !info.live)
        g_ptr_array_add (pending, (gpointer) name);
    }
  return pending;
}

/* The one path of every change: checked on a copy of what the file says,
 * saved, then applied, so that nothing changes unless the value is good
 * and what runs is never what a restart would lose. @widget shows a
 * refusal. */
static gboolean
change_setting (ShoalPreferencesWindow *self,
                const char             *key,
                const char             *text,
                GtkWidget              *widget)
{
  g_autoptr(ShoaldConfig) candidate = shoald_config_copy (self->wanted);
  const char *names[] = { key, NULL };
  g_autoptr(GPtrArray) restart = NULL;
  g_autoptr(GError) error = NULL;

  if (!shoald_config_set_text (candidate, key, text, &error) ||
      (self->config_path != NULL &&
       !shoald_config_save_keys (candidate, self->config_path, names, &error)))
    {
      refuse (self, key, widget, error);
      return FALSE;
    }
  clear_refused (widget);
  restart = shoald_config_apply_live (self->settings, candidate, self->servent);
  shoald_config_free (self->wanted);
  self->wanted = g_steal_pointer (&candidate);
  show_restart_hints (self, restart);
  if (in_list (restart, key))
    show_toast (self, _("Saved. It applies when Shoal restarts."));
  return TRUE;
}

/* Showing the settings ------------------------------------------------------------ */

static void
show_control (ShoalPreferencesWindow *self,
              const Control          *control)
{
  GtkWidget *widget = widget_at (self, control->offset);
  g_autofree char *text = get_text (self, control->key);

  switch (control->kind)
    {
    case CONTROL_SWITCH:
      gtk_switch_set_active (GTK_SWITCH (widget), g_strcmp0 (text, "true") == 0);
      break;
    case CONTROL_SPIN:
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (widget), g_ascii_strtod (text, NULL));
      break;
    case CONTROL_ROLE:
      for (guint i = 0; i < G_N_ELEMENTS (role_values); i++)
        if (g_strcmp0 (text, role_values[i]) == 0)
          adw_combo_row_set_selected (ADW_COMBO_ROW (widget), i);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
on_remove_item_clicked (GtkButton *button,
                        gpointer   user_data);

/* A row per item, with a button that removes it from @key. */
static void
show_list (ShoalPreferencesWindow *self,
           const char             *key,
           AdwPreferencesGroup    *group,
           GPtrArray              *rows)
{
  g_autoptr(GPtrArray) items = get_items (self, key);

  for (guint i = 0; i < rows->len; i++)
    adw_preferences_group_remove (group, g_ptr_array_index (rows, i));
  g_ptr_array_set_size (rows, 0);
  for (guint i = 0; i < items->len; i++)
    {
      const char *item = g_ptr_array_index (items, i);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *button = gtk_button_new_from_icon_name ("user-trash-symbolic");
      g_autofree char *label = g_strdup_printf (_("Remove %s"), item);

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), item);
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_tooltip_text (button, _("Remove"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      label, -1);
      g_object_set_data_full (G_OBJECT (button), "shoal-item", g_strdup (item), g_free);
      g_object_set_data (G_OBJECT (button), "shoal-key", (gpointer) key);
      g_signal_connect (button, "clicked", G_CALLBACK (on_remove_item_clicked), NULL);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      adw_preferences_group_add (group, row);
      g_ptr_array_add (rows, row);
    }
}

static void
show_download_dir (ShoalPreferencesWindow *self)
{
  g_autofree char *path = get_text (self, KEY_DOWNLOAD_DIR);
  g_autofree char *subtitle = NULL;

  if (*path != '\0')
    subtitle = g_filename_display_name (path);
  else
    {
      const char *downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
      g_autofree char *shown = g_filename_display_name (downloads != NULL ? downloads
                                                                          : g_get_home_dir ());

      /* TRANSLATORS: the default download folder, with its path */
      subtitle = g_strdup_printf (_("Your Downloads folder (%s)"), shown);
    }
  adw_action_row_set_subtitle (self->download_dir_row, subtitle);
}

/* "No limit" for 0; else the cap as set and as a file manager would
 * show the bytes. */
static char *
describe_limit (guint kbps)
{
  g_autofree char *per_second = NULL;

  if (kbps == 0)
    return g_strdup (_("No limit"));
  per_second = g_format_size ((guint64) kbps * BYTES_PER_KBIT);
  /* TRANSLATORS: a bandwidth cap: "512 kbit/s, about 64.0 kB per second" */
  return g_strdup_printf (_("%u kbit/s, about %s per second"), kbps, per_second);
}

static void
show_limit (AdwActionRow *row,
            GtkWidget    *spin)
{
  g_autofree char *text =
    describe_limit ((guint) gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (spin)));

  adw_action_row_set_subtitle (row, text);
}

static void
show_limits (ShoalPreferencesWindow *self)
{
  show_limit (self->upload_limit_row, self->upload_limit_spin);
  show_limit (self->download_limit_row, self->download_limit_spin);
}

static void
show_settings (ShoalPreferencesWindow *self)
{
  g_autofree char *port = get_text (self, KEY_PORT);
  g_autoptr(GPtrArray) pending = list_pending_restart (self);

  self->populating = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->port_row), port);
  for (guint i = 0; i < G_N_ELEMENTS (controls); i++)
    show_control (self, &controls[i]);
  show_list (self, KEY_ANCHORS, self->anchors_group, self->anchor_rows);
  show_list (self, KEY_MANUAL_PEERS, self->manual_peers_group, self->manual_peer_rows);
  show_download_dir (self);
  show_limits (self);
  show_restart_hints (self, pending);
  self->populating = FALSE;
}

/* Changes ------------------------------------------------------------------------- */

static const Control *
find_control (ShoalPreferencesWindow *self,
              GtkWidget              *widget)
{
  for (guint i = 0; i < G_N_ELEMENTS (controls); i++)
    if (widget_at (self, controls[i].offset) == widget)
      return &controls[i];
  return NULL;
}

static char *
read_control (GtkWidget     *widget,
              const Control *control)
{
  guint selected;

  switch (control->kind)
    {
    case CONTROL_SWITCH:
      return g_strdup (gtk_switch_get_active (GTK_SWITCH (widget)) ? "true" : "false");
    case CONTROL_SPIN:
      return g_strdup_printf ("%d", gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (widget)));
    case CONTROL_ROLE:
      selected = adw_combo_row_get_selected (ADW_COMBO_ROW (widget));
      return g_strdup (selected < G_N_ELEMENTS (role_values) ? role_values[selected] : "");
    default:
      g_assert_not_reached ();
    }
}

/* Switches, spin buttons and the role row: the widget says which key. */
static void
control_changed (ShoalPreferencesWindow *self,
                 GtkWidget              *widget)
{
  const Control *control = find_control (self, widget);
  g_autofree char *text = NULL;

  if (self->populating || control == NULL)
    return;
  text = read_control (widget, control);
  if (!change_setting (self, control->key, text, widget))
    {
      /* A control shows what is saved, not what was refused. */
      self->populating = TRUE;
      show_control (self, control);
      self->populating = FALSE;
    }
}

static void
on_control_notify (GtkWidget              *widget,
                   GParamSpec             *pspec,
                   ShoalPreferencesWindow *self)
{
  control_changed (self, widget);
}

static void
on_spin_value_changed (GtkWidget              *widget,
                       ShoalPreferencesWindow *self)
{
  control_changed (self, widget);
}

/* What the row says follows the number as it is typed or stepped. */
static void
on_limit_changed (ShoalPreferencesWindow *self)
{
  show_limits (self);
}

static void
on_port_applied (ShoalPreferencesWindow *self,
                 AdwEntryRow            *row)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));

  /* An empty text would be the default: the user meant no port at all. */
  if (*text == '\0')
    {
      g_autoptr(GError) error = g_error_new_literal (SHOALD_CONFIG_ERROR,
                                                     SHOALD_CONFIG_ERROR_BAD_VALUE,
                                                     _("type a port number from 0 to 65535"));

      refuse (self, KEY_PORT, GTK_WIDGET (row), error);
      return;
    }
  change_setting (self, KEY_PORT, text, GTK_WIDGET (row));
}

static void
add_item (ShoalPreferencesWindow *self,
          const char             *key,
          AdwEntryRow            *entry)
{
  g_autofree char *item = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));
  g_autoptr(GPtrArray) items = get_items (self, key);
  g_autofree char *text = NULL;

  if (*item == '\0')
    return;
  if (in_list (items, item))
    {
      g_autofree char *message = g_strdup_printf (_("%s is in the list already"), item);

      show_toast (self, message);
      return;
    }
  /* One item alone first: its error then names it, not the whole list. */
  if (strchr (item, *LIST_SEPARATOR) != NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (SHOALD_CONFIG_ERROR,
                                                     SHOALD_CONFIG_ERROR_BAD_VALUE,
                                                     _("one host:port at a time"));

      refuse (self, key, GTK_WIDGET (entry), error);
      return;
    }
  g_ptr_array_add (items, g_strdup (item));
  text = join_items (items);
  if (!change_setting (self, key, text, GTK_WIDGET (entry)))
    return;
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  show_settings (self);
}

static void
on_anchor_applied (ShoalPreferencesWindow *self,
                   AdwEntryRow            *entry)
{
  add_item (self, KEY_ANCHORS, entry);
}

static void
on_manual_peer_applied (ShoalPreferencesWindow *self,
                        AdwEntryRow            *entry)
{
  add_item (self, KEY_MANUAL_PEERS, entry);
}

static void
on_remove_item_clicked (GtkButton *button,
                        gpointer   user_data)
{
  ShoalPreferencesWindow *self = SHOAL_PREFERENCES_WINDOW (gtk_widget_get_root (GTK_WIDGET (button)));
  const char *key = g_object_get_data (G_OBJECT (button), "shoal-key");
  g_autofree char *item = g_strdup (g_object_get_data (G_OBJECT (button), "shoal-item"));
  g_autoptr(GPtrArray) items = get_items (self, key);
  g_autofree char *text = NULL;
  guint position;

  if (!g_ptr_array_find_with_equal_func (items, item, g_str_equal, &position))
    return;
  g_ptr_array_remove_index (items, position);
  text = join_items (items);
  /* The rows are rebuilt, this button's too: only after the change. */
  if (change_setting (self, key, text, NULL))
    show_settings (self);
}

static void
on_chooser_response (GtkNativeDialog        *chooser,
                     int                     response,
                     ShoalPreferencesWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = folder != NULL ? g_file_get_path (folder) : NULL;

      if (path == NULL)
        show_toast (self, _("Choose a folder on this computer."));
      else if (change_setting (self, KEY_DOWNLOAD_DIR, path, GTK_WIDGET (self->download_dir_row)))
        show_download_dir (self);
    }
  g_clear_object (&self->chooser);
}

/* Through GtkFileChooserNative: the file-chooser portal in a flatpak. */
static void
on_download_dir_clicked (ShoalPreferencesWindow *self)
{
  GtkFileChooserNative *chooser;
  g_autofree char *current = NULL;

  if (self->chooser != NULL)
    return;
  chooser = gtk_file_chooser_native_new (_("Download Folder"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                         _("_Select"), _("_Cancel"));
  self->chooser = GTK_NATIVE_DIALOG (chooser);
  current = get_text (self, KEY_DOWNLOAD_DIR);
  if (*current != '\0')
    {
      g_autoptr(GFile) folder = g_file_new_for_path (current);

      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, NULL);
    }
  gtk_native_dialog_set_modal (self->chooser, TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (on_chooser_response), self, 0);
  gtk_native_dialog_show (self->chooser);
}

static void
connect_controls (ShoalPreferencesWindow *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (controls); i++)
    {
      GtkWidget *widget = widget_at (self, controls[i].offset);

      switch (controls[i].kind)
        {
        case CONTROL_SWITCH:
          g_signal_connect_object (widget, "notify::active", G_CALLBACK (on_control_notify),
                                   self, 0);
          break;
        case CONTROL_SPIN:
          g_signal_connect_object (widget, "value-changed", G_CALLBACK (on_spin_value_changed),
                                   self, 0);
          break;
        case CONTROL_ROLE:
          g_signal_connect_object (widget, "notify::selected", G_CALLBACK (on_control_notify),
                                   self, 0);
          break;
        default:
          g_assert_not_reached ();
        }
    }
}

/* What the file says, so that changes saved for a restart show as such;
 * what is in effect when there is no file yet or it cannot be read. */
static ShoaldConfig *
load_wanted (ShoalPreferencesWindow *self)
{
  g_autoptr(GError) error = NULL;
  ShoaldConfig *wanted = NULL;

  if (self->config_path != NULL)
    wanted = shoald_config_load_file (self->config_path, &error);
  if (wanted != NULL)
    return wanted;
  if (error != NULL && !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_autofree char *text = g_strdup_printf (_("The settings file has an error: %s"),
                                               error->message);

      show_toast (self, text);
    }
  return shoald_config_copy (self->settings);
}

/* GObject ---------------------------------------------------------------------- */

static void
shoal_preferences_window_dispose (GObject *object)
{
  ShoalPreferencesWindow *self = SHOAL_PREFERENCES_WINDOW (object);

  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (self->chooser);
      g_clear_object (&self->chooser);
    }
  g_clear_object (&self->servent);
  gtk_widget_dispose_template (GTK_WIDGET (self), SHOAL_TYPE_PREFERENCES_WINDOW);
  G_OBJECT_CLASS (shoal_preferences_window_parent_class)->dispose (object);
}

static void
shoal_preferences_window_finalize (GObject *object)
{
  ShoalPreferencesWindow *self = SHOAL_PREFERENCES_WINDOW (object);

  g_clear_pointer (&self->wanted, shoald_config_free);
  g_clear_pointer (&self->anchor_rows, g_ptr_array_unref);
  g_clear_pointer (&self->manual_peer_rows, g_ptr_array_unref);
  g_free (self->config_path);
  G_OBJECT_CLASS (shoal_preferences_window_parent_class)->finalize (object);
}

static void
shoal_preferences_window_class_init (ShoalPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = shoal_preferences_window_dispose;
  object_class->finalize = shoal_preferences_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/shoal/Shoal/shoal-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, port_row);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, port_restart_hint);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, lan_discovery_switch);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, lan_only_switch);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, lan_only_restart_hint);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, role_row);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow,
                                        leaf_ultrapeer_slots_spin);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow,
                                        ultrapeer_peer_slots_spin);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow,
                                        ultrapeer_leaf_slots_spin);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, anchors_group);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, anchor_entry);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, manual_peers_group);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, manual_peer_entry);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, download_dir_row);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow,
                                        download_dir_restart_hint);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, download_limit_row);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, download_limit_spin);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, upload_slots_spin);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, upload_limit_row);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, upload_limit_spin);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, upload_kbps_spin);
  gtk_widget_class_bind_template_child (widget_class, ShoalPreferencesWindow, browse_host_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_port_applied);
  gtk_widget_class_bind_template_callback (widget_class, on_anchor_applied);
  gtk_widget_class_bind_template_callback (widget_class, on_manual_peer_applied);
  gtk_widget_class_bind_template_callback (widget_class, on_download_dir_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_limit_changed);
}

static void
shoal_preferences_window_init (ShoalPreferencesWindow *self)
{
  self->anchor_rows = g_ptr_array_new ();
  self->manual_peer_rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
shoal_preferences_window_new (GtkWindow    *parent,
                              ShoalServent *servent,
                              ShoaldConfig *settings,
                              const char   *config_path)
{
  ShoalPreferencesWindow *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (servent == NULL || SHOAL_IS_SERVENT (servent), NULL);
  g_return_val_if_fail (settings != NULL, NULL);

  self = g_object_new (SHOAL_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
  self->servent = servent != NULL ? g_object_ref (servent) : NULL;
  self->settings = settings;
  self->config_path = g_strdup (config_path);
  self->wanted = load_wanted (self);
  show_settings (self);
  connect_controls (self);
  return GTK_WIDGET (self);
}

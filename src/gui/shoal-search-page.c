/* shoal-search-page.c — the Search page: a tab per search. */
#include "shoal-search-page.h"

#include <glib/gi18n.h>

#include "shoal-search-tab.h"

struct _ShoalSearchPage
{
  AdwBin        parent_instance;

  ShoalServent *servent;

  /* Template children. */
  AdwTabView   *tab_view;
};

enum
{
  PROP_0,
  PROP_SERVENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ShoalSearchPage, shoal_search_page, ADW_TYPE_BIN)

/* Helpers ------------------------------------------------------------------- */

static ShoalSearchTab *
get_current_tab (ShoalSearchPage *self)
{
  AdwTabPage *page = adw_tab_view_get_selected_page (self->tab_view);

  return page != NULL ? SHOAL_SEARCH_TAB (adw_tab_page_get_child (page)) : NULL;
}

/* The tab's title and whether it still searches show on its tab. */
static ShoalSearchTab *
append_tab (ShoalSearchPage *self)
{
  GtkWidget *tab = shoal_search_tab_new (self->servent);
  AdwTabPage *page = adw_tab_view_append (self->tab_view, tab);

  g_object_bind_property (tab, "title", page, "title", G_BINDING_SYNC_CREATE);
  g_object_bind_property (tab, "title", page, "tooltip", G_BINDING_SYNC_CREATE);
  g_object_bind_property (tab, "loading", page, "loading", G_BINDING_SYNC_CREATE);
  adw_tab_view_set_selected_page (self->tab_view, page);
  return SHOAL_SEARCH_TAB (tab);
}

/* Signal callbacks ---------------------------------------------------------- */

/* Whoever closes a tab (its button, Ctrl+W, the tab's menu) stops its
 * search; the page never stays without a tab to type in. */
static gboolean
on_close_page (ShoalSearchPage *self,
               AdwTabPage      *page,
               AdwTabView      *tab_view)
{
  shoal_search_tab_stop (SHOAL_SEARCH_TAB (adw_tab_page_get_child (page)));
  adw_tab_view_close_page_finish (tab_view, page, TRUE);
  if (adw_tab_view_get_n_pages (tab_view) == 0)
    shoal_search_page_new_tab (self);
  return GDK_EVENT_STOP;
}

/* Actions ------------------------------------------------------------------- */

static void
new_tab_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  (void) action_name;
  (void) parameter;
  shoal_search_page_new_tab (SHOAL_SEARCH_PAGE (widget));
}

static void
close_tab_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  (void) action_name;
  (void) parameter;
  shoal_search_page_close_tab (SHOAL_SEARCH_PAGE (widget));
}

static void
focus_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  (void) action_name;
  (void) parameter;
  shoal_search_page_focus_entry (SHOAL_SEARCH_PAGE (widget));
}

/* Overrides ----------------------------------------------------------------- */

static void
shoal_search_page_constructed (GObject *object)
{
  ShoalSearchPage *self = SHOAL_SEARCH_PAGE (object);

  G_OBJECT_CLASS (shoal_search_page_parent_class)->constructed (object);
  g_return_if_fail (SHOAL_IS_SERVENT (self->servent));
  append_tab (self);
}

static void
shoal_search_page_dispose (GObject *object)
{
  ShoalSearchPage *self = SHOAL_SEARCH_PAGE (object);

  /* Closing the window closes no tab through close-page: the searches
   * stop here, whoever still holds a tab. */
  if (self->tab_view != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->tab_view, self);
      for (int i = 0; i < adw_tab_view_get_n_pages (self->tab_view); i++)
        {
          AdwTabPage *page = adw_tab_view_get_nth_page (self->tab_view, i);

          shoal_search_tab_stop (SHOAL_SEARCH_TAB (adw_tab_page_get_child (page)));
        }
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), SHOAL_TYPE_SEARCH_PAGE);
  g_clear_object (&self->servent);

  G_OBJECT_CLASS (shoal_search_page_parent_class)->dispose (object);
}

static void
shoal_search_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  ShoalSearchPage *self = SHOAL_SEARCH_PAGE (object);

  switch (prop_id)
    {
    case PROP_SERVENT:
      g_value_set_object (value, self->servent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_search_page_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  ShoalSearchPage *self = SHOAL_SEARCH_PAGE (object);

  switch (prop_id)
    {
    case PROP_SERVENT:
      self->servent = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_search_page_class_init (ShoalSearchPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = shoal_search_page_constructed;
  object_class->dispose = shoal_search_page_dispose;
  object_class->get_property = shoal_search_page_get_property;
  object_class->set_property = shoal_search_page_set_property;

  properties[PROP_SERVENT] =
    g_param_spec_object ("servent", NULL, "The servent whose network is searched",
                         SHOAL_TYPE_SERVENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SHOAL_TYPE_SEARCH_TAB);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/shoal/Shoal/shoal-search-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ShoalSearchPage, tab_view);
  gtk_widget_class_bind_template_callback (widget_class, on_close_page);

  gtk_widget_class_install_action (widget_class, "search.new-tab", NULL, new_tab_activated);
  gtk_widget_class_install_action (widget_class, "search.close-tab", NULL, close_tab_activated);
  gtk_widget_class_install_action (widget_class, "search.focus", NULL, focus_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_t, GDK_CONTROL_MASK,
                                       "search.new-tab", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "search.close-tab", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "search.focus", NULL);
}

static void
shoal_search_page_init (ShoalSearchPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* Public API ---------------------------------------------------------------- */

GtkWidget *
shoal_search_page_new (ShoalServent *servent)
{
  g_return_val_if_fail (SHOAL_IS_SERVENT (servent), NULL);
  return g_object_new (SHOAL_TYPE_SEARCH_PAGE, "servent", servent, NULL);
}

void
shoal_search_page_focus_entry (ShoalSearchPage *self)
{
  ShoalSearchTab *tab;

  g_return_if_fail (SHOAL_IS_SEARCH_PAGE (self));
  tab = get_current_tab (self);
  if (tab != NULL)
    shoal_search_tab_focus_entry (tab);
}

void
shoal_search_page_new_tab (ShoalSearchPage *self)
{
  g_return_if_fail (SHOAL_IS_SEARCH_PAGE (self));
  shoal_search_tab_focus_entry (append_tab (self));
}

void
shoal_search_page_close_tab (ShoalSearchPage *self)
{
  AdwTabPage *page;

  g_return_if_fail (SHOAL_IS_SEARCH_PAGE (self));
  page = adw_tab_view_get_selected_page (self->tab_view);
  if (page != NULL)
    adw_tab_view_close_page (self->tab_view, page);
}

void
shoal_search_page_search (ShoalSearchPage *self,
                          const char      *text)
{
  ShoalSearchTab *tab;

  g_return_if_fail (SHOAL_IS_SEARCH_PAGE (self));
  g_return_if_fail (text != NULL);

  tab = get_current_tab (self);
  if (tab == NULL)
    tab = append_tab (self);
  shoal_search_tab_search (tab, text);
}

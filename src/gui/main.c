/* main.c — shoal, the desktop app. */
#include <glib/gi18n.h>
#include <locale.h>

#include "shoal-application.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(ShoalApplication) application = NULL;

  /* Before anything shows text: the user's locale for numbers and
   * dates, our catalogue for the sentences. The templates have no
   * translation-domain of their own, so they use the default one. */
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  application = shoal_application_new ();
  return g_application_run (G_APPLICATION (application), argc, argv);
}

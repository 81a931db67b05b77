/* main.c — shoal, the desktop app. */
#include "shoal-application.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(ShoalApplication) application = shoal_application_new ();

  return g_application_run (G_APPLICATION (application), argc, argv);
}

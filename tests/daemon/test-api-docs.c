/* test-api-docs.c — docs/api.yaml documents every route the daemon
 * registers, with its method, and names no path the daemon does not
 * serve: the reference cannot drift from the code unnoticed. */
#include "shoald-api.h"

#include "shoal-test-api.h"

#include <string.h>

/* "  /api/v1/links/{id}:" — how the document writes a path. */
#define PATH_INDENT "  "
#define OPERATION_INDENT "    "

static const char *const operations[] = { "get", "put", "post", "delete", "patch", "head", "options" };

/* Every area's routes, as the daemon registers them. */
static const ShoalTestApiOptions every_area = {
  .areas = SHOAL_TEST_API_ALL,
  .without_library = TRUE,
};

/* The document's paths, each with the operations listed under it:
 * "/api/v1/links/{id}" -> "get delete". */
static GHashTable *
read_documented_paths (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "docs", "api.yaml", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  GHashTable *paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *current = NULL;
  gboolean in_paths = FALSE;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (line[0] != ' ' && line[0] != '\0' && line[0] != '#')
        in_paths = g_str_equal (line, "paths:");
      else if (in_paths && g_str_has_prefix (line, PATH_INDENT "/") && g_str_has_suffix (line, ":"))
        {
          char *key = g_strndup (line + strlen (PATH_INDENT), strlen (line) - strlen (PATH_INDENT) - 1);

          g_hash_table_insert (paths, key, g_strdup (""));
          current = key;
        }
      else if (in_paths && current != NULL && g_str_has_prefix (line, OPERATION_INDENT) &&
               line[strlen (OPERATION_INDENT)] != ' ')
        for (guint j = 0; j < G_N_ELEMENTS (operations); j++)
          {
            g_autofree char *word = g_strdup_printf (OPERATION_INDENT "%s:", operations[j]);

            if (g_str_equal (line, word))
              g_hash_table_insert (paths, g_strdup (current),
                                   g_strdup_printf ("%s %s", (char *) g_hash_table_lookup (paths, current),
                                                    operations[j]));
          }
    }
  return paths;
}

static gboolean
lists_operation (const char *operations_text,
                 const char *method)
{
  g_autofree char *lower = g_ascii_strdown (method, -1);
  g_auto(GStrv) words = g_strsplit (operations_text, " ", -1);

  return g_strv_contains ((const char *const *) words, lower);
}

/* Whether "METHOD pattern" is among @routes, @operation lower-case. */
static gboolean
serves (GStrv       routes,
        const char *operation,
        const char *pattern)
{
  g_autofree char *upper = g_ascii_strup (operation, -1);
  g_autofree char *route = g_strdup_printf ("%s %s", upper, pattern);

  return g_strv_contains ((const char *const *) routes, route);
}

static void
test_every_route_documented (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&every_area);
  g_autoptr(GHashTable) documented = NULL;
  g_autoptr(GHashTable) served = g_hash_table_new (g_str_hash, g_str_equal);
  g_auto(GStrv) routes = NULL;
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  documented = read_documented_paths ();
  routes = shoald_api_server_list_routes (api->server);
  g_assert_cmpuint (g_strv_length (routes), >=, 20);
  for (guint i = 0; routes[i] != NULL; i++)
    {
      const char *space = strchr (routes[i], ' ');
      g_autofree char *method = g_strndup (routes[i], (gsize) (space - routes[i]));
      const char *pattern = space + 1;
      const char *operations_text = g_hash_table_lookup (documented, pattern);

      if (operations_text == NULL)
        g_error ("docs/api.yaml lacks the path %s", pattern);
      if (!lists_operation (operations_text, method))
        g_error ("docs/api.yaml lacks %s under %s", method, pattern);
      g_hash_table_add (served, (gpointer) pattern);
    }
  g_hash_table_iter_init (&iter, documented);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_auto(GStrv) words = g_strsplit (g_strstrip ((char *) value), " ", -1);

      if (!g_hash_table_contains (served, key))
        g_error ("docs/api.yaml documents %s, which the daemon does not serve", (char *) key);
      for (guint i = 0; words[i] != NULL; i++)
        if (words[i][0] != '\0' && !serves (routes, words[i], key))
          g_error ("docs/api.yaml documents %s %s, which the daemon does not serve",
                   words[i], (char *) key);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/api-docs/every-route-documented", test_every_route_documented);
  return g_test_run ();
}

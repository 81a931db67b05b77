/* shoalctl.c — the command-line client of shoald's control API: one
 * command per run, printed for people or, with --json, as the API's JSON. */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shoalctl-client.h"
#include "shoalctl-table.h"

#define API "/api/v1"
#define DATA_DIR_NAME "shoal"

/* Scripts tell a failed operation from a daemon that is not there. */
#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_NOT_RUNNING 3

#define HTTP_OK 200
#define HTTP_NOT_FOUND 404
#define ANY_NUMBER G_MAXUINT

#define SEARCH_WAIT_DEFAULT_S 10
#define SEARCH_WAIT_MAX_S (24 * 3600)
#define SEARCH_POLL_MS 250
/* A finished search (its query went as far as it goes) still gets late
 * hits: it ends early only after this long without a new row. */
#define SEARCH_QUIET_AFTER_FINISH_MS 2000
#define SEARCH_PAGE_ROWS 500
#define RESULTS_DEFAULT_LIMIT 100
#define HOSTS_DEFAULT_LIMIT 100
#define FIND_DEFAULT_LIMIT 100
#define LIMIT_MAX 100000
#define DOWNLOAD_POLL_MS 500
/* The daemon dials (10 s) then shakes hands (up to 60 s) before it answers. */
#define CONNECT_TIMEOUT_S 80

#define SHA1_BASE32_LENGTH 32
/* An upload's id: 64 bits in hex. */
#define UPLOAD_ID_LENGTH 16
#define SHORT_ID_LENGTH 8
#define URN_SHA1_PREFIX "urn:sha1:"
#define MAGNET_PREFIX "magnet:?"

/* Columns of the rows a search prints as they come. */
#define REF_WIDTH 7
#define NAME_WIDTH 48
#define SIZE_WIDTH 10
#define SOURCES_WIDTH 3
/* Table columns cut longer texts. */
#define NAME_MAX_WIDTH 48
#define AGENT_MAX_WIDTH 24
#define TEXT_MAX_WIDTH 40

#define KIB 1024.0
#define PERCENT 100
#define SECONDS_PER_MINUTE 60
#define SECONDS_PER_HOUR 3600
#define SECONDS_PER_DAY 86400

typedef enum
{
  OPTION_WAIT_SECONDS = 1 << 0,  /* --wait N */
  OPTION_WAIT         = 1 << 1,  /* --wait */
  OPTION_OFFSET       = 1 << 2,
  OPTION_LIMIT        = 1 << 3,
  OPTION_ONCE         = 1 << 4,  /* --once */
} CommandOptions;

typedef struct _Command Command;

typedef struct
{
  char           *data_dir;
  char           *url;
  gboolean        json;
  gboolean        help;
  /* The command's options: -1 when not given. */
  int             wait_s;
  gboolean        wait;
  int             offset;
  int             limit;
  gboolean        once;
  const Command  *command;
  ShoalctlClient *client;         /* made at the first request */
  GError         *error;          /* why the command failed... */
  char           *usage_message;  /* ...or how it was misused */
  gboolean        progress;       /* progress lines go to a terminal */
  gboolean        progress_shown;
} Ctl;

/* @args: the arguments after the command's name, options taken out. */
typedef gboolean (*CommandFunc) (Ctl   *ctl,
                                 char **args);

struct _Command
{
  const char     *name;  /* a word, or a word and a sub-command */
  const char     *args;
  const char     *summary;
  CommandFunc     run;
  guint           min_args;
  guint           max_args;
  CommandOptions  options;
};

typedef void (*Printer) (Ctl        *ctl,
                         JsonObject *answer);

static volatile sig_atomic_t interrupted;

/* Errors ------------------------------------------------------------------------ */

static gboolean fail (Ctl        *ctl,
                      const char *format,
                      ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (Ctl        *ctl,
      const char *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_clear_error (&ctl->error);
  ctl->error = g_error_new_valist (G_IO_ERROR, G_IO_ERROR_FAILED, format, args);
  va_end (args);
  return FALSE;
}

static gboolean usage_error (Ctl        *ctl,
                             const char *format,
                             ...) G_GNUC_PRINTF (2, 3);

static gboolean
usage_error (Ctl        *ctl,
             const char *format,
             ...)
{
  va_list args;

  va_start (args, format);
  g_free (ctl->usage_message);
  ctl->usage_message = g_strdup_vprintf (format, args);
  va_end (args);
  return FALSE;
}

/* JSON -------------------------------------------------------------------------- */

static JsonNode *
member (JsonObject *object,
        const char *name)
{
  return object != NULL ? json_object_get_member (object, name) : NULL;
}

static gint64
member_int (JsonObject *object,
            const char *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_int (node) : 0;
}

static gboolean
member_is_number (JsonObject *object,
                  const char *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         (json_node_get_value_type (node) == G_TYPE_INT64 || json_node_get_value_type (node) == G_TYPE_DOUBLE);
}

static gboolean
member_bool (JsonObject *object,
             const char *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_boolean (node);
}

/* NULL when absent or not a string. */
static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_string (node) : NULL;
}

static const char *
member_text (JsonObject *object,
             const char *name)
{
  const char *text = member_string (object, name);

  return text != NULL ? text : "?";
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
member_array (JsonObject *object,
              const char *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static guint
array_length (JsonArray *array)
{
  return array != NULL ? json_array_get_length (array) : 0;
}

static JsonObject *
array_object (JsonArray *array,
              guint      index)
{
  JsonNode *node = json_array_get_element (array, index);

  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* An empty object, to fill as a request's body. */
static JsonNode *
new_object_node (void)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, json_object_new ());
  return node;
}

static JsonNode *
new_string_body (const char *name,
                 const char *value)
{
  JsonNode *node = new_object_node ();

  json_object_set_string_member (json_node_get_object (node), name, value);
  return node;
}

static void
print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = NULL;
  g_autofree char *text = NULL;

  if (JSON_NODE_HOLDS_NULL (node))
    return;  /* 204: the API said nothing */
  generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

/* Numbers for people ---------------------------------------------------------- */

static const char *
plural (gint64      count,
        const char *one,
        const char *many)
{
  return count == 1 ? one : many;
}

static char *
format_size (gint64 bytes)
{
  static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
  double value = bytes;
  guint unit = 0;

  if (bytes < KIB)
    return g_strdup_printf ("%" G_GINT64_FORMAT " B", bytes);
  value /= KIB;
  while (value >= KIB && unit + 1 < G_N_ELEMENTS (units))
    {
      value /= KIB;
      unit++;
    }
  return g_strdup_printf ("%.1f %s", value, units[unit]);
}

static char *
format_rate (gint64 bytes_per_s)
{
  g_autofree char *size = format_size (bytes_per_s);

  return g_strdup_printf ("%s/s", size);
}

static char *
format_duration (gint64 seconds)
{
  if (seconds < SECONDS_PER_MINUTE)
    return g_strdup_printf ("%" G_GINT64_FORMAT " s", seconds);
  if (seconds < SECONDS_PER_HOUR)
    return g_strdup_printf ("%" G_GINT64_FORMAT " min %" G_GINT64_FORMAT " s",
                            seconds / SECONDS_PER_MINUTE, seconds % SECONDS_PER_MINUTE);
  if (seconds < SECONDS_PER_DAY)
    return g_strdup_printf ("%" G_GINT64_FORMAT " h %" G_GINT64_FORMAT " min",
                            seconds / SECONDS_PER_HOUR, seconds % SECONDS_PER_HOUR / SECONDS_PER_MINUTE);
  return g_strdup_printf ("%" G_GINT64_FORMAT " d %" G_GINT64_FORMAT " h",
                          seconds / SECONDS_PER_DAY, seconds % SECONDS_PER_DAY / SECONDS_PER_HOUR);
}

/* A size that may be unknown (null). */
static char *
format_size_member (JsonObject *object,
                    const char *name)
{
  return member_is_number (object, name) ? format_size (member_int (object, name)) : g_strdup ("?");
}

static char *
format_percent (gint64 done,
                gint64 total)
{
  return total > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT "%%", done * PERCENT / total) : g_strdup ("-");
}

static void print_field (const char *label,
                         const char *format,
                         ...) G_GNUC_PRINTF (2, 3);

/* "Label:      text", the texts of a block aligned. */
static void
print_field (const char *label,
             const char *format,
             ...)
{
  g_autofree char *heading = g_strconcat (label, ":", NULL);
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_print ("%-12s %s\n", heading, text);
}

static void
print_table (ShoalctlTable *table,
             const char    *when_empty)
{
  g_autofree char *text = NULL;

  if (shoalctl_table_get_n_rows (table) == 0)
    {
      g_print ("%s\n", when_empty);
      return;
    }
  text = shoalctl_table_to_string (table);
  g_print ("%s", text);
}

/* Progress lines ----------------------------------------------------------------- */

static void show_progress (Ctl        *ctl,
                           const char *format,
                           ...) G_GNUC_PRINTF (2, 3);

/* One line on the terminal, rewritten in place. */
static void
show_progress (Ctl        *ctl,
               const char *format,
               ...)
{
  g_autofree char *text = NULL;
  g_autofree char *printable = NULL;
  va_list args;

  if (!ctl->progress)
    return;
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  printable = shoalctl_printable (text);
  g_printerr ("\r\033[K%s", printable);
  ctl->progress_shown = TRUE;
}

static void
clear_progress (Ctl *ctl)
{
  if (!ctl->progress_shown)
    return;
  g_printerr ("\r\033[K");
  ctl->progress_shown = FALSE;
}

static void
on_interrupt (int signal_number)
{
  interrupted = 1;
  /* A second Ctrl-C ends shoalctl at once. */
  signal (signal_number, SIG_DFL);
}

/* Ctrl-C while waiting ends the wait, not shoalctl: we still tidy up.
 * So does a reader that goes away ("shoalctl search x | head"): its
 * SIGPIPE is ignored, and the failed write seen. */
static void
catch_interrupt (void)
{
  interrupted = 0;
  signal (SIGINT, on_interrupt);
  signal (SIGPIPE, SIG_IGN);
}

/* Requests ------------------------------------------------------------------------ */

static ShoalctlClient *
get_client (Ctl *ctl)
{
  if (ctl->client == NULL)
    ctl->client = shoalctl_client_new (ctl->data_dir, ctl->url, &ctl->error);
  return ctl->client;
}

static JsonNode *request (Ctl        *ctl,
                          const char *method,
                          JsonNode   *body,
                          guint      *status,
                          const char *path_format,
                          ...) G_GNUC_PRINTF (5, 6);

/* The answer: a JSON object, or null for 204; NULL and ctl->error set
 * when the request failed. */
static JsonNode *
request (Ctl        *ctl,
         const char *method,
         JsonNode   *body,
         guint      *status,
         const char *path_format,
         ...)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) answer = NULL;
  va_list args;

  g_clear_error (&ctl->error);
  if (get_client (ctl) == NULL)
    return NULL;
  va_start (args, path_format);
  path = g_strdup_vprintf (path_format, args);
  va_end (args);
  answer = shoalctl_client_call (ctl->client, method, path, body, status, &ctl->error);
  if (answer != NULL && !JSON_NODE_HOLDS_OBJECT (answer) && !JSON_NODE_HOLDS_NULL (answer))
    {
      g_set_error (&ctl->error, SHOALCTL_CLIENT_ERROR, SHOALCTL_CLIENT_ERROR_PROTOCOL,
                   "%s %s: the answer is not a JSON object", method, path);
      return NULL;
    }
  return g_steal_pointer (&answer);
}

static JsonObject *
answer_object (JsonNode *answer)
{
  return JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;
}

/* Prints @answer (transfer full; NULL: the request failed) as JSON or
 * with @print. */
static gboolean
show (Ctl      *ctl,
      JsonNode *answer,
      Printer   print)
{
  g_autoptr(JsonNode) owned = answer;

  if (owned == NULL)
    return FALSE;
  if (ctl->json)
    print_json (owned);
  else
    print (ctl, answer_object (owned));
  return TRUE;
}

static gboolean
parse_id (Ctl        *ctl,
          const char *text,
          const char *what,
          guint64     min,
          guint64    *id)
{
  if (g_ascii_string_to_unsigned (text, 10, min, G_MAXUINT, id, NULL))
    return TRUE;
  return usage_error (ctl, "%s “%s” is not a number", what, text);
}

/* status ----------------------------------------------------------------------------- */

/* "running as “Shoal on host”, 2 peers", "unavailable (avahi-daemon is
 * not running)", "off"... */
static char *
describe_lan (JsonObject *lan)
{
  const char *discovery = member_text (lan, "discovery");
  gint64 peers = member_int (lan, "peers");
  g_autofree char *name = shoalctl_printable (member_string (lan, "service_name"));
  g_autofree char *reason = shoalctl_printable (member_string (lan, "reason"));
  GString *text = g_string_new (discovery);

  if (strcmp (discovery, "running") == 0)
    g_string_append_printf (text, " as “%s”, %" G_GINT64_FORMAT " %s", name, peers,
                            plural (peers, "peer", "peers"));
  else if (member_string (lan, "reason") != NULL)
    g_string_append_printf (text, " (%s)", reason);
  if (member_bool (lan, "lan_only"))
    g_string_append (text, "; LAN-only mode");
  return g_string_free (text, FALSE);
}

static void
print_status (Ctl        *ctl,
              JsonObject *status)
{
  JsonObject *links = member_object (status, "links");
  JsonObject *traffic = member_object (status, "traffic");
  JsonObject *library = member_object (status, "library");
  JsonObject *transfers = member_object (status, "transfers");
  g_autofree char *uptime = format_duration (member_int (status, "uptime"));
  g_autofree char *bytes_in = format_size (member_int (traffic, "bytes_in"));
  g_autofree char *bytes_out = format_size (member_int (traffic, "bytes_out"));
  g_autofree char *shared = format_size (member_int (library, "bytes"));
  gint64 ultrapeers = member_int (links, "ultrapeer");
  gint64 leaves = member_int (links, "leaf");
  g_autofree char *lan = describe_lan (member_object (status, "lan"));

  print_field ("Role", "%s (mode %s)", member_text (status, "role"), member_text (status, "role_mode"));
  print_field ("Uptime", "%s", uptime);
  print_field ("Port", "%" G_GINT64_FORMAT ", %s", member_int (status, "port"),
               member_bool (status, "reachable") ? "reachable" : "not reachable from outside");
  print_field ("Links", "%" G_GINT64_FORMAT " (%" G_GINT64_FORMAT " %s, %" G_GINT64_FORMAT " %s)",
               member_int (links, "total"), ultrapeers, plural (ultrapeers, "ultrapeer", "ultrapeers"),
               leaves, plural (leaves, "leaf", "leaves"));
  print_field ("LAN", "%s", lan);
  print_field ("Hosts known", "%" G_GINT64_FORMAT, member_int (status, "hosts_known"));
  print_field ("Traffic", "%s in, %s out", bytes_in, bytes_out);
  print_field ("Library", "%" G_GINT64_FORMAT " files (%" G_GINT64_FORMAT " hashed), %s%s",
               member_int (library, "files"), member_int (library, "hashed"), shared,
               member_bool (library, "busy") ? ", scanning" : "");
  print_field ("Downloads", "%" G_GINT64_FORMAT " (%" G_GINT64_FORMAT " active)",
               member_int (transfers, "downloads"), member_int (transfers, "downloads_active"));
  print_field ("Uploads", "%" G_GINT64_FORMAT " active", member_int (transfers, "uploads_active"));
  print_field ("Version", "%s", member_text (status, "version"));
}

static gboolean
run_status (Ctl   *ctl,
            char **args)
{
  return show (ctl, request (ctl, "GET", NULL, NULL, API "/status"), print_status);
}

/* links, connect, drop, hosts ---------------------------------------------------------- */

static void
print_links (Ctl        *ctl,
             JsonObject *answer)
{
  JsonArray *links = member_array (answer, "links");
  g_autoptr(ShoalctlTable) table = shoalctl_table_new ("ID", "ADDRESS", "ROLE", "DIR", "LAN", "AGENT", "IN",
                                                      "OUT", NULL);

  shoalctl_table_set_align (table, 0, SHOALCTL_ALIGN_RIGHT);
  shoalctl_table_set_max_width (table, 5, AGENT_MAX_WIDTH);
  shoalctl_table_set_align (table, 6, SHOALCTL_ALIGN_RIGHT);
  shoalctl_table_set_align (table, 7, SHOALCTL_ALIGN_RIGHT);
  for (guint i = 0; i < array_length (links); i++)
    {
      JsonObject *link = array_object (links, i);
      g_autofree char *bytes_in = format_size (member_int (link, "bytes_in"));
      g_autofree char *bytes_out = format_size (member_int (link, "bytes_out"));

      shoalctl_table_add_printf (table, "%" G_GINT64_FORMAT, member_int (link, "id"));
      shoalctl_table_add (table, member_text (link, "address"));
      shoalctl_table_add (table, member_text (link, "role"));
      shoalctl_table_add (table, member_text (link, "direction"));
      shoalctl_table_add (table, member_bool (link, "lan") ? "yes" : "");
      shoalctl_table_add (table, member_text (link, "user_agent"));
      shoalctl_table_add (table, bytes_in);
      shoalctl_table_add (table, bytes_out);
    }
  print_table (table, "No links.");
}

static gboolean
run_links (Ctl   *ctl,
           char **args)
{
  return show (ctl, request (ctl, "GET", NULL, NULL, API "/links"), print_links);
}

static void
print_new_link (Ctl        *ctl,
                JsonObject *answer)
{
  JsonObject *link = member_object (answer, "link");
  g_autofree char *agent = shoalctl_printable (member_text (link, "user_agent"));

  g_print ("Connected to %s: link %" G_GINT64_FORMAT ", %s, %s\n", member_text (link, "address"),
           member_int (link, "id"), member_text (link, "role"), agent);
  if (member_bool (answer, "remembered"))
    g_print ("Remembered as a manual peer: shoald redials it whenever the link drops.\n");
}

/* The peer is remembered (network.manual-peers) unless --once. */
static gboolean
run_connect (Ctl   *ctl,
             char **args)
{
  g_autoptr(JsonNode) body = new_string_body ("address", args[0]);

  json_object_set_boolean_member (json_node_get_object (body), "remember", !ctl->once);
  if (get_client (ctl) == NULL)
    return FALSE;
  shoalctl_client_set_timeout (ctl->client, CONNECT_TIMEOUT_S);
  return show (ctl, request (ctl, "POST", body, NULL, API "/links"), print_new_link);
}

static gboolean
run_drop (Ctl   *ctl,
          char **args)
{
  g_autoptr(JsonNode) answer = NULL;
  guint64 id;

  if (!parse_id (ctl, args[0], "link id", 0, &id))
    return FALSE;
  answer = request (ctl, "DELETE", NULL, NULL, API "/links/%" G_GUINT64_FORMAT, id);
  if (answer == NULL)
    return FALSE;
  if (!ctl->json)
    g_print ("Dropped link %" G_GUINT64_FORMAT ".\n", id);
  return TRUE;
}

static void
print_hosts (Ctl        *ctl,
             JsonObject *answer)
{
  JsonArray *hosts = member_array (answer, "hosts");
  gint64 known = member_int (answer, "count");

  for (guint i = 0; i < array_length (hosts); i++)
    {
      g_autofree char *address = shoalctl_printable (member_text (array_object (hosts, i), "address"));

      g_print ("%s\n", address);
    }
  g_print ("(%u of %" G_GINT64_FORMAT " known %s)\n", array_length (hosts), known, plural (known, "host", "hosts"));
}

static gboolean
run_hosts (Ctl   *ctl,
           char **args)
{
  int limit = ctl->limit >= 0 ? ctl->limit : HOSTS_DEFAULT_LIMIT;

  return show (ctl, request (ctl, "GET", NULL, NULL, API "/hosts?limit=%d", limit), print_hosts);
}

/* search, searches, results -------------------------------------------------------------- */

typedef struct
{
  guint  id;
  guint  printed;        /* rows printed: the offset of the next poll */
  gint64 deadline;       /* monotonic µs */
  gint64 last_row_time;
  gint64 sources;
} SearchWatch;

static void
print_result_row (guint       search_id,
                  JsonObject *row)
{
  g_autofree char *ref = g_strdup_printf ("%u.%" G_GINT64_FORMAT, search_id, member_int (row, "index"));
  g_autofree char *ref_cell = shoalctl_fit (ref, REF_WIDTH, SHOALCTL_ALIGN_LEFT);
  g_autofree char *name_cell = shoalctl_fit (member_text (row, "name"), NAME_WIDTH, SHOALCTL_ALIGN_LEFT);
  g_autofree char *size = format_size_member (row, "size");
  g_autofree char *size_cell = shoalctl_fit (size, SIZE_WIDTH, SHOALCTL_ALIGN_RIGHT);

  g_print ("%s  %s  %s  %*" G_GINT64_FORMAT "\n", ref_cell, name_cell, size_cell,
           SOURCES_WIDTH, member_int (row, "sources"));
}

/* JSON lines: the row as the API gives it, with its search's id so that
 * the row can be named to "get". */
static void
print_result_json (guint     search_id,
                   JsonNode *row)
{
  g_autofree char *text = NULL;

  if (JSON_NODE_HOLDS_OBJECT (row))
    json_object_set_int_member (json_node_get_object (row), "search", search_id);
  text = json_to_string (row, FALSE);
  g_print ("%s\n", text);
}

static guint
print_new_rows (Ctl         *ctl,
                SearchWatch *watch,
                JsonArray   *rows)
{
  guint count = array_length (rows);

  if (count > 0)
    clear_progress (ctl);
  for (guint i = 0; i < count; i++)
    {
      if (ctl->json)
        print_result_json (watch->id, json_array_get_element (rows, i));
      else
        print_result_row (watch->id, array_object (rows, i));
    }
  /* Rows reach a pipe as they come. */
  if (fflush (stdout) != 0 || ferror (stdout))
    interrupted = 1;
  watch->printed += count;
  return count;
}

static gboolean
search_is_over (SearchWatch *watch,
                JsonObject  *search,
                gint64       now)
{
  const char *state = member_text (search, "state");

  return interrupted || now >= watch->deadline || g_strcmp0 (state, "stopped") == 0 ||
         (g_strcmp0 (state, "finished") == 0 &&
          now - watch->last_row_time >= SEARCH_QUIET_AFTER_FINISH_MS * G_TIME_SPAN_MILLISECOND);
}

static void
show_search_progress (Ctl         *ctl,
                      SearchWatch *watch,
                      JsonObject  *search,
                      gint64       now)
{
  gint64 results = member_int (search, "results");
  gint64 sources = member_int (search, "sources");
  gint64 ultrapeers = member_int (search, "ultrapeers_queried");

  show_progress (ctl, "%" G_GINT64_FORMAT " %s, %" G_GINT64_FORMAT " %s, %" G_GINT64_FORMAT " %s… %" G_GINT64_FORMAT " s",
                 results, plural (results, "result", "results"), sources, plural (sources, "source", "sources"),
                 ultrapeers, plural (ultrapeers, "ultrapeer", "ultrapeers"),
                 (watch->deadline - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

/* Polls for rows until the wait is over, printing them as they come. */
static gboolean
follow_search (Ctl         *ctl,
               SearchWatch *watch)
{
  for (;;)
    {
      g_autoptr(JsonNode) page = request (ctl, "GET", NULL, NULL, API "/searches/%u/results?offset=%u&limit=%d",
                                          watch->id, watch->printed, SEARCH_PAGE_ROWS);
      JsonObject *search;
      gint64 now = g_get_monotonic_time ();
      guint new_rows;

      if (page == NULL)
        return FALSE;
      new_rows = print_new_rows (ctl, watch, member_array (answer_object (page), "results"));
      if (new_rows > 0)
        watch->last_row_time = now;
      search = member_object (answer_object (page), "search");
      watch->sources = member_int (search, "sources");
      if (search_is_over (watch, search, now))
        return TRUE;
      show_search_progress (ctl, watch, search, now);
      /* More rows than a page came: fetch the rest at once. */
      if (new_rows == 0 || watch->printed >= member_int (answer_object (page), "total"))
        g_usleep (SEARCH_POLL_MS * G_TIME_SPAN_MILLISECOND);
    }
}

/* A search left running would go on querying the network for nobody. */
static void
stop_search (Ctl   *ctl,
             guint  id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *path = g_strdup_printf (API "/searches/%u/stop", id);

  if (ctl->client == NULL)
    return;
  answer = shoalctl_client_call (ctl->client, "POST", path, NULL, NULL, &error);
  if (answer == NULL)
    g_printerr ("shoalctl: cannot stop search %u: %s\n", id, error->message);
}

static gboolean
run_search (Ctl   *ctl,
            char **args)
{
  g_autofree char *text = g_strjoinv (" ", args);
  g_autoptr(JsonNode) body = new_string_body ("text", text);
  g_autoptr(JsonNode) answer = NULL;
  int wait_s = ctl->wait_s >= 0 ? ctl->wait_s : SEARCH_WAIT_DEFAULT_S;
  SearchWatch watch = { 0 };
  gboolean ok;

  if (wait_s > SEARCH_WAIT_MAX_S)
    return usage_error (ctl, "--wait: at most %d seconds", SEARCH_WAIT_MAX_S);
  answer = request (ctl, "POST", body, NULL, API "/searches");
  if (answer == NULL)
    return FALSE;
  watch.id = member_int (member_object (answer_object (answer), "search"), "id");
  watch.last_row_time = g_get_monotonic_time ();
  watch.deadline = watch.last_row_time + wait_s * G_USEC_PER_SEC;
  catch_interrupt ();
  ok = follow_search (ctl, &watch);
  clear_progress (ctl);
  stop_search (ctl, watch.id);
  if (ok && ctl->progress)
    g_printerr ("%u %s from %" G_GINT64_FORMAT " %s; “shoalctl get %u.N” downloads row N\n",
                watch.printed, plural (watch.printed, "result", "results"),
                watch.sources, plural (watch.sources, "source", "sources"), watch.id);
  return ok;
}

static void
print_searches (Ctl        *ctl,
                JsonObject *answer)
{
  JsonArray *searches = member_array (answer, "searches");
  g_autoptr(ShoalctlTable) table = shoalctl_table_new ("ID", "STATE", "RESULTS", "SOURCES", "ULTRAPEERS", "TEXT", NULL);

  for (guint column = 0; column < 5; column++)
    shoalctl_table_set_align (table, column, column == 1 ? SHOALCTL_ALIGN_LEFT : SHOALCTL_ALIGN_RIGHT);
  for (guint i = 0; i < array_length (searches); i++)
    {
      JsonObject *search = array_object (searches, i);

      shoalctl_table_add_printf (table, "%" G_GINT64_FORMAT, member_int (search, "id"));
      shoalctl_table_add (table, member_text (search, "state"));
      shoalctl_table_add_printf (table, "%" G_GINT64_FORMAT, member_int (search, "results"));
      shoalctl_table_add_printf (table, "%" G_GINT64_FORMAT, member_int (search, "sources"));
      shoalctl_table_add_printf (table, "%" G_GINT64_FORMAT, member_int (search, "ultrapeers_queried"));
      shoalctl_table_add (table, member_text (search, "title"));
    }
  print_table (table, "No searches.");
}

static gboolean
run_searches (Ctl   *ctl,
              char **args)
{
  return show (ctl, request (ctl, "GET", NULL, NULL, API "/searches"), print_searches);
}

static void
print_results (Ctl        *ctl,
               JsonObject *answer)
{
  JsonArray *rows = member_array (answer, "results");
  guint search_id = member_int (member_object (answer, "search"), "id");
  gint64 offset = member_int (answer, "offset");
  gint64 total = member_int (answer, "total");
  g_autoptr(ShoalctlTable) table = shoalctl_table_new ("ROW", "NAME", "SIZE", "SOURCES", NULL);

  shoalctl_table_set_max_width (table, 1, NAME_MAX_WIDTH);
  shoalctl_table_set_align (table, 2, SHOALCTL_ALIGN_RIGHT);
  shoalctl_table_set_align (table, 3, SHOALCTL_ALIGN_RIGHT);
  for (guint i = 0; i < array_length (rows); i++)
    {
      JsonObject *row = array_object (rows, i);
      g_autofree char *size = format_size_member (row, "size");

      shoalctl_table_add_printf (table, "%u.%" G_GINT64_FORMAT, search_id, member_int (row, "index"));
      shoalctl_table_add (table, member_text (row, "name"));
      shoalctl_table_add (table, size);
      shoalctl_table_add_printf (table, "%" G_GINT64_FORMAT, member_int (row, "sources"));
    }
  print_table (table, "No results.");
  if (array_length (rows) > 0 && (offset > 0 || offset + array_length (rows) < total))
    g_print ("(rows %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT ")\n",
             offset, offset + array_length (rows) - 1, total);
}

static gboolean
run_results (Ctl   *ctl,
             char **args)
{
  int limit = ctl->limit >= 0 ? ctl->limit : RESULTS_DEFAULT_LIMIT;
  guint64 id;

  if (!parse_id (ctl, args[0], "search id", 1, &id))
    return FALSE;
  return show (ctl, request (ctl, "GET", NULL, NULL, API "/searches/%" G_GUINT64_FORMAT "/results?offset=%d&limit=%d",
                             id, MAX (ctl->offset, 0), limit),
               print_results);
}

/* get, downloads, pause, resume, cancel ---------------------------------------------------- */

static void
print_download_line (JsonObject *download)
{
  g_autofree char *name = shoalctl_printable (member_text (download, "name"));
  g_autofree char *size = format_size_member (download, "size");
  g_autofree char *percent = format_percent (member_int (download, "done"), member_int (download, "size"));

  g_print ("%.*s  %s  %s  %s  %s\n", SHORT_ID_LENGTH, member_text (download, "id"), name, size,
           member_text (download, "state"), percent);
}

static void
print_download (Ctl        *ctl,
                JsonObject *answer)
{
  print_download_line (member_object (answer, "download"));
}

/* The highest search id: "get N" takes a row of the latest search. */
static gboolean
find_latest_search (Ctl    *ctl,
                    gint64 *latest)
{
  g_autoptr(JsonNode) answer = request (ctl, "GET", NULL, NULL, API "/searches");
  JsonArray *searches;

  if (answer == NULL)
    return FALSE;
  searches = member_array (answer_object (answer), "searches");
  *latest = 0;
  for (guint i = 0; i < array_length (searches); i++)
    *latest = MAX (*latest, member_int (array_object (searches, i), "id"));
  if (*latest == 0)
    return fail (ctl, "there is no search yet: run “shoalctl search TEXT” first");
  return TRUE;
}

/* "S.N" or "N" (a row of the latest search). */
static JsonNode *
new_result_body (Ctl        *ctl,
                 const char *ref)
{
  g_auto(GStrv) parts = g_strsplit (ref, ".", 0);
  guint n_parts = g_strv_length (parts);
  guint64 search = 0, row;
  gint64 latest;
  JsonNode *body;

  if (n_parts < 1 || n_parts > 2 ||
      (n_parts == 2 && !g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXUINT, &search, NULL)) ||
      !g_ascii_string_to_unsigned (parts[n_parts - 1], 10, 0, G_MAXUINT, &row, NULL))
    {
      usage_error (ctl, "“%s” is no result (SEARCH.ROW or ROW), magnet link or urn:sha1", ref);
      return NULL;
    }
  if (n_parts == 1 && !find_latest_search (ctl, &latest))
    return NULL;
  body = new_object_node ();
  json_object_set_int_member (json_node_get_object (body), "search", n_parts == 2 ? (gint64) search : latest);
  json_object_set_int_member (json_node_get_object (body), "result", row);
  return body;
}

static JsonNode *
new_download_body (Ctl        *ctl,
                   const char *what)
{
  if (g_str_has_prefix (what, MAGNET_PREFIX))
    return new_string_body ("magnet", what);
  if (g_ascii_strncasecmp (what, URN_SHA1_PREFIX, strlen (URN_SHA1_PREFIX)) == 0)
    return new_string_body ("urn", what);
  return new_result_body (ctl, what);
}

static gboolean
is_complete (const char *state)
{
  /* The spec says "complete"; ShoalDownloadStatus's nick is "completed". */
  return g_strcmp0 (state, "completed") == 0 || g_strcmp0 (state, "complete") == 0;
}

static gboolean
has_ended_badly (const char *state)
{
  return g_strcmp0 (state, "failed") == 0 || g_strcmp0 (state, "cancelled") == 0;
}

static void
show_download_progress (Ctl        *ctl,
                        JsonObject *download)
{
  g_autofree char *percent = format_percent (member_int (download, "done"), member_int (download, "size"));
  g_autofree char *done = format_size (member_int (download, "done"));
  g_autofree char *size = format_size_member (download, "size");
  g_autofree char *rate = format_rate (member_int (download, "rate"));
  gint64 sources = member_int (download, "sources");

  show_progress (ctl, "%s  %s of %s  %s  %" G_GINT64_FORMAT " %s  %s", percent, done, size, rate,
                 sources, plural (sources, "source", "sources"), member_text (download, "state"));
}

/* The end of a download: TRUE when it is complete. */
static gboolean
report_download_end (Ctl        *ctl,
                     JsonNode   *answer,
                     JsonObject *download)
{
  const char *state = member_text (download, "state");
  g_autofree char *path = shoalctl_printable (member_text (download, "path"));

  if (ctl->json)
    print_json (answer);
  if (!is_complete (state))
    return fail (ctl, "the download %s: %s", state,
                 member_string (download, "error") != NULL ? member_string (download, "error") : "no reason given");
  if (!ctl->json)
    g_print ("Complete: %s\n", path);
  return TRUE;
}

static gboolean
wait_for_download (Ctl        *ctl,
                   const char *id)
{
  catch_interrupt ();
  for (;;)
    {
      guint status = 0;
      g_autoptr(JsonNode) answer = request (ctl, "GET", NULL, &status, API "/downloads/%s", id);
      JsonObject *download;
      const char *state;

      if (answer == NULL && status == HTTP_NOT_FOUND)
        fail (ctl, "the download was cancelled");
      if (answer == NULL)
        break;
      download = member_object (answer_object (answer), "download");
      state = member_text (download, "state");
      if (is_complete (state) || has_ended_badly (state))
        {
          clear_progress (ctl);
          return report_download_end (ctl, answer, download);
        }
      if (interrupted)
        {
          fail (ctl, "interrupted; shoald goes on with the download");
          break;
        }
      show_download_progress (ctl, download);
      g_usleep (DOWNLOAD_POLL_MS * G_TIME_SPAN_MILLISECOND);
    }
  clear_progress (ctl);
  return FALSE;
}

static gboolean
run_get (Ctl   *ctl,
         char **args)
{
  g_autoptr(JsonNode) body = new_download_body (ctl, args[0]);
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *id = NULL;
  guint status = 0;

  if (body == NULL)
    return FALSE;
  answer = request (ctl, "POST", body, &status, API "/downloads");
  if (answer == NULL)
    return FALSE;
  if (!ctl->json || !ctl->wait)
    show (ctl, json_node_ref (answer), print_download);
  if (status == HTTP_OK && !ctl->json)
    g_printerr ("(it was already in the downloads)\n");
  if (!ctl->wait)
    return TRUE;
  id = g_strdup (member_text (member_object (answer_object (answer), "download"), "id"));
  return wait_for_download (ctl, id);
}

static void
print_downloads (Ctl        *ctl,
                 JsonObject *answer)
{
  JsonArray *downloads = member_array (answer, "downloads");
  g_autoptr(ShoalctlTable) table = shoalctl_table_new ("ID", "NAME", "SIZE", "DONE", "RATE", "STATE", "SOURCES", NULL);

  shoalctl_table_set_max_width (table, 1, NAME_MAX_WIDTH);
  for (guint column = 2; column <= 4; column++)
    shoalctl_table_set_align (table, column, SHOALCTL_ALIGN_RIGHT);
  shoalctl_table_set_align (table, 6, SHOALCTL_ALIGN_RIGHT);
  for (guint i = 0; i < array_length (downloads); i++)
    {
      JsonObject *download = array_object (downloads, i);
      g_autofree char *size = format_size_member (download, "size");
      g_autofree char *percent = format_percent (member_int (download, "done"), member_int (download, "size"));
      g_autofree char *rate = format_rate (member_int (download, "rate"));

      shoalctl_table_add_printf (table, "%.*s", SHORT_ID_LENGTH, member_text (download, "id"));
      shoalctl_table_add (table, member_text (download, "name"));
      shoalctl_table_add (table, size);
      shoalctl_table_add (table, percent);
      shoalctl_table_add (table, rate);
      shoalctl_table_add (table, member_text (download, "state"));
      shoalctl_table_add_printf (table, "%" G_GINT64_FORMAT, member_int (download, "sources"));
    }
  print_table (table, "No downloads.");
}

static gboolean
run_downloads (Ctl   *ctl,
               char **args)
{
  return show (ctl, request (ctl, "GET", NULL, NULL, API "/downloads"), print_downloads);
}

/* The one id starting with @prefix among the items GET API/@list lists
 * (in its member @list); @what: "download", "upload". */
static char *
resolve_listed_id (Ctl        *ctl,
                   const char *list,
                   const char *what,
                   const char *prefix)
{
  g_autoptr(JsonNode) answer = request (ctl, "GET", NULL, NULL, API "/%s", list);
  g_autoptr(GPtrArray) matches = g_ptr_array_new ();
  JsonArray *items;

  if (answer == NULL)
    return NULL;
  items = member_array (answer_object (answer), list);
  for (guint i = 0; i < array_length (items); i++)
    {
      const char *id = member_string (array_object (items, i), "id");

      if (id != NULL && g_str_has_prefix (id, prefix))
        g_ptr_array_add (matches, (gpointer) id);
    }
  if (matches->len == 1)
    return g_strdup (g_ptr_array_index (matches, 0));
  if (matches->len == 0)
    fail (ctl, "no %s id starts with %s", what, prefix);
  else
    fail (ctl, "%s starts more than one %s id: give more of it", prefix, what);
  return NULL;
}

/* The one download whose id starts with @prefix (a full id is taken as
 * it is, without asking for the list). */
static char *
resolve_download (Ctl        *ctl,
                  const char *text)
{
  g_autofree char *prefix = NULL;

  if (g_ascii_strncasecmp (text, URN_SHA1_PREFIX, strlen (URN_SHA1_PREFIX)) == 0)
    text += strlen (URN_SHA1_PREFIX);
  prefix = g_ascii_strup (text, -1);
  if (*prefix == '\0' || strlen (prefix) > SHA1_BASE32_LENGTH)
    {
      usage_error (ctl, "“%s” is no download id", text);
      return NULL;
    }
  if (strlen (prefix) == SHA1_BASE32_LENGTH)
    return g_steal_pointer (&prefix);
  return resolve_listed_id (ctl, "downloads", "download", prefix);
}

static gboolean
act_on_download (Ctl        *ctl,
                 const char *text,
                 const char *action)
{
  g_autofree char *id = resolve_download (ctl, text);

  if (id == NULL)
    return FALSE;
  return show (ctl, request (ctl, "POST", NULL, NULL, API "/downloads/%s/%s", id, action), print_download);
}

static gboolean
run_pause (Ctl   *ctl,
           char **args)
{
  return act_on_download (ctl, args[0], "pause");
}

static gboolean
run_resume (Ctl   *ctl,
            char **args)
{
  return act_on_download (ctl, args[0], "resume");
}

static gboolean
run_cancel (Ctl   *ctl,
            char **args)
{
  g_autofree char *id = resolve_download (ctl, args[0]);
  g_autoptr(JsonNode) answer = NULL;

  if (id == NULL)
    return FALSE;
  answer = request (ctl, "DELETE", NULL, NULL, API "/downloads/%s", id);
  if (answer == NULL)
    return FALSE;
  if (!ctl->json)
    g_print ("Cancelled %.*s.\n", SHORT_ID_LENGTH, id);
  return TRUE;
}

/* uploads, stop-upload ------------------------------------------------------------------------ */

static void
print_uploads (Ctl        *ctl,
               JsonObject *answer)
{
  JsonArray *uploads = member_array (answer, "uploads");
  g_autoptr(ShoalctlTable) table = shoalctl_table_new ("ID", "PEER", "NAME", "SIZE", "SENT", "RATE", "STATE",
                                                       "AGENT", NULL);

  shoalctl_table_set_max_width (table, 2, NAME_MAX_WIDTH);
  for (guint column = 3; column <= 5; column++)
    shoalctl_table_set_align (table, column, SHOALCTL_ALIGN_RIGHT);
  shoalctl_table_set_max_width (table, 7, AGENT_MAX_WIDTH);
  for (guint i = 0; i < array_length (uploads); i++)
    {
      JsonObject *upload = array_object (uploads, i);
      g_autofree char *size = format_size_member (upload, "size");
      /* Sent over the connection, which may have served several ranges. */
      g_autofree char *sent = format_size (member_int (upload, "done"));
      g_autofree char *rate = format_rate (member_int (upload, "rate"));

      shoalctl_table_add_printf (table, "%.*s", SHORT_ID_LENGTH, member_text (upload, "id"));
      shoalctl_table_add (table, member_text (upload, "peer"));
      shoalctl_table_add (table, member_text (upload, "name"));
      shoalctl_table_add (table, size);
      shoalctl_table_add (table, sent);
      shoalctl_table_add (table, rate);
      shoalctl_table_add (table, member_text (upload, "state"));
      shoalctl_table_add (table, member_text (upload, "user_agent"));
    }
  print_table (table, "No uploads.");
}

static gboolean
run_uploads (Ctl   *ctl,
             char **args)
{
  return show (ctl, request (ctl, "GET", NULL, NULL, API "/uploads"), print_uploads);
}

/* The one upload whose id starts with @text, in either case (a full id
 * is taken as it is, without asking for the list). */
static char *
resolve_upload (Ctl        *ctl,
                const char *text)
{
  g_autofree char *prefix = g_ascii_strdown (text, -1);
  gsize length = strlen (prefix);

  if (length == 0 || length > UPLOAD_ID_LENGTH || strspn (prefix, "0123456789abcdef") != length)
    {
      usage_error (ctl, "“%s” is no upload id", text);
      return NULL;
    }
  if (length == UPLOAD_ID_LENGTH)
    return g_steal_pointer (&prefix);
  return resolve_listed_id (ctl, "uploads", "upload", prefix);
}

static void
print_stopped_upload (Ctl        *ctl,
                      JsonObject *answer)
{
  JsonObject *upload = member_object (answer, "upload");
  g_autofree char *name = shoalctl_printable (member_text (upload, "name"));
  g_autofree char *sent = format_size (member_int (upload, "done"));

  g_print ("%.*s  %s  %s  %s sent  %s\n", SHORT_ID_LENGTH, member_text (upload, "id"),
           member_text (upload, "peer"), name, sent, member_text (upload, "state"));
}

static gboolean
run_stop_upload (Ctl   *ctl,
                 char **args)
{
  g_autofree char *id = resolve_upload (ctl, args[0]);

  if (id == NULL)
    return FALSE;
  return show (ctl, request (ctl, "POST", NULL, NULL, API "/uploads/%s/stop", id), print_stopped_upload);
}

/* share, rescan, library, find ------------------------------------------------------------------ */

static void
print_new_root (Ctl        *ctl,
                JsonObject *answer)
{
  g_autofree char *path = shoalctl_printable (member_text (member_object (answer, "root"), "path"));

  g_print ("Sharing %s\n", path);
}

static gboolean
run_share_add (Ctl   *ctl,
               char **args)
{
  g_autofree char *path = g_canonicalize_filename (args[0], NULL);
  g_autoptr(JsonNode) body = new_string_body ("path", path);

  return show (ctl, request (ctl, "POST", body, NULL, API "/library/roots"), print_new_root);
}

static gboolean
run_share_remove (Ctl   *ctl,
                  char **args)
{
  g_autofree char *path = g_canonicalize_filename (args[0], NULL);
  g_autofree char *escaped = g_uri_escape_string (path, NULL, FALSE);
  g_autoptr(JsonNode) answer = request (ctl, "DELETE", NULL, NULL, API "/library/roots?path=%s", escaped);
  g_autofree char *printable = shoalctl_printable (path);

  if (answer == NULL)
    return FALSE;
  if (!ctl->json)
    g_print ("No longer sharing %s\n", printable);
  return TRUE;
}

static void
print_roots (Ctl        *ctl,
             JsonObject *library)
{
  JsonArray *roots = member_array (library, "roots");
  g_autoptr(ShoalctlTable) table = shoalctl_table_new ("FILES", "SIZE", "FOLDER", NULL);

  shoalctl_table_set_align (table, 0, SHOALCTL_ALIGN_RIGHT);
  shoalctl_table_set_align (table, 1, SHOALCTL_ALIGN_RIGHT);
  for (guint i = 0; i < array_length (roots); i++)
    {
      JsonObject *root = array_object (roots, i);
      g_autofree char *size = format_size (member_int (root, "bytes"));

      shoalctl_table_add_printf (table, "%" G_GINT64_FORMAT "%s", member_int (root, "files"),
                                 member_bool (root, "scanning") ? "+" : "");
      shoalctl_table_add (table, size);
      shoalctl_table_add (table, member_text (root, "path"));
    }
  print_table (table, "No shared folders.");
}

static gboolean
run_share_list (Ctl   *ctl,
                char **args)
{
  return show (ctl, request (ctl, "GET", NULL, NULL, API "/library"), print_roots);
}

static gboolean
run_rescan (Ctl   *ctl,
            char **args)
{
  g_autoptr(JsonNode) answer = request (ctl, "POST", NULL, NULL, API "/library/rescan");

  if (answer == NULL)
    return FALSE;
  if (ctl->json)
    print_json (answer);
  else
    g_print ("Rescanning the shared folders.\n");
  return TRUE;
}

static void
print_library (Ctl        *ctl,
               JsonObject *library)
{
  g_autofree char *bytes = format_size (member_int (library, "bytes"));
  gint64 roots = array_length (member_array (library, "roots"));
  gint64 hashed = member_int (library, "files_hashed");

  print_field ("Files", "%" G_GINT64_FORMAT " indexed, %" G_GINT64_FORMAT " hashed, %s",
               member_int (library, "files"), member_int (library, "hashed"), bytes);
  print_field ("Folders", "%" G_GINT64_FORMAT, roots);
  print_field ("Hashing", "%s, %" G_GINT64_FORMAT " %s hashed since shoald started",
               !member_bool (library, "ready") ? "loading" : member_bool (library, "busy") ? "busy" : "idle",
               hashed, plural (hashed, "file", "files"));
}

static gboolean
run_library (Ctl   *ctl,
             char **args)
{
  return show (ctl, request (ctl, "GET", NULL, NULL, API "/library"), print_library);
}

static void
print_found (Ctl        *ctl,
             JsonObject *answer)
{
  JsonArray *files = member_array (answer, "files");
  g_autoptr(ShoalctlTable) table = shoalctl_table_new ("NAME", "SIZE", "PATH", NULL);

  shoalctl_table_set_max_width (table, 0, NAME_MAX_WIDTH);
  shoalctl_table_set_align (table, 1, SHOALCTL_ALIGN_RIGHT);
  for (guint i = 0; i < array_length (files); i++)
    {
      JsonObject *file = array_object (files, i);
      g_autofree char *size = format_size (member_int (file, "size"));

      shoalctl_table_add (table, member_text (file, "name"));
      shoalctl_table_add (table, size);
      shoalctl_table_add (table, member_text (file, "path"));
    }
  print_table (table, "No shared file matches.");
}

static gboolean
run_find (Ctl   *ctl,
          char **args)
{
  g_autofree char *text = g_strjoinv (" ", args);
  g_autofree char *escaped = g_uri_escape_string (text, NULL, FALSE);
  int limit = ctl->limit >= 0 ? ctl->limit : FIND_DEFAULT_LIMIT;

  return show (ctl, request (ctl, "GET", NULL, NULL, API "/library/search?q=%s&limit=%d", escaped, limit),
               print_found);
}

/* settings, set, metrics ------------------------------------------------------------------------ */

static void
print_settings (Ctl        *ctl,
                JsonObject *answer)
{
  JsonArray *settings = member_array (answer, "settings");
  g_autoptr(ShoalctlTable) table = shoalctl_table_new ("KEY", "VALUE", "LIVE", NULL);

  for (guint i = 0; i < array_length (settings); i++)
    {
      JsonObject *setting = array_object (settings, i);

      shoalctl_table_add (table, member_text (setting, "key"));
      shoalctl_table_add (table, member_text (setting, "value"));
      shoalctl_table_add (table, member_bool (setting, "live") ? "yes" : "restart");
    }
  print_table (table, "No settings.");
}

static gboolean
run_settings (Ctl   *ctl,
              char **args)
{
  return show (ctl, request (ctl, "GET", NULL, NULL, API "/settings"), print_settings);
}

static void
print_keys (JsonArray  *keys,
            const char *what)
{
  for (guint i = 0; i < array_length (keys); i++)
    {
      JsonNode *key = json_array_get_element (keys, i);
      g_autofree char *printable = shoalctl_printable (JSON_NODE_HOLDS_VALUE (key) ? json_node_get_string (key) : NULL);

      g_print ("%s: %s\n", printable, what);
    }
}

static void
print_settings_change (Ctl        *ctl,
                       JsonObject *answer)
{
  print_keys (member_array (answer, "applied"), "applied now");
  print_keys (member_array (answer, "restart_required"), "saved; shoald applies it when it restarts");
}

static gboolean
run_set (Ctl   *ctl,
         char **args)
{
  g_autoptr(JsonNode) body = new_string_body (args[0], args[1]);

  return show (ctl, request (ctl, "PATCH", body, NULL, API "/settings"), print_settings_change);
}

static gboolean
run_metrics (Ctl   *ctl,
             char **args)
{
  g_autofree char *text = NULL;

  if (get_client (ctl) == NULL)
    return FALSE;
  text = shoalctl_client_get_text (ctl->client, "/metrics", &ctl->error);
  if (text == NULL)
    return FALSE;
  g_print ("%s", text);
  return TRUE;
}

static gboolean run_help (Ctl   *ctl,
                          char **args);

static const Command commands[] = {
  { "status", "", "Role, uptime, links, traffic, library and transfers", run_status, 0, 0 },
  { "links", "", "The peers connected now", run_links, 0, 0 },
  { "connect", "HOST:PORT [--once]",
    "Connect to a peer (waits for the handshake) and remember it, unless --once", run_connect, 1, 1,
    OPTION_ONCE },
  { "drop", "LINK-ID", "Disconnect a peer", run_drop, 1, 1 },
  { "hosts", "[--limit N]", "Known hosts, the most recently seen first", run_hosts, 0, 0, OPTION_LIMIT },
  { "search", "TEXT… [--wait SECONDS]", "Search the network, print results as they come (10 s)",
    run_search, 1, ANY_NUMBER, OPTION_WAIT_SECONDS },
  { "searches", "", "This run's searches", run_searches, 0, 0 },
  { "results", "SEARCH-ID [--offset N] [--limit N]", "A search's results", run_results, 1, 1,
    OPTION_OFFSET | OPTION_LIMIT },
  { "get", "SEARCH.ROW|ROW|MAGNET|URN [--wait]", "Download a result (ROW: of the latest search)",
    run_get, 1, 1, OPTION_WAIT },
  { "downloads", "", "The downloads", run_downloads, 0, 0 },
  { "pause", "DOWNLOAD-ID", "Pause a download (its SHA-1, or enough of its start)", run_pause, 1, 1 },
  { "resume", "DOWNLOAD-ID", "Resume a paused download", run_resume, 1, 1 },
  { "cancel", "DOWNLOAD-ID", "Cancel a download and delete what came of it", run_cancel, 1, 1 },
  { "uploads", "", "What peers are downloading from us", run_uploads, 0, 0 },
  { "stop-upload", "UPLOAD-ID", "Stop an upload (its id, or enough of its start)", run_stop_upload, 1, 1 },
  { "share add", "DIR", "Share a folder", run_share_add, 1, 1 },
  { "share remove", "DIR", "Stop sharing a folder", run_share_remove, 1, 1 },
  { "share list", "", "The shared folders and their file counts", run_share_list, 0, 0 },
  { "rescan", "", "Look again for changes in the shared folders", run_rescan, 0, 0 },
  { "library", "", "Shared files and hashing progress", run_library, 0, 0 },
  { "find", "TEXT… [--limit N]", "Search the shared files", run_find, 1, ANY_NUMBER, OPTION_LIMIT },
  { "settings", "", "The settings, their values and whether they apply live", run_settings, 0, 0 },
  { "set", "KEY VALUE", "Change a setting and save it", run_set, 2, 2 },
  { "metrics", "", "Counters in the Prometheus text format", run_metrics, 0, 0 },
  { "help", "", "This list", run_help, 0, 0 },
};

/* Command lines --------------------------------------------------------------------------------- */

static char *
command_usage (const Command *command)
{
  return g_strconcat (command->name, *command->args != '\0' ? " " : "", command->args, NULL);
}

static char *
help_text (void)
{
  GString *text = g_string_new ("Usage: shoalctl [--data-dir DIR] [--url URL] [--json] COMMAND [ARGS…]\n\n"
                                "Controls shoald, the Shoal servent, through its API.\n\nCommands:\n");
  gsize width = 0;

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *usage = command_usage (&commands[i]);

      width = MAX (width, (gsize) g_utf8_strlen (usage, -1));
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *usage = command_usage (&commands[i]);
      g_autofree char *padded = shoalctl_fit (usage, width, SHOALCTL_ALIGN_LEFT);

      g_string_append_printf (text, "  %s  %s\n", padded, commands[i].summary);
    }
  g_string_append (text, "\nOptions:\n"
                         "  --data-dir DIR  shoald's data folder (default: $XDG_DATA_HOME/shoal)\n"
                         "  --url URL       the API's base URL (default: read from DIR/api-endpoint)\n"
                         "  --json          print the API's JSON answers\n"
                         "\nExit status: 0 done, 1 failed, 2 usage error, 3 shoald is not running.\n");
  return g_string_free (text, FALSE);
}

static gboolean
run_help (Ctl   *ctl,
          char **args)
{
  g_autofree char *text = help_text ();

  g_print ("%s", text);
  return TRUE;
}

/* The command @words start with, and how many words name it. */
static const Command *
find_command (char  **words,
              guint  *n_name_words)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_auto(GStrv) name = g_strsplit (commands[i].name, " ", 0);
      guint n = g_strv_length (name);
      guint matched = 0;

      while (matched < n && words[matched] != NULL && strcmp (words[matched], name[matched]) == 0)
        matched++;
      if (matched == n)
        {
          *n_name_words = n;
          return &commands[i];
        }
    }
  return NULL;
}

/* "share" alone: the start of "share add" and others. */
static gboolean
has_sub_commands (const char *word)
{
  g_autofree char *start = g_strconcat (word, " ", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_has_prefix (commands[i].name, start))
      return TRUE;
  return FALSE;
}

static GOptionEntry *
command_entries (Ctl           *ctl,
                 const Command *command)
{
  const struct
  {
    CommandOptions when;  /* 0: every command */
    GOptionEntry   entry;
  } choices[] = {
    { 0, { "json", 0, 0, G_OPTION_ARG_NONE, &ctl->json, NULL, NULL } },
    { 0, { "help", 'h', 0, G_OPTION_ARG_NONE, &ctl->help, NULL, NULL } },
    { OPTION_WAIT_SECONDS, { "wait", 0, 0, G_OPTION_ARG_INT, &ctl->wait_s, NULL, NULL } },
    { OPTION_WAIT, { "wait", 0, 0, G_OPTION_ARG_NONE, &ctl->wait, NULL, NULL } },
    { OPTION_OFFSET, { "offset", 0, 0, G_OPTION_ARG_INT, &ctl->offset, NULL, NULL } },
    { OPTION_LIMIT, { "limit", 0, 0, G_OPTION_ARG_INT, &ctl->limit, NULL, NULL } },
    { OPTION_ONCE, { "once", 0, 0, G_OPTION_ARG_NONE, &ctl->once, NULL, NULL } },
  };
  GArray *entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));

  for (guint i = 0; i < G_N_ELEMENTS (choices); i++)
    if (choices[i].when == 0 || (command->options & choices[i].when) != 0)
      g_array_append_val (entries, choices[i].entry);
  return (GOptionEntry *) (gpointer) g_array_free (entries, FALSE);
}

static gboolean
check_numbers (Ctl *ctl)
{
  if (ctl->offset < -1 || ctl->limit < -1 || ctl->wait_s < -1)
    return usage_error (ctl, "options take numbers of 0 or more");
  if (ctl->limit > LIMIT_MAX)
    return usage_error (ctl, "--limit: at most %d", LIMIT_MAX);
  return TRUE;
}

/* The command's arguments with its options taken out; NULL after a
 * usage error. */
static char **
parse_command_line (Ctl    *ctl,
                    char  **words)
{
  g_autofree GOptionEntry *entries = command_entries (ctl, ctl->command);
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  guint n_args;

  g_strv_builder_add (builder, "shoalctl");
  g_strv_builder_addv (builder, (const char **) words);
  argv = g_strv_builder_end (builder);
  g_option_context_set_help_enabled (context, FALSE);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse_strv (context, &argv, &error))
    {
      usage_error (ctl, "%s", error->message);
      return NULL;
    }
  n_args = g_strv_length (argv) - 1;
  if (!ctl->help && (n_args < ctl->command->min_args || n_args > ctl->command->max_args))
    {
      usage_error (ctl, n_args < ctl->command->min_args ? "%s needs more arguments" : "%s takes fewer arguments",
                   ctl->command->name);
      return NULL;
    }
  if (!check_numbers (ctl))
    return NULL;
  return g_strdupv (argv + 1);
}

static void
print_command_usage (const Command *command,
                     gboolean       to_stderr)
{
  g_autofree char *usage = command_usage (command);
  g_autofree char *text = g_strdup_printf ("Usage: shoalctl %s\n  %s\n", usage, command->summary);

  if (to_stderr)
    g_printerr ("%s", text);
  else
    g_print ("%s", text);
}

static int
exit_status (Ctl      *ctl,
             gboolean  ok)
{
  if (ok)
    return EXIT_OK;
  if (ctl->usage_message != NULL)
    {
      g_printerr ("shoalctl: %s\n", ctl->usage_message);
      print_command_usage (ctl->command, TRUE);
      return EXIT_USAGE;
    }
  g_printerr ("shoalctl: %s\n", ctl->error != NULL ? ctl->error->message : "failed");
  if (g_error_matches (ctl->error, SHOALCTL_CLIENT_ERROR, SHOALCTL_CLIENT_ERROR_NOT_RUNNING))
    return EXIT_NOT_RUNNING;
  return EXIT_FAILED;
}

static int
usage_failure (const char *message)
{
  g_autofree char *help = help_text ();

  g_printerr ("shoalctl: %s\n%s", message, help);
  return EXIT_USAGE;
}

static int
run_command (Ctl    *ctl,
             char  **words)
{
  g_auto(GStrv) args = NULL;
  guint n_name_words = 0;
  gboolean ok;

  ctl->command = find_command (words, &n_name_words);
  if (ctl->command == NULL)
    {
      g_autofree char *message = g_strdup_printf (has_sub_commands (words[0]) ?
                                                  "“%s” needs a sub-command" : "unknown command “%s”",
                                                  words[0]);

      return usage_failure (message);
    }
  args = parse_command_line (ctl, words + n_name_words);
  if (args != NULL && ctl->help)
    {
      print_command_usage (ctl->command, FALSE);
      return EXIT_OK;
    }
  ctl->progress = !ctl->json && isatty (STDERR_FILENO);
  ok = args != NULL && ctl->command->run (ctl, args);
  clear_progress (ctl);
  return exit_status (ctl, ok);
}

static void
ctl_clear (Ctl *ctl)
{
  g_free (ctl->data_dir);
  g_free (ctl->url);
  g_clear_pointer (&ctl->client, shoalctl_client_free);
  g_clear_error (&ctl->error);
  g_free (ctl->usage_message);
}

int
main (int    argc,
      char **argv)
{
  Ctl ctl = { .wait_s = -1, .offset = -1, .limit = -1 };
  GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &ctl.data_dir, NULL, NULL },
    { "url", 0, 0, G_OPTION_ARG_STRING, &ctl.url, NULL, NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctl.json, NULL, NULL },
    { "help", 'h', 0, G_OPTION_ARG_NONE, &ctl.help, NULL, NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  int status;

  setlocale (LC_ALL, "");
  /* Options up to the command are shoalctl's; the command parses the rest. */
  g_option_context_set_strict_posix (context, TRUE);
  g_option_context_set_help_enabled (context, FALSE);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    status = usage_failure (error->message);
  else if (ctl.help)
    status = run_help (&ctl, NULL) ? EXIT_OK : EXIT_FAILED;
  else if (argc < 2)
    status = usage_failure ("no command given");
  else
    {
      if (ctl.data_dir == NULL)
        ctl.data_dir = g_build_filename (g_get_user_data_dir (), DATA_DIR_NAME, NULL);
      status = run_command (&ctl, argv + 1);
    }
  ctl_clear (&ctl);
  return status;
}

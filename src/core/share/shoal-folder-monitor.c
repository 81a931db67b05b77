/* shoal-folder-monitor.c — watching a shared folder tree and naming, once
 * changes settle, the folders that need a rescan. */
#include "shoal-folder-monitor.h"

#include "shoal-library-db.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

/* Setting up watches runs from an idle source, a slice at a time: each
 * dispatch watches folders from a queue (listing each for subfolders to
 * queue next) until this much time has gone, then yields, so links and
 * the UI keep running while a tree of 100,000 folders gets watched. */
#define SETUP_SLICE_USEC (4 * 1000)

struct _ShoalFolderMonitor
{
  GObject           parent_instance;

  char             *root_path;        /* resolved, no symlinks */
  ShoalScanOptions *options;
  ShoalScanFilter  *filter;
  guint             settle_ms;
  guint             max_delay_ms;

  /* relpath → FolderWatch*, sorted so that a folder and everything below
   * it are neighbours: dropping a tree costs its size, not the table's. */
  GTree            *watches;
  GQueue            setup_queue;      /* relpaths (owned) of folders to watch */
  guint             setup_source_id;
  /* A private inotify instance to try a watch on before GIO adds its own:
   * GIO does not say when the kernel refuses one (it falls back to
   * polling for the folder to "appear"), and we want to know. */
  int               probe_fd;
  gboolean          ready;
  gboolean          degraded;

  GHashTable       *dirty;            /* relpaths of folders to rescan */
  gint64            first_dirty_usec; /* monotonic; 0 = nothing pending */
  gint64            last_dirty_usec;
  guint             flush_source_id;
  gboolean          flush_after_setup;
};

/* One watched folder. The monitor owns it; the GFileMonitor's handler
 * is disconnected before it goes. */
typedef struct
{
  ShoalFolderMonitor *self;
  char               *relpath;
  GFile              *folder;
  GFileMonitor       *file_monitor;
} FolderWatch;

G_DEFINE_TYPE (ShoalFolderMonitor, shoal_folder_monitor, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ROOT_PATH,
  PROP_SETTLE_MS,
  PROP_MAX_DELAY_MS,
  PROP_READY,
  PROP_DEGRADED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void schedule_setup (ShoalFolderMonitor *self);

static void
folder_watch_free (FolderWatch *watch)
{
  g_signal_handlers_disconnect_by_data (watch->file_monitor, watch);
  g_file_monitor_cancel (watch->file_monitor);
  g_object_unref (watch->file_monitor);
  g_object_unref (watch->folder);
  g_free (watch->relpath);
  g_free (watch);
}

static int
strcmp_data (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  return strcmp (a, b);
}

static char *
join_relpath (const char *folder,
              const char *name)
{
  return folder[0] != '\0' ? g_strconcat (folder, "/", name, NULL) : g_strdup (name);
}

static guint
relpath_depth (const char *relpath)
{
  guint depth = relpath[0] != '\0' ? 1 : 0;

  for (const char *slash = strchr (relpath, '/'); slash != NULL; slash = strchr (slash + 1, '/'))
    depth++;
  return depth;
}

/* Names a scan would look at: the others change nothing we share. */
static gboolean
is_relevant_name (ShoalFolderMonitor *self,
                  const char         *name)
{
  return g_utf8_validate (name, -1, NULL) && !shoal_scan_filter_excludes (self->filter, name);
}

static void
mark_degraded (ShoalFolderMonitor *self,
               const char         *path)
{
  if (self->degraded)
    return;
  g_warning ("Out of inotify watches at %s: changes in folders not watched are only seen "
             "by full rescans (raise fs.inotify.max_user_watches)", path);
  self->degraded = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEGRADED]);
}

/* TRUE if the kernel will let us watch @path. */
static gboolean
probe_watch (ShoalFolderMonitor *self,
             const char         *path)
{
  char events[sizeof (struct inotify_event) + NAME_MAX + 1];
  int wd;

  if (self->probe_fd < 0)
    return TRUE;
  /* IN_DONT_FOLLOW: a folder swapped for a link since it was listed is
   * not watched (the link could lead out of the root). */
  wd = inotify_add_watch (self->probe_fd, path, IN_ONLYDIR | IN_DONT_FOLLOW | IN_DELETE_SELF);
  if (wd < 0)
    {
      if (errno == ENOSPC)
        mark_degraded (self, path);
      else
        g_debug ("not watching %s: %s", path, g_strerror (errno));
      return FALSE;
    }
  inotify_rm_watch (self->probe_fd, wd);
  /* Drain the IN_IGNORED the removal queued, so the instance's queue
   * never fills. */
  while (read (self->probe_fd, events, sizeof events) > 0)
    ;
  return TRUE;
}

/* Queues the folders below @relpath (open as @path) for watching. */
static void
queue_subfolders (ShoalFolderMonitor *self,
                  const char         *relpath,
                  const char         *path)
{
  DIR *dir;
  struct dirent *dirent;

  if (relpath_depth (relpath) >= self->options->max_depth)
    return;
  dir = opendir (path);
  if (dir == NULL)
    return;
  while ((dirent = readdir (dir)) != NULL)
    {
      const char *name = dirent->d_name;
      struct stat st;

      if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0 || !is_relevant_name (self, name))
        continue;
      if (dirent->d_type == DT_UNKNOWN)
        {
          if (fstatat (dirfd (dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR (st.st_mode))
            continue;
        }
      else if (dirent->d_type != DT_DIR)
        continue;
      g_queue_push_tail (&self->setup_queue, join_relpath (relpath, name));
    }
  closedir (dir);
}

static void on_folder_changed (GFileMonitor      *file_monitor,
                               GFile             *file,
                               GFile             *other_file,
                               GFileMonitorEvent  event,
                               gpointer           user_data);

/* Watches the folder @relpath, then lists it: a subfolder created in
 * between is reported by the new watch, so none slips through. */
static void
watch_folder (ShoalFolderMonitor *self,
              const char         *relpath)
{
  g_autofree char *path = g_build_filename (self->root_path, relpath, NULL);
  g_autoptr(GError) error = NULL;
  FolderWatch *watch;
  GFileMonitor *file_monitor;
  g_autoptr(GFile) folder = NULL;

  if (g_tree_lookup (self->watches, relpath) != NULL || !probe_watch (self, path))
    return;
  folder = g_file_new_for_path (path);
  file_monitor = g_file_monitor_directory (folder, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (file_monitor == NULL)
    {
      g_debug ("not watching %s: %s", path, error->message);
      return;
    }
  watch = g_new (FolderWatch, 1);
  watch->self = self;
  watch->relpath = g_strdup (relpath);
  watch->folder = g_steal_pointer (&folder);
  watch->file_monitor = file_monitor;
  g_signal_connect (file_monitor, "changed", G_CALLBACK (on_folder_changed), watch);
  g_tree_insert (self->watches, watch->relpath, watch);
  queue_subfolders (self, relpath, path);
}

/* Drops the watches on @relpath and every folder below it. */
static void
unwatch_tree (ShoalFolderMonitor *self,
              const char         *relpath)
{
  g_autofree char *prefix = NULL;
  g_autoptr(GPtrArray) below = NULL;

  /* Folders below one that is not watched are not watched either. */
  if (!g_tree_remove (self->watches, relpath))
    return;
  prefix = relpath[0] != '\0' ? g_strconcat (relpath, "/", NULL) : g_strdup ("");
  below = g_ptr_array_new_with_free_func (g_free);
  for (GTreeNode *node = g_tree_lower_bound (self->watches, prefix);
       node != NULL && g_str_has_prefix (g_tree_node_key (node), prefix);
       node = g_tree_node_next (node))
    g_ptr_array_add (below, g_strdup (g_tree_node_key (node)));
  for (guint i = 0; i < below->len; i++)
    g_tree_remove (self->watches, g_ptr_array_index (below, i));
}

/* A folder appeared (created, moved in, or readable at last): queue it
 * and whatever is already inside it. */
static void
watch_new_folder (ShoalFolderMonitor *self,
                  FolderWatch        *parent,
                  const char         *name)
{
  g_autofree char *relpath = join_relpath (parent->relpath, name);
  g_autofree char *path = NULL;
  struct stat st;

  if (relpath_depth (relpath) > self->options->max_depth
      || g_tree_lookup (self->watches, relpath) != NULL)
    return;
  path = g_build_filename (self->root_path, relpath, NULL);
  if (lstat (path, &st) != 0 || !S_ISDIR (st.st_mode))
    return;
  g_queue_push_tail (&self->setup_queue, g_steal_pointer (&relpath));
  schedule_setup (self);
}

static gboolean
has_dirty_ancestor (ShoalFolderMonitor *self,
                    const char         *relpath)
{
  g_autofree char *ancestor = NULL;

  if (relpath[0] == '\0')
    return FALSE;
  if (g_hash_table_contains (self->dirty, ""))
    return TRUE;
  ancestor = g_strdup (relpath);
  for (char *slash = strrchr (ancestor, '/'); slash != NULL; slash = strrchr (ancestor, '/'))
    {
      *slash = '\0';
      if (g_hash_table_contains (self->dirty, ancestor))
        return TRUE;
    }
  return FALSE;
}

static int
compare_relpaths (gconstpointer a,
                  gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The dirty folders, sorted, leaving out those below another one: a
 * rescan of a folder covers everything below it. */
static GStrv
take_dirty_folders (ShoalFolderMonitor *self)
{
  g_autoptr(GPtrArray) folders = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->dirty);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      if (!has_dirty_ancestor (self, key))
        g_ptr_array_add (folders, g_strdup (key));
    }
  g_ptr_array_sort (folders, compare_relpaths);
  g_ptr_array_add (folders, NULL);
  g_hash_table_remove_all (self->dirty);
  self->first_dirty_usec = 0;
  self->last_dirty_usec = 0;
  return (GStrv) g_ptr_array_free (g_steal_pointer (&folders), FALSE);
}

static void
emit_changed (ShoalFolderMonitor *self)
{
  g_auto(GStrv) folders = take_dirty_folders (self);
  g_autofree char *joined = g_strjoinv ("\", \"", folders);

  g_debug ("%s: rescan [\"%s\"]", self->root_path, joined);
  /* A handler may drop the last reference to us (the root was unshared). */
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, folders);
  g_object_unref (self);
}

static gboolean
flush_cb (gpointer user_data)
{
  ShoalFolderMonitor *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 quiet_ms = (now - self->last_dirty_usec) / 1000;
  gint64 waited_ms = (now - self->first_dirty_usec) / 1000;

  self->flush_source_id = 0;
  if (quiet_ms < self->settle_ms && waited_ms < self->max_delay_ms)
    {
      gint64 wait_ms = MIN (self->settle_ms - quiet_ms, self->max_delay_ms - waited_ms);

      self->flush_source_id = g_timeout_add ((guint) wait_ms, flush_cb, self);
      return G_SOURCE_REMOVE;
    }
  /* Folders waiting for their watch may have changed unseen: the rescan
   * must come after they are watched, not before. */
  if (self->setup_source_id != 0)
    {
      self->flush_after_setup = TRUE;
      return G_SOURCE_REMOVE;
    }
  emit_changed (self);
  return G_SOURCE_REMOVE;
}

static void
mark_dirty (ShoalFolderMonitor *self,
            const char         *relpath)
{
  gint64 now = g_get_monotonic_time ();

  if (!g_hash_table_contains (self->dirty, relpath))
    g_hash_table_add (self->dirty, g_strdup (relpath));
  if (self->first_dirty_usec == 0)
    self->first_dirty_usec = now;
  self->last_dirty_usec = now;
  if (self->flush_source_id == 0 && !self->flush_after_setup)
    self->flush_source_id = g_timeout_add (self->settle_ms, flush_cb, self);
}

static gboolean
set_up_watches_cb (gpointer user_data)
{
  ShoalFolderMonitor *self = user_data;
  gint64 deadline = g_get_monotonic_time () + SETUP_SLICE_USEC;

  do
    {
      g_autofree char *relpath = g_queue_pop_head (&self->setup_queue);

      if (relpath == NULL)
        break;
      watch_folder (self, relpath);
    }
  while (g_get_monotonic_time () < deadline);

  if (!g_queue_is_empty (&self->setup_queue))
    return G_SOURCE_CONTINUE;
  self->setup_source_id = 0;
  g_debug ("%s: %d folders watched", self->root_path, g_tree_nnodes (self->watches));
  /* Whoever hears "ready" may drop the last reference to us. */
  g_object_ref (self);
  if (!self->ready)
    {
      self->ready = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
    }
  if (self->flush_after_setup)
    {
      self->flush_after_setup = FALSE;
      emit_changed (self);
    }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_setup (ShoalFolderMonitor *self)
{
  if (self->setup_source_id == 0)
    self->setup_source_id = g_idle_add (set_up_watches_cb, self);
}

/* The watched folder itself went away or moved. Its parent's watch
 * reports that as a change of the parent; only the root has no parent. */
static void
handle_event_on_folder (FolderWatch       *watch,
                        GFileMonitorEvent  event)
{
  if (watch->relpath[0] == '\0' && event != G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT)
    mark_dirty (watch->self, "");
}

static void
handle_rename (FolderWatch *watch,
               const char  *name,
               GFile       *other_file)
{
  ShoalFolderMonitor *self = watch->self;
  g_autofree char *other_name = other_file != NULL ? g_file_get_basename (other_file) : NULL;
  g_autofree char *relpath = join_relpath (watch->relpath, name);
  gboolean other_relevant = other_name != NULL && is_relevant_name (self, other_name);

  /* "x.part" renamed to "x" is a download finishing: it matters. */
  if (is_relevant_name (self, name) || other_relevant)
    mark_dirty (self, watch->relpath);
  unwatch_tree (self, relpath);
  if (other_relevant)
    watch_new_folder (self, watch, other_name);
}

/* A file or folder @name inside the watched folder changed in place. A
 * folder's own change (its mode, say) is a reason to rescan that folder,
 * not its parent and all its siblings. */
static void
handle_change (FolderWatch       *watch,
               const char        *name,
               GFileMonitorEvent  event)
{
  ShoalFolderMonitor *self = watch->self;
  g_autofree char *relpath = join_relpath (watch->relpath, name);

  if (g_tree_lookup (self->watches, relpath) != NULL)
    {
      mark_dirty (self, relpath);
      return;
    }
  mark_dirty (self, watch->relpath);
  /* A folder made readable can be watched now. */
  if (event == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED)
    watch_new_folder (self, watch, name);
}

static void
on_folder_changed (GFileMonitor      *file_monitor,
                   GFile             *file,
                   GFile             *other_file,
                   GFileMonitorEvent  event,
                   gpointer           user_data)
{
  FolderWatch *watch = user_data;
  ShoalFolderMonitor *self = watch->self;
  g_autofree char *name = NULL;
  g_autofree char *relpath = NULL;

  if (!g_file_has_parent (file, watch->folder))
    {
      handle_event_on_folder (watch, event);
      return;
    }
  name = g_file_get_basename (file);
  if (event == G_FILE_MONITOR_EVENT_RENAMED)
    {
      handle_rename (watch, name, other_file);
      return;
    }
  if (!is_relevant_name (self, name))
    return;
  switch (event)
    {
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
      mark_dirty (self, watch->relpath);
      watch_new_folder (self, watch, name);
      break;
    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
      mark_dirty (self, watch->relpath);
      relpath = join_relpath (watch->relpath, name);
      unwatch_tree (self, relpath);
      break;
    case G_FILE_MONITOR_EVENT_CHANGED:
    case G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED:
      handle_change (watch, name, event);
      break;
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
      /* GIO sends CHANGED before this for any write not yet reported, so
       * it tells nothing new; and the "virtual" one it makes up two
       * seconds after a folder is created would cost a second rescan. */
      break;
    default:
      mark_dirty (self, watch->relpath);
      break;
    }
}

static void
shoal_folder_monitor_dispose (GObject *object)
{
  ShoalFolderMonitor *self = SHOAL_FOLDER_MONITOR (object);

  g_clear_handle_id (&self->setup_source_id, g_source_remove);
  g_clear_handle_id (&self->flush_source_id, g_source_remove);
  g_queue_clear_full (&self->setup_queue, g_free);
  if (self->watches != NULL)
    g_tree_remove_all (self->watches);

  G_OBJECT_CLASS (shoal_folder_monitor_parent_class)->dispose (object);
}

static void
shoal_folder_monitor_finalize (GObject *object)
{
  ShoalFolderMonitor *self = SHOAL_FOLDER_MONITOR (object);

  g_clear_pointer (&self->watches, g_tree_unref);
  g_clear_pointer (&self->dirty, g_hash_table_unref);
  g_clear_pointer (&self->filter, shoal_scan_filter_free);
  g_clear_pointer (&self->options, shoal_scan_options_free);
  g_free (self->root_path);
  if (self->probe_fd >= 0)
    close (self->probe_fd);

  G_OBJECT_CLASS (shoal_folder_monitor_parent_class)->finalize (object);
}

static void
shoal_folder_monitor_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  ShoalFolderMonitor *self = SHOAL_FOLDER_MONITOR (object);

  switch (prop_id)
    {
    case PROP_ROOT_PATH:
      g_value_set_string (value, self->root_path);
      break;
    case PROP_SETTLE_MS:
      g_value_set_uint (value, self->settle_ms);
      break;
    case PROP_MAX_DELAY_MS:
      g_value_set_uint (value, self->max_delay_ms);
      break;
    case PROP_READY:
      g_value_set_boolean (value, self->ready);
      break;
    case PROP_DEGRADED:
      g_value_set_boolean (value, self->degraded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_folder_monitor_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  ShoalFolderMonitor *self = SHOAL_FOLDER_MONITOR (object);

  switch (prop_id)
    {
    case PROP_SETTLE_MS:
      shoal_folder_monitor_set_settle_ms (self, g_value_get_uint (value));
      break;
    case PROP_MAX_DELAY_MS:
      shoal_folder_monitor_set_max_delay_ms (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_folder_monitor_class_init (ShoalFolderMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = shoal_folder_monitor_dispose;
  object_class->finalize = shoal_folder_monitor_finalize;
  object_class->get_property = shoal_folder_monitor_get_property;
  object_class->set_property = shoal_folder_monitor_set_property;

  /**
   * ShoalFolderMonitor:root-path:
   *
   * The watched folder, with symlinks resolved.
   */
  properties[PROP_ROOT_PATH] =
    g_param_spec_string ("root-path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * ShoalFolderMonitor:settle-ms:
   *
   * How long the tree must stay quiet before ShoalFolderMonitor::changed.
   */
  properties[PROP_SETTLE_MS] =
    g_param_spec_uint ("settle-ms", NULL, NULL,
                       1, G_MAXUINT, SHOAL_FOLDER_MONITOR_DEFAULT_SETTLE_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * ShoalFolderMonitor:max-delay-ms:
   *
   * The longest a change waits for the tree to go quiet before it is
   * reported anyway.
   */
  properties[PROP_MAX_DELAY_MS] =
    g_param_spec_uint ("max-delay-ms", NULL, NULL,
                       1, G_MAXUINT, SHOAL_FOLDER_MONITOR_DEFAULT_MAX_DELAY_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * ShoalFolderMonitor:ready:
   *
   * TRUE once the folders present at start are watched (or known to be
   * unwatchable).
   */
  properties[PROP_READY] =
    g_param_spec_boolean ("ready", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * ShoalFolderMonitor:degraded:
   *
   * TRUE once the kernel refused a watch for lack of inotify watches.
   */
  properties[PROP_DEGRADED] =
    g_param_spec_boolean ("degraded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ShoalFolderMonitor::changed:
   * @self: the monitor
   * @folders: relpaths of the folders to rescan ("" is the root), sorted,
   *   none below another one of them: each needs a recursive rescan
   *
   * Emitted once the changes seen have settled (or waited
   * ShoalFolderMonitor:max-delay-ms), naming each folder once however
   * many files changed in it. A move between two folders names both.
   */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRV);
}

static void
shoal_folder_monitor_init (ShoalFolderMonitor *self)
{
  self->settle_ms = SHOAL_FOLDER_MONITOR_DEFAULT_SETTLE_MS;
  self->max_delay_ms = SHOAL_FOLDER_MONITOR_DEFAULT_MAX_DELAY_MS;
  self->watches = g_tree_new_full (strcmp_data, NULL, NULL,
                                   (GDestroyNotify) folder_watch_free);
  self->dirty = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&self->setup_queue);
  self->probe_fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
}

ShoalFolderMonitor *
shoal_folder_monitor_new (const char             *root_path,
                          const ShoalScanOptions *options,
                          GError                **error)
{
  g_autofree char *resolved = NULL;
  ShoalFolderMonitor *self;
  struct stat st;

  g_return_val_if_fail (root_path != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  resolved = realpath (root_path, NULL);
  if (resolved == NULL || stat (resolved, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID,
                   "shared folder %s does not exist or is not a folder", root_path);
      return NULL;
    }
  self = g_object_new (SHOAL_TYPE_FOLDER_MONITOR, NULL);
  self->root_path = g_steal_pointer (&resolved);
  self->options = shoal_scan_options_copy (options);
  self->filter = shoal_scan_filter_new (options);
  g_queue_push_tail (&self->setup_queue, g_strdup (""));
  schedule_setup (self);
  return self;
}

const char *
shoal_folder_monitor_get_root_path (ShoalFolderMonitor *self)
{
  g_return_val_if_fail (SHOAL_IS_FOLDER_MONITOR (self), NULL);

  return self->root_path;
}

guint
shoal_folder_monitor_get_watch_count (ShoalFolderMonitor *self)
{
  g_return_val_if_fail (SHOAL_IS_FOLDER_MONITOR (self), 0);

  return (guint) g_tree_nnodes (self->watches);
}

gboolean
shoal_folder_monitor_get_ready (ShoalFolderMonitor *self)
{
  g_return_val_if_fail (SHOAL_IS_FOLDER_MONITOR (self), FALSE);

  return self->ready;
}

gboolean
shoal_folder_monitor_get_degraded (ShoalFolderMonitor *self)
{
  g_return_val_if_fail (SHOAL_IS_FOLDER_MONITOR (self), FALSE);

  return self->degraded;
}

guint
shoal_folder_monitor_get_settle_ms (ShoalFolderMonitor *self)
{
  g_return_val_if_fail (SHOAL_IS_FOLDER_MONITOR (self), 0);

  return self->settle_ms;
}

void
shoal_folder_monitor_set_settle_ms (ShoalFolderMonitor *self,
                                    guint               settle_ms)
{
  g_return_if_fail (SHOAL_IS_FOLDER_MONITOR (self));
  g_return_if_fail (settle_ms > 0);

  if (self->settle_ms == settle_ms)
    return;
  self->settle_ms = settle_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTLE_MS]);
}

guint
shoal_folder_monitor_get_max_delay_ms (ShoalFolderMonitor *self)
{
  g_return_val_if_fail (SHOAL_IS_FOLDER_MONITOR (self), 0);

  return self->max_delay_ms;
}

void
shoal_folder_monitor_set_max_delay_ms (ShoalFolderMonitor *self,
                                       guint               max_delay_ms)
{
  g_return_if_fail (SHOAL_IS_FOLDER_MONITOR (self));
  g_return_if_fail (max_delay_ms > 0);

  if (self->max_delay_ms == max_delay_ms)
    return;
  self->max_delay_ms = max_delay_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_DELAY_MS]);
}

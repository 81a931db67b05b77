/* shoal-scanner.c — walking a shared folder and telling what changed on
 * disk since the index last looked. */
#include "shoal-scanner.h"

#include "shoal-library-db.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Partial downloads (ours and browsers'), editor swap and backup files and
 * desktop clutter: none of them is worth offering, and most change under
 * our feet while we hash them. */
static const char * const default_ignore_patterns[] = {
  "*.part",
  "*.partial",
  "*.crdownload",
  "*.download",
  "*.tmp",
  "*.temp",
  "*~",
  "*.swp",
  "*.swx",
  "#*#",
  ".#*",
  "~$*",
  "Thumbs.db",
  "desktop.ini",
  ".DS_Store",
  NULL
};

struct _ShoalScanFilter
{
  gboolean   skip_hidden;
  GPtrArray *patterns;  /* of GPatternSpec*, compiled case-folded */
};

/* A folder on disk, whatever path led to it: how loops through symlinks
 * and folders reached twice are recognised. */
typedef struct
{
  dev_t device;
  ino_t inode;
} FolderId;

/* A folder met through a symlink, walked once every physical folder has
 * been, so the name a folder is shared under does not depend on readdir
 * order: its real path wins over any link to it. */
typedef struct
{
  char  *relpath;
  char  *target;  /* resolved, inside the root */
  guint  depth;
} LinkedFolder;

typedef struct
{
  const ShoalScanOptions *options;
  ShoalScanFilter        *filter;
  char                   *root;          /* resolved once, no symlinks */
  gsize                   root_length;
  GHashTable             *known;         /* borrowed, may be NULL */
  GHashTable             *seen;          /* keys of @known met on disk */
  GHashTable             *kept;          /* relpaths we could not look into */
  GHashTable             *visited;       /* FolderId* → relpath it was walked as */
  GPtrArray              *linked;        /* of LinkedFolder*, waiting */
  GString                *relpath;       /* of the entry at hand */
  GCancellable           *cancellable;
  ShoalScanResult        *result;
} ScanWalk;

/* What an entry of a folder turned out to be once links were followed. */
typedef enum
{
  ENTRY_FILE,           /* a regular file, directly or through a link */
  ENTRY_FOLDER,         /* a folder, directly */
  ENTRY_LINKED_FOLDER,  /* a folder through a link inside the root */
  ENTRY_NOT_SHARED,     /* gone, or something we do not share */
} EntryKind;

static guint
folder_id_hash (gconstpointer key)
{
  const FolderId *id = key;

  return (guint) id->inode ^ (guint) (id->inode >> 32) ^ (guint) id->device;
}

static gboolean
folder_id_equal (gconstpointer a,
                 gconstpointer b)
{
  const FolderId *x = a;
  const FolderId *y = b;

  return x->device == y->device && x->inode == y->inode;
}

static void
linked_folder_free (LinkedFolder *folder)
{
  g_free (folder->relpath);
  g_free (folder->target);
  g_free (folder);
}

static ShoalFileStat
file_stat_from_stat (const struct stat *st)
{
  ShoalFileStat stat = {
    .size = (guint64) st->st_size,
    .mtime_usec = (gint64) st->st_mtim.tv_sec * G_USEC_PER_SEC + st->st_mtim.tv_nsec / 1000,
    .inode = (guint64) st->st_ino,
  };

  return stat;
}

/* Names that are already lower-case ASCII (nearly all of them) need no
 * folded copy: returns NULL for those. */
static char *
fold_name_if_needed (const char *name)
{
  for (const char *p = name; *p != '\0'; p++)
    {
      if ((guchar) *p >= 0x80 || g_ascii_isupper (*p))
        return g_utf8_casefold (name, -1);
    }
  return NULL;
}

static void
add_problem (ScanWalk   *walk,
             const char *relpath,
             gint        code,
             const char *format,
             ...) G_GNUC_PRINTF (4, 5);

static void
add_problem (ScanWalk   *walk,
             const char *relpath,
             gint        code,
             const char *format,
             ...)
{
  ShoalScanProblem *problem = g_new0 (ShoalScanProblem, 1);
  va_list args;

  va_start (args, format);
  problem->relpath = g_strdup (relpath);
  problem->error = g_error_new_valist (SHOAL_LIBRARY_ERROR, code, format, args);
  va_end (args);
  g_debug ("scan of %s: %s: %s", walk->root, relpath, problem->error->message);
  g_ptr_array_add (walk->result->problems, problem);
}

/* The index's files at or below the entry at hand stay as they are: we
 * could not look, which is not the same as seeing them gone. */
static void
add_unreadable (ScanWalk   *walk,
                const char *what,
                int         saved_errno)
{
  add_problem (walk, walk->relpath->str, SHOAL_LIBRARY_ERROR_IO,
               "cannot %s: %s", what, g_strerror (saved_errno));
  g_hash_table_add (walk->kept, g_strdup (walk->relpath->str));
}

/* TRUE if @relpath or a folder above it (the root included) could not be
 * looked into. */
static gboolean
is_kept (ScanWalk   *walk,
         const char *relpath)
{
  g_autofree char *prefix = NULL;
  char *slash;

  if (g_hash_table_size (walk->kept) == 0)
    return FALSE;
  prefix = g_strdup (relpath);
  do
    {
      if (g_hash_table_contains (walk->kept, prefix))
        return TRUE;
      slash = strrchr (prefix, '/');
      if (slash != NULL)
        *slash = '\0';
    }
  while (slash != NULL);
  return g_hash_table_contains (walk->kept, "");
}

static gboolean
is_inside_root (const ScanWalk *walk,
                const char     *resolved)
{
  if (strcmp (walk->root, "/") == 0)
    return TRUE;
  return strncmp (resolved, walk->root, walk->root_length) == 0
         && (resolved[walk->root_length] == '/' || resolved[walk->root_length] == '\0');
}

static void
push_name (ScanWalk   *walk,
           const char *name)
{
  if (walk->relpath->len > 0)
    g_string_append_c (walk->relpath, '/');
  g_string_append (walk->relpath, name);
}

static void
record_file (ScanWalk          *walk,
             const struct stat *st)
{
  ShoalFileStat stat = file_stat_from_stat (st);
  gpointer key = NULL;
  gpointer value = NULL;
  ShoalScanEntry *entry;

  walk->result->files_seen++;
  walk->result->bytes_seen += stat.size;
  if (walk->known != NULL
      && g_hash_table_lookup_extended (walk->known, walk->relpath->str, &key, &value))
    {
      const ShoalLibraryFile *file = value;

      g_hash_table_add (walk->seen, key);
      if (shoal_file_stat_equal (&file->stat, &stat))
        {
          walk->result->unchanged_count++;
          return;
        }
    }
  entry = g_new (ShoalScanEntry, 1);
  entry->relpath = g_strdup (walk->relpath->str);
  entry->stat = stat;
  g_ptr_array_add (value != NULL ? walk->result->changed : walk->result->added, entry);
}

/* Follows the symlink at hand. Only a target inside the root is shared:
 * a link must not let a share reach /etc, nor a remote peer learn what
 * lies outside the folders the user chose. */
static EntryKind
inspect_link (ScanWalk    *walk,
              struct stat *st,
              char       **target)
{
  g_autofree char *path = g_build_filename (walk->root, walk->relpath->str, NULL);
  g_autofree char *resolved = realpath (path, NULL);
  int saved_errno = errno;

  if (resolved == NULL)
    {
      if (saved_errno == ENOENT || saved_errno == ENOTDIR)
        add_problem (walk, walk->relpath->str, SHOAL_LIBRARY_ERROR_NOT_FOUND,
                     "link points to nothing");
      else if (saved_errno == ELOOP)
        add_problem (walk, walk->relpath->str, SHOAL_LIBRARY_ERROR_INVALID,
                     "link loop");
      else
        add_unreadable (walk, "follow link", saved_errno);
      return ENTRY_NOT_SHARED;
    }
  if (!is_inside_root (walk, resolved))
    {
      add_problem (walk, walk->relpath->str, SHOAL_LIBRARY_ERROR_INVALID,
                   "link leads out of the shared folder, to %s", resolved);
      return ENTRY_NOT_SHARED;
    }
  /* @resolved holds no links any more: what we stat is what we checked. */
  if (lstat (resolved, st) != 0)
    {
      if (errno != ENOENT)
        add_unreadable (walk, "stat link target", errno);
      return ENTRY_NOT_SHARED;
    }
  if (S_ISREG (st->st_mode))
    return ENTRY_FILE;
  if (!S_ISDIR (st->st_mode))
    return ENTRY_NOT_SHARED;
  *target = g_steal_pointer (&resolved);
  return ENTRY_LINKED_FOLDER;
}

/* Looks at @name in @dir_fd (the entry at hand). Fifos, sockets and
 * devices are not shared and not worth a problem. */
static EntryKind
inspect_entry (ScanWalk    *walk,
               int          dir_fd,
               const char  *name,
               struct stat *st,
               char       **target)
{
  if (fstatat (dir_fd, name, st, AT_SYMLINK_NOFOLLOW) != 0)
    {
      /* Gone between readdir and now: the next scan sees the new state. */
      if (errno != ENOENT)
        add_unreadable (walk, "stat", errno);
      return ENTRY_NOT_SHARED;
    }
  if (S_ISREG (st->st_mode))
    return ENTRY_FILE;
  if (S_ISDIR (st->st_mode))
    return ENTRY_FOLDER;
  if (S_ISLNK (st->st_mode))
    return inspect_link (walk, st, target);
  return ENTRY_NOT_SHARED;
}

static gboolean
is_ancestor (const char *folder,
             const char *relpath)
{
  gsize length = strlen (folder);

  if (length == 0)
    return TRUE;
  return strncmp (relpath, folder, length) == 0 && (relpath[length] == '/' || relpath[length] == '\0');
}

/* Each folder on disk is walked once, under the first path that reached
 * it: this is what stops a link to a parent from looping forever, and a
 * lattice of links from costing exponential time. */
static gboolean
claim_folder (ScanWalk          *walk,
              const struct stat *st)
{
  FolderId id = { .device = st->st_dev, .inode = st->st_ino };
  const char *walked_as = g_hash_table_lookup (walk->visited, &id);

  if (walked_as == NULL)
    {
      g_hash_table_insert (walk->visited, g_memdup2 (&id, sizeof id),
                           g_strdup (walk->relpath->str));
      return TRUE;
    }
  if (is_ancestor (walked_as, walk->relpath->str))
    add_problem (walk, walk->relpath->str, SHOAL_LIBRARY_ERROR_INVALID,
                 "link loop: leads back to “%s”", walked_as);
  else
    add_problem (walk, walk->relpath->str, SHOAL_LIBRARY_ERROR_INVALID,
                 "folder already shared as “%s”", walked_as);
  return FALSE;
}

/* Opens the folder at hand (@name in @parent_fd, or the resolved @target
 * of a link) for walking; -1 if it is too deep, unreadable or already
 * walked, each recorded as a problem. */
static int
open_folder (ScanWalk   *walk,
             int         parent_fd,
             const char *name,
             const char *target,
             guint       depth)
{
  int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  struct stat st;
  int fd;

  if (depth > walk->options->max_depth)
    {
      add_problem (walk, walk->relpath->str, SHOAL_LIBRARY_ERROR_INVALID,
                   "folder is more than %u levels deep", walk->options->max_depth);
      return -1;
    }
  /* A linked folder is opened by its resolved target, an absolute path
   * for which openat() ignores @parent_fd; any other by its name below
   * its parent. */
  g_assert (target == NULL || g_path_is_absolute (target));
  fd = openat (parent_fd, target != NULL ? target : name, flags);
  if (fd < 0)
    {
      /* ENOENT, ENOTDIR, ELOOP: replaced since we looked; the next scan
       * sees what it became. */
      if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
        add_unreadable (walk, "open folder", errno);
      return -1;
    }
  if (fstat (fd, &st) != 0)
    {
      add_unreadable (walk, "stat folder", errno);
      close (fd);
      return -1;
    }
  if (!claim_folder (walk, &st))
    {
      close (fd);
      return -1;
    }
  return fd;
}

static gboolean walk_folder (ScanWalk *walk,
                             int       fd,
                             guint     depth);

static void
defer_linked_folder (ScanWalk *walk,
                     char     *target,
                     guint     depth)
{
  LinkedFolder *folder = g_new (LinkedFolder, 1);

  folder->relpath = g_strdup (walk->relpath->str);
  folder->target = target;
  folder->depth = depth;
  g_ptr_array_add (walk->linked, folder);
}

/* Returns FALSE once cancelled. */
static gboolean
visit_entry (ScanWalk   *walk,
             int         dir_fd,
             const char *name,
             guint       depth)
{
  gsize parent_length = walk->relpath->len;
  struct stat st;
  char *target = NULL;
  gboolean go_on = TRUE;

  /* A name that is not UTF-8 could not be offered in a query hit, whose
   * names are UTF-8, nor matched by a query: skip it and say so. */
  if (!g_utf8_validate (name, -1, NULL))
    {
      g_autofree char *shown = g_utf8_make_valid (name, -1);

      push_name (walk, shown);
      add_problem (walk, walk->relpath->str, SHOAL_LIBRARY_ERROR_INVALID,
                   "name is not valid UTF-8");
      g_string_truncate (walk->relpath, parent_length);
      return TRUE;
    }
  if (shoal_scan_filter_excludes (walk->filter, name))
    {
      walk->result->excluded_count++;
      return TRUE;
    }
  push_name (walk, name);
  switch (inspect_entry (walk, dir_fd, name, &st, &target))
    {
    case ENTRY_FILE:
      record_file (walk, &st);
      break;
    case ENTRY_FOLDER:
      {
        int fd = open_folder (walk, dir_fd, name, NULL, depth + 1);

        if (fd >= 0)
          go_on = walk_folder (walk, fd, depth + 1);
      }
      break;
    case ENTRY_LINKED_FOLDER:
      defer_linked_folder (walk, target, depth + 1);
      break;
    case ENTRY_NOT_SHARED:
      break;
    default:
      g_assert_not_reached ();
    }
  g_string_truncate (walk->relpath, parent_length);
  return go_on;
}

/* Walks the open folder @fd (taken) named by walk->relpath, @depth levels
 * below the root. Returns FALSE once cancelled. */
static gboolean
walk_folder (ScanWalk *walk,
             int       fd,
             guint     depth)
{
  DIR *dir = fdopendir (fd);
  struct dirent *dirent;

  if (dir == NULL)
    {
      add_unreadable (walk, "list folder", errno);
      close (fd);
      return TRUE;
    }
  for (errno = 0; (dirent = readdir (dir)) != NULL; errno = 0)
    {
      if (g_cancellable_is_cancelled (walk->cancellable))
        {
          closedir (dir);
          return FALSE;
        }
      if (strcmp (dirent->d_name, ".") == 0 || strcmp (dirent->d_name, "..") == 0)
        continue;
      if (!visit_entry (walk, dirfd (dir), dirent->d_name, depth))
        {
          closedir (dir);
          return FALSE;
        }
    }
  /* A listing cut short must not make the files after the cut look
   * removed. */
  if (errno != 0)
    add_unreadable (walk, "list folder", errno);
  closedir (dir);
  return TRUE;
}

static int
compare_linked_folders (gconstpointer a,
                        gconstpointer b)
{
  const LinkedFolder *x = *(LinkedFolder * const *) a;
  const LinkedFolder *y = *(LinkedFolder * const *) b;

  if (x->depth != y->depth)
    return x->depth < y->depth ? -1 : 1;
  return strcmp (x->relpath, y->relpath);
}

/* Walks the folders met through links, shallowest first (then by name),
 * round after round as walking them meets more. Returns FALSE once cancelled. */
static gboolean
walk_linked_folders (ScanWalk *walk)
{
  while (walk->linked->len > 0)
    {
      g_autoptr(GPtrArray) round = g_steal_pointer (&walk->linked);

      walk->linked = g_ptr_array_new_with_free_func ((GDestroyNotify) linked_folder_free);
      g_ptr_array_sort (round, compare_linked_folders);
      for (guint i = 0; i < round->len; i++)
        {
          const LinkedFolder *folder = g_ptr_array_index (round, i);
          int fd;

          g_string_assign (walk->relpath, folder->relpath);
          fd = open_folder (walk, -1, NULL, folder->target, folder->depth);
          if (fd >= 0 && !walk_folder (walk, fd, folder->depth))
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
is_clean_relpath (const char *relpath)
{
  g_auto(GStrv) parts = NULL;

  if (!g_utf8_validate (relpath, -1, NULL))
    return FALSE;
  parts = g_strsplit (relpath, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (parts[i][0] == '\0' || strcmp (parts[i], ".") == 0 || strcmp (parts[i], "..") == 0)
        return FALSE;
    }
  return TRUE;
}

/* Opens @subdir below the root the way a full walk would reach it, by the
 * same rules and with every folder on the way claimed (so a link back up
 * is a loop). Returns -1 when it cannot be walked: gone, left out by the
 * rules, or unreadable (problems recorded, and kept in the last case). */
static int
open_subdir (ScanWalk   *walk,
             int         root_fd,
             const char *subdir)
{
  g_auto(GStrv) names = g_strsplit (subdir, "/", -1);
  int fd = root_fd;
  guint depth;

  for (depth = 0; names[depth] != NULL; depth++)
    {
      const char *name = names[depth];
      g_autofree char *target = NULL;
      struct stat st;
      EntryKind kind;
      int child_fd = -1;

      if (shoal_scan_filter_excludes (walk->filter, name))
        walk->result->excluded_count++;
      else
        {
          push_name (walk, name);
          kind = inspect_entry (walk, fd, name, &st, &target);
          if (kind == ENTRY_FOLDER || kind == ENTRY_LINKED_FOLDER)
            child_fd = open_folder (walk, fd, name, target, depth + 1);
        }
      if (fd != root_fd)
        close (fd);
      if (child_fd < 0)
        return -1;
      fd = child_fd;
    }
  return fd;
}

static void
collect_removed (ScanWalk   *walk,
                 const char *subdir)
{
  g_autofree char *prefix = subdir[0] != '\0' ? g_strconcat (subdir, "/", NULL) : g_strdup ("");
  gsize prefix_length = strlen (prefix);
  GHashTableIter iter;
  gpointer key;

  if (walk->known == NULL)
    return;
  g_hash_table_iter_init (&iter, walk->known);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const char *relpath = key;

      if (strncmp (relpath, prefix, prefix_length) != 0
          || g_hash_table_contains (walk->seen, key)
          || is_kept (walk, relpath))
        continue;
      g_ptr_array_add (walk->result->removed, g_strdup (relpath));
    }
}

/* Resolves the root once and checks it is a folder we can open. */
static int
open_root (const char  *root_path,
           char       **resolved_out,
           GError     **error)
{
  g_autofree char *resolved = realpath (root_path, NULL);
  struct stat st;
  int fd;

  if (resolved == NULL || stat (resolved, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID,
                   "shared folder %s does not exist or is not a folder", root_path);
      return -1;
    }
  fd = open (resolved, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_IO,
                   "cannot open shared folder %s: %s", root_path, g_strerror (saved_errno));
      return -1;
    }
  *resolved_out = g_steal_pointer (&resolved);
  return fd;
}

static ShoalScanResult *
scan_result_new (void)
{
  ShoalScanResult *result = g_new0 (ShoalScanResult, 1);

  result->added = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_scan_entry_free);
  result->changed = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_scan_entry_free);
  result->removed = g_ptr_array_new_with_free_func (g_free);
  result->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_scan_problem_free);
  return result;
}

static void
scan_walk_clear (ScanWalk *walk)
{
  g_clear_pointer (&walk->filter, shoal_scan_filter_free);
  g_clear_pointer (&walk->root, g_free);
  g_clear_pointer (&walk->seen, g_hash_table_unref);
  g_clear_pointer (&walk->kept, g_hash_table_unref);
  g_clear_pointer (&walk->visited, g_hash_table_unref);
  g_clear_pointer (&walk->linked, g_ptr_array_unref);
  if (walk->relpath != NULL)
    g_string_free (g_steal_pointer (&walk->relpath), TRUE);
  g_clear_pointer (&walk->result, shoal_scan_result_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ScanWalk, scan_walk_clear)

/* Walks the root (or @subdir) and what was met through links; takes
 * @root_fd. FALSE once cancelled. */
static gboolean
scan_walk_run (ScanWalk   *walk,
               int         root_fd,
               const char *subdir)
{
  guint depth = 0;
  struct stat st;
  int fd = root_fd;

  if (fstat (root_fd, &st) != 0)
    {
      add_unreadable (walk, "stat shared folder", errno);
      close (root_fd);
      return TRUE;
    }
  claim_folder (walk, &st);
  if (subdir[0] != '\0')
    {
      fd = open_subdir (walk, root_fd, subdir);
      depth = 1;
      for (const char *slash = strchr (subdir, '/'); slash != NULL; slash = strchr (slash + 1, '/'))
        depth++;
      close (root_fd);
    }
  if (fd >= 0 && !walk_folder (walk, fd, depth))
    return FALSE;
  return walk_linked_folders (walk);
}

ShoalScanOptions *
shoal_scan_options_new_default (void)
{
  ShoalScanOptions *options = g_new0 (ShoalScanOptions, 1);

  options->skip_hidden = TRUE;
  options->ignore_patterns = g_strdupv ((GStrv) default_ignore_patterns);
  options->max_depth = SHOAL_SCAN_DEFAULT_MAX_DEPTH;
  return options;
}

ShoalScanOptions *
shoal_scan_options_copy (const ShoalScanOptions *options)
{
  ShoalScanOptions *copy = g_new (ShoalScanOptions, 1);

  *copy = *options;
  copy->ignore_patterns = g_strdupv (options->ignore_patterns);
  return copy;
}

void
shoal_scan_options_free (ShoalScanOptions *options)
{
  if (options == NULL)
    return;
  g_strfreev (options->ignore_patterns);
  g_free (options);
}

ShoalScanFilter *
shoal_scan_filter_new (const ShoalScanOptions *options)
{
  ShoalScanFilter *filter = g_new0 (ShoalScanFilter, 1);

  filter->skip_hidden = options->skip_hidden;
  filter->patterns = g_ptr_array_new_with_free_func ((GDestroyNotify) g_pattern_spec_free);
  for (guint i = 0; options->ignore_patterns != NULL && options->ignore_patterns[i] != NULL; i++)
    {
      g_autofree char *folded = g_utf8_casefold (options->ignore_patterns[i], -1);

      g_ptr_array_add (filter->patterns, g_pattern_spec_new (folded));
    }
  return filter;
}

void
shoal_scan_filter_free (ShoalScanFilter *filter)
{
  if (filter == NULL)
    return;
  g_ptr_array_unref (filter->patterns);
  g_free (filter);
}

gboolean
shoal_scan_filter_excludes (const ShoalScanFilter *filter,
                            const char            *name)
{
  g_autofree char *folded = NULL;
  const char *match_name;
  gsize length;

  if (filter->skip_hidden && name[0] == '.')
    return TRUE;
  folded = fold_name_if_needed (name);
  match_name = folded != NULL ? folded : name;
  length = strlen (match_name);
  for (guint i = 0; i < filter->patterns->len; i++)
    {
      if (g_pattern_spec_match (g_ptr_array_index (filter->patterns, i), length, match_name, NULL))
        return TRUE;
    }
  return FALSE;
}

void
shoal_scan_entry_free (ShoalScanEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->relpath);
  g_free (entry);
}

void
shoal_scan_problem_free (ShoalScanProblem *problem)
{
  if (problem == NULL)
    return;
  g_free (problem->relpath);
  g_clear_error (&problem->error);
  g_free (problem);
}

void
shoal_scan_result_free (ShoalScanResult *result)
{
  if (result == NULL)
    return;
  g_ptr_array_unref (result->added);
  g_ptr_array_unref (result->changed);
  g_ptr_array_unref (result->removed);
  g_ptr_array_unref (result->problems);
  g_free (result);
}

ShoalScanResult *
shoal_scanner_scan (const char             *root_path,
                    const char             *subdir,
                    GHashTable             *known,
                    const ShoalScanOptions *options,
                    GCancellable           *cancellable,
                    GError                **error)
{
  g_auto(ScanWalk) walk = { 0 };
  int root_fd;

  g_return_val_if_fail (root_path != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (subdir == NULL)
    subdir = "";
  if (subdir[0] != '\0' && !is_clean_relpath (subdir))
    {
      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID,
                   "“%s” is not a relative folder path", subdir);
      return NULL;
    }
  root_fd = open_root (root_path, &walk.root, error);
  if (root_fd < 0)
    return NULL;

  walk.options = options;
  walk.filter = shoal_scan_filter_new (options);
  walk.root_length = strlen (walk.root);
  walk.known = known;
  walk.seen = g_hash_table_new (g_direct_hash, NULL);
  walk.kept = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  walk.visited = g_hash_table_new_full (folder_id_hash, folder_id_equal, g_free, g_free);
  walk.linked = g_ptr_array_new_with_free_func ((GDestroyNotify) linked_folder_free);
  walk.relpath = g_string_new (NULL);
  walk.cancellable = cancellable;
  walk.result = scan_result_new ();

  if (!scan_walk_run (&walk, root_fd, subdir))
    {
      g_cancellable_set_error_if_cancelled (cancellable, error);
      return NULL;
    }
  collect_removed (&walk, subdir);
  g_debug ("scanned %s%s%s: %u added, %u changed, %u removed, %u unchanged, %u problems",
           walk.root, subdir[0] != '\0' ? "/" : "", subdir,
           walk.result->added->len, walk.result->changed->len, walk.result->removed->len,
           walk.result->unchanged_count, walk.result->problems->len);
  return g_steal_pointer (&walk.result);
}

/* shoal-scanner.h — walking a shared folder and telling what changed on
 * disk since the index last looked. */
#pragma once

#include <gio/gio.h>

#include "shoal-share-types.h"

G_BEGIN_DECLS

/* Folders below this many levels under the root are reported as problems,
 * not walked: deeper trees are almost always a mistake (a link farm, a
 * backup of a backup) and every level holds an open directory. */
#define SHOAL_SCAN_DEFAULT_MAX_DEPTH 64

/* What a scan leaves out. The folder monitor watches by the same rules, so
 * a change it reports is one a scan can see. */
typedef struct
{
  gboolean skip_hidden;      /* leave out names starting with '.' */
  GStrv    ignore_patterns;  /* GPatternSpec globs matched against a file or
                              * folder name (not its path); NULL = none */
  guint    max_depth;        /* folders deeper than this are not walked */
} ShoalScanOptions;

/* Hidden names skipped, partial downloads and editor/temporary files
 * ignored, SHOAL_SCAN_DEFAULT_MAX_DEPTH. */
ShoalScanOptions *shoal_scan_options_new_default (void);
ShoalScanOptions *shoal_scan_options_copy        (const ShoalScanOptions *options);
void              shoal_scan_options_free        (ShoalScanOptions *options);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalScanOptions, shoal_scan_options_free)

/* ShoalScanOptions' name rules compiled once, so a walk over 100,000 names
 * does not recompile fifteen globs per name. Safe to share between threads
 * once built (matching only reads it). */
typedef struct _ShoalScanFilter ShoalScanFilter;

ShoalScanFilter  *shoal_scan_filter_new          (const ShoalScanOptions *options);
void              shoal_scan_filter_free         (ShoalScanFilter *filter);
/* TRUE if @name (one path component, valid UTF-8) is hidden or matches an
 * ignore pattern. Matching ignores case: "THUMBS.DB" from a FAT stick or
 * "Movie.PART" are the same clutter. */
gboolean          shoal_scan_filter_excludes     (const ShoalScanFilter *filter,
                                                  const char            *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalScanFilter, shoal_scan_filter_free)

/* A regular file as the disk has it now. */
typedef struct
{
  char         *relpath;  /* below the root, '/'-separated, UTF-8 */
  ShoalFileStat stat;
} ShoalScanEntry;

void shoal_scan_entry_free (ShoalScanEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalScanEntry, shoal_scan_entry_free)

/* Something the walk could not or would not look at. Files the index knows
 * below a folder that could not be read are kept (neither removed nor
 * unchanged): a passing permission or I/O problem must not cost their
 * hashes. */
typedef struct
{
  char   *relpath;  /* "" for the root itself; in a name that is not
                     * UTF-8, U+FFFD stands for each invalid byte run */
  GError *error;    /* SHOAL_LIBRARY_ERROR: IO for unreadable, INVALID for
                     * too deep, non-UTF-8 names, links leaving the root,
                     * link loops and folders reached a second time,
                     * NOT_FOUND for dangling links */
} ShoalScanProblem;

void shoal_scan_problem_free (ShoalScanProblem *problem);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalScanProblem, shoal_scan_problem_free)

typedef struct
{
  GPtrArray *added;            /* of ShoalScanEntry*: on disk, not in the index */
  GPtrArray *changed;          /* of ShoalScanEntry*: size, mtime or inode differ */
  GPtrArray *removed;          /* of char* relpaths: in the index, no longer shared */
  guint      unchanged_count;
  GPtrArray *problems;         /* of ShoalScanProblem* */
  guint      files_seen;       /* regular files shared: added + changed + unchanged */
  guint64    bytes_seen;       /* their total size */
  guint      excluded_count;   /* names left out as hidden or ignored */
} ShoalScanResult;

void shoal_scan_result_free (ShoalScanResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalScanResult, shoal_scan_result_free)

/* Walks @root_path (symlinks in it are resolved once) or, when @subdir is
 * not NULL, only the folder @subdir below it (a '/'-separated relpath,
 * "" = the whole root), and compares what it finds with @known (relpath →
 * ShoalLibraryFile*, borrowed and only read; may be NULL = empty).
 *
 * Regular files only. A symlink is followed when its target lies inside
 * the root; a folder is walked once, under its real path if a scan of the
 * whole root reaches it that way, so links back up or sideways are
 * reported as problems, not walked again.
 *
 * A @subdir that no longer exists, or that the rules now leave out, is not
 * an error: the files the index knows below it come back as removed.
 *
 * Blocks on disk: call it from a worker thread. Errors, all in
 * SHOAL_LIBRARY_ERROR unless cancelled: INVALID when the root is missing
 * or not a folder or @subdir is not a clean relpath; IO when the root
 * cannot be read; G_IO_ERROR_CANCELLED once @cancellable fires. Anything
 * else is a problem in the result. */
ShoalScanResult *shoal_scanner_scan (const char             *root_path,
                                     const char             *subdir,
                                     GHashTable             *known,
                                     const ShoalScanOptions *options,
                                     GCancellable           *cancellable,
                                     GError                **error);

G_END_DECLS

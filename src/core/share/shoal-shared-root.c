/* shoal-shared-root.c — one shared folder, as the library's list model shows it. */
#include "shoal-shared-root.h"

struct _ShoalSharedRoot
{
  GObject  parent_instance;

  gint64   id;
  char    *path;
  guint64  file_count;
  guint64  size;
  gboolean scanning;
  guint    problem_count;
};

enum
{
  PROP_0,
  PROP_ID,
  PROP_PATH,
  PROP_FILE_COUNT,
  PROP_SIZE,
  PROP_SCANNING,
  PROP_PROBLEM_COUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ShoalSharedRoot, shoal_shared_root, G_TYPE_OBJECT)

static void
shoal_shared_root_finalize (GObject *object)
{
  ShoalSharedRoot *self = SHOAL_SHARED_ROOT (object);

  g_free (self->path);
  G_OBJECT_CLASS (shoal_shared_root_parent_class)->finalize (object);
}

static void
shoal_shared_root_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  ShoalSharedRoot *self = SHOAL_SHARED_ROOT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_FILE_COUNT:
      g_value_set_uint64 (value, self->file_count);
      break;
    case PROP_SIZE:
      g_value_set_uint64 (value, self->size);
      break;
    case PROP_SCANNING:
      g_value_set_boolean (value, self->scanning);
      break;
    case PROP_PROBLEM_COUNT:
      g_value_set_uint (value, self->problem_count);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_shared_root_class_init (ShoalSharedRootClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = shoal_shared_root_finalize;
  object_class->get_property = shoal_shared_root_get_property;

  properties[PROP_ID] =
    g_param_spec_int64 ("id", NULL, "The root's row in the index",
                        0, G_MAXINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, "Absolute path of the shared folder",
                         NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILE_COUNT] =
    g_param_spec_uint64 ("file-count", NULL, "Files shared from this folder",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SIZE] =
    g_param_spec_uint64 ("size", NULL, "Bytes shared from this folder",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SCANNING] =
    g_param_spec_boolean ("scanning", NULL, "Whether the folder is being scanned",
                          FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PROBLEM_COUNT] =
    g_param_spec_uint ("problem-count", NULL,
                       "Entries the last scan could not share (unreadable, escaping links, …)",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
shoal_shared_root_init (ShoalSharedRoot *self)
{
}

ShoalSharedRoot *
shoal_shared_root_new (gint64      id,
                       const char *path)
{
  ShoalSharedRoot *self = g_object_new (SHOAL_TYPE_SHARED_ROOT, NULL);

  self->id = id;
  self->path = g_strdup (path);
  return self;
}

gint64
shoal_shared_root_get_id (ShoalSharedRoot *root)
{
  g_return_val_if_fail (SHOAL_IS_SHARED_ROOT (root), 0);
  return root->id;
}

const char *
shoal_shared_root_get_path (ShoalSharedRoot *root)
{
  g_return_val_if_fail (SHOAL_IS_SHARED_ROOT (root), NULL);
  return root->path;
}

guint64
shoal_shared_root_get_file_count (ShoalSharedRoot *root)
{
  g_return_val_if_fail (SHOAL_IS_SHARED_ROOT (root), 0);
  return root->file_count;
}

guint64
shoal_shared_root_get_size (ShoalSharedRoot *root)
{
  g_return_val_if_fail (SHOAL_IS_SHARED_ROOT (root), 0);
  return root->size;
}

gboolean
shoal_shared_root_get_scanning (ShoalSharedRoot *root)
{
  g_return_val_if_fail (SHOAL_IS_SHARED_ROOT (root), FALSE);
  return root->scanning;
}

guint
shoal_shared_root_get_problem_count (ShoalSharedRoot *root)
{
  g_return_val_if_fail (SHOAL_IS_SHARED_ROOT (root), 0);
  return root->problem_count;
}

void
shoal_shared_root_set_scanning (ShoalSharedRoot *root,
                                gboolean         scanning)
{
  g_return_if_fail (SHOAL_IS_SHARED_ROOT (root));
  if (root->scanning == !!scanning)
    return;
  root->scanning = !!scanning;
  g_object_notify_by_pspec (G_OBJECT (root), properties[PROP_SCANNING]);
}

void
shoal_shared_root_set_contents (ShoalSharedRoot *root,
                                guint64          file_count,
                                guint64          size,
                                guint            problem_count)
{
  g_return_if_fail (SHOAL_IS_SHARED_ROOT (root));
  g_object_freeze_notify (G_OBJECT (root));
  if (root->file_count != file_count)
    {
      root->file_count = file_count;
      g_object_notify_by_pspec (G_OBJECT (root), properties[PROP_FILE_COUNT]);
    }
  if (root->size != size)
    {
      root->size = size;
      g_object_notify_by_pspec (G_OBJECT (root), properties[PROP_SIZE]);
    }
  if (root->problem_count != problem_count)
    {
      root->problem_count = problem_count;
      g_object_notify_by_pspec (G_OBJECT (root), properties[PROP_PROBLEM_COUNT]);
    }
  g_object_thaw_notify (G_OBJECT (root));
}

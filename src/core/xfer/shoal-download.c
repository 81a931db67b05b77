/* shoal-download.c — one download's properties for front ends, with its
 * progress notifications throttled. */
#include "shoal-download.h"

#include <string.h>

#include "shoal-notify-throttle.h"

struct _ShoalDownload
{
  GObject              parent_instance;

  guint8               sha1[SHOAL_SHA1_SIZE];
  char                *urn;
  char                *name;
  guint64              size;
  ShoalDownloadStatus  state;
  guint64              done;
  guint64              rate;
  guint                sources;
  gint64               eta;
  char                *error;
  char                *path;

  ShoalNotifyThrottle  progress_notify;  /* done, rate and eta */
};

enum
{
  PROP_0,
  PROP_NAME,
  PROP_SIZE,
  PROP_URN,
  PROP_STATE,
  PROP_DONE,
  PROP_RATE,
  PROP_SOURCES,
  PROP_ETA,
  PROP_ERROR,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ShoalDownload, shoal_download, G_TYPE_OBJECT)
G_DEFINE_ENUM_TYPE (ShoalDownloadStatus, shoal_download_status,
                    G_DEFINE_ENUM_VALUE (SHOAL_DOWNLOAD_STATUS_QUEUED, "queued"),
                    G_DEFINE_ENUM_VALUE (SHOAL_DOWNLOAD_STATUS_RUNNING, "running"),
                    G_DEFINE_ENUM_VALUE (SHOAL_DOWNLOAD_STATUS_PAUSED, "paused"),
                    G_DEFINE_ENUM_VALUE (SHOAL_DOWNLOAD_STATUS_VERIFYING, "verifying"),
                    G_DEFINE_ENUM_VALUE (SHOAL_DOWNLOAD_STATUS_COMPLETED, "completed"),
                    G_DEFINE_ENUM_VALUE (SHOAL_DOWNLOAD_STATUS_FAILED, "failed"),
                    G_DEFINE_ENUM_VALUE (SHOAL_DOWNLOAD_STATUS_CANCELLED, "cancelled"))

/* Overrides ---------------------------------------------------------------- */

static void
shoal_download_dispose (GObject *object)
{
  ShoalDownload *self = SHOAL_DOWNLOAD (object);

  shoal_notify_throttle_clear (&self->progress_notify);

  G_OBJECT_CLASS (shoal_download_parent_class)->dispose (object);
}

static void
shoal_download_finalize (GObject *object)
{
  ShoalDownload *self = SHOAL_DOWNLOAD (object);

  g_free (self->urn);
  g_free (self->name);
  g_free (self->error);
  g_free (self->path);

  G_OBJECT_CLASS (shoal_download_parent_class)->finalize (object);
}

static void
shoal_download_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ShoalDownload *self = SHOAL_DOWNLOAD (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_SIZE:
      g_value_set_uint64 (value, self->size);
      break;
    case PROP_URN:
      g_value_set_string (value, self->urn);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_DONE:
      g_value_set_uint64 (value, self->done);
      break;
    case PROP_RATE:
      g_value_set_uint64 (value, self->rate);
      break;
    case PROP_SOURCES:
      g_value_set_uint (value, self->sources);
      break;
    case PROP_ETA:
      g_value_set_int64 (value, self->eta);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_download_class_init (ShoalDownloadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = shoal_download_dispose;
  object_class->finalize = shoal_download_finalize;
  object_class->get_property = shoal_download_get_property;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, "The file name it will get", NULL, flags);
  properties[PROP_SIZE] =
    g_param_spec_uint64 ("size", NULL, "Size in bytes, 0 while unknown",
                         0, G_MAXUINT64, 0, flags);
  properties[PROP_URN] =
    g_param_spec_string ("urn", NULL, "The file's urn:sha1", NULL, flags);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, "Where the download stands",
                       SHOAL_TYPE_DOWNLOAD_STATUS, SHOAL_DOWNLOAD_STATUS_QUEUED, flags);
  properties[PROP_DONE] =
    g_param_spec_uint64 ("done", NULL, "Bytes written and synced to disk",
                         0, G_MAXUINT64, 0, flags);
  properties[PROP_RATE] =
    g_param_spec_uint64 ("rate", NULL, "Bytes per second received, smoothed",
                         0, G_MAXUINT64, 0, flags);
  properties[PROP_SOURCES] =
    g_param_spec_uint ("sources", NULL, "Sources still worth trying",
                       0, G_MAXUINT, 0, flags);
  properties[PROP_ETA] =
    g_param_spec_int64 ("eta", NULL, "Seconds to completion, -1 when unknown",
                        -1, G_MAXINT64, -1, flags);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, "Why the download failed", NULL, flags);
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, "Where the completed file is", NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
shoal_download_init (ShoalDownload *self)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  self->eta = -1;
  shoal_notify_throttle_init (&self->progress_notify, G_OBJECT (self), properties, N_PROPS,
                              context, SHOAL_DOWNLOAD_NOTIFY_INTERVAL_MS);
}

/* Public API ---------------------------------------------------------------- */

const char *
shoal_download_get_name (ShoalDownload *self)
{
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (self), NULL);
  return self->name;
}

guint64
shoal_download_get_size (ShoalDownload *self)
{
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (self), 0);
  return self->size;
}

const char *
shoal_download_get_urn (ShoalDownload *self)
{
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (self), NULL);
  return self->urn;
}

void
shoal_download_get_sha1 (ShoalDownload *self,
                         guint8         sha1[SHOAL_SHA1_SIZE])
{
  g_return_if_fail (SHOAL_IS_DOWNLOAD (self));
  memcpy (sha1, self->sha1, SHOAL_SHA1_SIZE);
}

ShoalDownloadStatus
shoal_download_get_state (ShoalDownload *self)
{
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (self), SHOAL_DOWNLOAD_STATUS_FAILED);
  return self->state;
}

guint64
shoal_download_get_done (ShoalDownload *self)
{
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (self), 0);
  return self->done;
}

guint64
shoal_download_get_rate (ShoalDownload *self)
{
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (self), 0);
  return self->rate;
}

guint
shoal_download_get_sources (ShoalDownload *self)
{
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (self), 0);
  return self->sources;
}

gint64
shoal_download_get_eta (ShoalDownload *self)
{
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (self), -1);
  return self->eta;
}

const char *
shoal_download_get_error (ShoalDownload *self)
{
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (self), NULL);
  return self->error;
}

const char *
shoal_download_get_path (ShoalDownload *self)
{
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (self), NULL);
  return self->path;
}

ShoalDownload *
shoal_download_new (const guint8  sha1[SHOAL_SHA1_SIZE],
                    const char   *name,
                    guint64       size)
{
  ShoalDownload *self;

  g_return_val_if_fail (sha1 != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (SHOAL_TYPE_DOWNLOAD, NULL);
  memcpy (self->sha1, sha1, SHOAL_SHA1_SIZE);
  self->urn = shoal_urn_format_sha1 (sha1);
  self->name = g_strdup (name);
  self->size = size;
  return self;
}

void
shoal_download_set_size (ShoalDownload *self,
                         guint64        size)
{
  g_return_if_fail (SHOAL_IS_DOWNLOAD (self));

  if (self->size == size)
    return;
  self->size = size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIZE]);
}

void
shoal_download_set_state (ShoalDownload       *self,
                          ShoalDownloadStatus  state,
                          const char          *error)
{
  g_return_if_fail (SHOAL_IS_DOWNLOAD (self));

  shoal_notify_throttle_flush_now (&self->progress_notify);
  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (self->error, error) != 0)
    {
      g_free (self->error);
      self->error = g_strdup (error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

void
shoal_download_set_progress (ShoalDownload *self,
                             guint64        done,
                             guint64        rate,
                             gint64         eta)
{
  g_return_if_fail (SHOAL_IS_DOWNLOAD (self));

  if (self->done != done)
    {
      self->done = done;
      shoal_notify_throttle_mark (&self->progress_notify, PROP_DONE);
    }
  if (self->rate != rate)
    {
      self->rate = rate;
      shoal_notify_throttle_mark (&self->progress_notify, PROP_RATE);
    }
  if (self->eta != eta)
    {
      self->eta = eta;
      shoal_notify_throttle_mark (&self->progress_notify, PROP_ETA);
    }
  shoal_notify_throttle_schedule (&self->progress_notify);
}

void
shoal_download_set_sources (ShoalDownload *self,
                            guint          sources)
{
  g_return_if_fail (SHOAL_IS_DOWNLOAD (self));

  if (self->sources == sources)
    return;
  self->sources = sources;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCES]);
}

void
shoal_download_set_path (ShoalDownload *self,
                         const char    *path)
{
  g_return_if_fail (SHOAL_IS_DOWNLOAD (self));

  if (g_strcmp0 (self->path, path) == 0)
    return;
  g_free (self->path);
  self->path = g_strdup (path);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PATH]);
}

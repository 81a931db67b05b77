/* shoal-upload.c — one upload's properties for front ends, with its
 * progress notifications throttled. */
#include "shoal-upload.h"

#include "shoal-notify-throttle.h"

struct _ShoalUpload
{
  GObject              parent_instance;

  guint64              id;
  char                *peer;
  char                *name;
  char                *urn;
  guint64              size;
  guint64              range_start;
  guint64              range_end;
  guint64              done;
  guint64              rate;
  ShoalUploadState     state;
  char                *user_agent;

  ShoalNotifyThrottle  progress_notify;  /* the range, done and rate */
};

enum
{
  PROP_0,
  PROP_ID,
  PROP_PEER,
  PROP_NAME,
  PROP_URN,
  PROP_SIZE,
  PROP_RANGE_START,
  PROP_RANGE_END,
  PROP_DONE,
  PROP_RATE,
  PROP_STATE,
  PROP_USER_AGENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ShoalUpload, shoal_upload, G_TYPE_OBJECT)
G_DEFINE_ENUM_TYPE (ShoalUploadState, shoal_upload_state,
                    G_DEFINE_ENUM_VALUE (SHOAL_UPLOAD_STATE_SENDING, "sending"),
                    G_DEFINE_ENUM_VALUE (SHOAL_UPLOAD_STATE_WAITING, "waiting"),
                    G_DEFINE_ENUM_VALUE (SHOAL_UPLOAD_STATE_DONE, "done"),
                    G_DEFINE_ENUM_VALUE (SHOAL_UPLOAD_STATE_FAILED, "failed"),
                    G_DEFINE_ENUM_VALUE (SHOAL_UPLOAD_STATE_STOPPED, "stopped"))

/* Throttled notifications ------------------------------------------------- */

static void
set_throttled (ShoalUpload *self,
               guint64     *field,
               guint64      value,
               guint        prop_id)
{
  if (*field == value)
    return;
  *field = value;
  shoal_notify_throttle_mark (&self->progress_notify, prop_id);
}

/* Overrides ---------------------------------------------------------------- */

static void
shoal_upload_dispose (GObject *object)
{
  ShoalUpload *self = SHOAL_UPLOAD (object);

  shoal_notify_throttle_clear (&self->progress_notify);

  G_OBJECT_CLASS (shoal_upload_parent_class)->dispose (object);
}

static void
shoal_upload_finalize (GObject *object)
{
  ShoalUpload *self = SHOAL_UPLOAD (object);

  g_free (self->peer);
  g_free (self->name);
  g_free (self->urn);
  g_free (self->user_agent);

  G_OBJECT_CLASS (shoal_upload_parent_class)->finalize (object);
}

static void
shoal_upload_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  ShoalUpload *self = SHOAL_UPLOAD (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_uint64 (value, self->id);
      break;
    case PROP_PEER:
      g_value_set_string (value, self->peer);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_URN:
      g_value_set_string (value, self->urn);
      break;
    case PROP_SIZE:
      g_value_set_uint64 (value, self->size);
      break;
    case PROP_RANGE_START:
      g_value_set_uint64 (value, self->range_start);
      break;
    case PROP_RANGE_END:
      g_value_set_uint64 (value, self->range_end);
      break;
    case PROP_DONE:
      g_value_set_uint64 (value, self->done);
      break;
    case PROP_RATE:
      g_value_set_uint64 (value, self->rate);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_USER_AGENT:
      g_value_set_string (value, self->user_agent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_upload_class_init (ShoalUploadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = shoal_upload_dispose;
  object_class->finalize = shoal_upload_finalize;
  object_class->get_property = shoal_upload_get_property;

  properties[PROP_ID] =
    g_param_spec_uint64 ("id", NULL, "What names the upload while it is listed",
                         0, G_MAXUINT64, 0, flags);
  properties[PROP_PEER] =
    g_param_spec_string ("peer", NULL, "The downloader's address", NULL, flags);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, "The file's name", NULL, flags);
  properties[PROP_URN] =
    g_param_spec_string ("urn", NULL, "The file's urn:sha1", NULL, flags);
  properties[PROP_SIZE] =
    g_param_spec_uint64 ("size", NULL, "The file's size in bytes",
                         0, G_MAXUINT64, 0, flags);
  properties[PROP_RANGE_START] =
    g_param_spec_uint64 ("range-start", NULL, "First byte the latest request asked for",
                         0, G_MAXUINT64, 0, flags);
  properties[PROP_RANGE_END] =
    g_param_spec_uint64 ("range-end", NULL, "Last byte the latest request asked for",
                         0, G_MAXUINT64, 0, flags);
  properties[PROP_DONE] =
    g_param_spec_uint64 ("done", NULL, "Body bytes sent in full, over every request",
                         0, G_MAXUINT64, 0, flags);
  properties[PROP_RATE] =
    g_param_spec_uint64 ("rate", NULL, "Bytes per second sent, smoothed",
                         0, G_MAXUINT64, 0, flags);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, "Where the upload stands",
                       SHOAL_TYPE_UPLOAD_STATE, SHOAL_UPLOAD_STATE_SENDING, flags);
  properties[PROP_USER_AGENT] =
    g_param_spec_string ("user-agent", NULL, "What the downloader said it is", NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
shoal_upload_init (ShoalUpload *self)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  shoal_notify_throttle_init (&self->progress_notify, G_OBJECT (self), properties, N_PROPS,
                              context, SHOAL_UPLOAD_NOTIFY_INTERVAL_MS);
}

/* Public API ---------------------------------------------------------------- */

guint64
shoal_upload_get_id (ShoalUpload *self)
{
  g_return_val_if_fail (SHOAL_IS_UPLOAD (self), 0);
  return self->id;
}

const char *
shoal_upload_get_peer (ShoalUpload *self)
{
  g_return_val_if_fail (SHOAL_IS_UPLOAD (self), NULL);
  return self->peer;
}

const char *
shoal_upload_get_name (ShoalUpload *self)
{
  g_return_val_if_fail (SHOAL_IS_UPLOAD (self), NULL);
  return self->name;
}

const char *
shoal_upload_get_urn (ShoalUpload *self)
{
  g_return_val_if_fail (SHOAL_IS_UPLOAD (self), NULL);
  return self->urn;
}

guint64
shoal_upload_get_size (ShoalUpload *self)
{
  g_return_val_if_fail (SHOAL_IS_UPLOAD (self), 0);
  return self->size;
}

guint64
shoal_upload_get_range_start (ShoalUpload *self)
{
  g_return_val_if_fail (SHOAL_IS_UPLOAD (self), 0);
  return self->range_start;
}

guint64
shoal_upload_get_range_end (ShoalUpload *self)
{
  g_return_val_if_fail (SHOAL_IS_UPLOAD (self), 0);
  return self->range_end;
}

guint64
shoal_upload_get_done (ShoalUpload *self)
{
  g_return_val_if_fail (SHOAL_IS_UPLOAD (self), 0);
  return self->done;
}

guint64
shoal_upload_get_rate (ShoalUpload *self)
{
  g_return_val_if_fail (SHOAL_IS_UPLOAD (self), 0);
  return self->rate;
}

ShoalUploadState
shoal_upload_get_state (ShoalUpload *self)
{
  g_return_val_if_fail (SHOAL_IS_UPLOAD (self), SHOAL_UPLOAD_STATE_FAILED);
  return self->state;
}

const char *
shoal_upload_get_user_agent (ShoalUpload *self)
{
  g_return_val_if_fail (SHOAL_IS_UPLOAD (self), NULL);
  return self->user_agent;
}

ShoalUpload *
shoal_upload_new (guint64       id,
                  const char   *peer,
                  const char   *name,
                  const guint8  sha1[SHOAL_SHA1_SIZE],
                  guint64       size,
                  const char   *user_agent)
{
  ShoalUpload *self;

  g_return_val_if_fail (id != 0, NULL);
  g_return_val_if_fail (peer != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (sha1 != NULL, NULL);

  self = g_object_new (SHOAL_TYPE_UPLOAD, NULL);
  self->id = id;
  self->peer = g_strdup (peer);
  /* A header is whatever bytes the peer sent; a front end needs UTF-8. */
  self->name = g_utf8_make_valid (name, -1);
  self->urn = shoal_urn_format_sha1 (sha1);
  self->size = size;
  self->user_agent = user_agent != NULL ? g_utf8_make_valid (user_agent, -1) : NULL;
  return self;
}

void
shoal_upload_set_progress (ShoalUpload *self,
                           guint64      range_start,
                           guint64      range_end,
                           guint64      done,
                           guint64      rate)
{
  g_return_if_fail (SHOAL_IS_UPLOAD (self));

  set_throttled (self, &self->range_start, range_start, PROP_RANGE_START);
  set_throttled (self, &self->range_end, range_end, PROP_RANGE_END);
  set_throttled (self, &self->done, done, PROP_DONE);
  set_throttled (self, &self->rate, rate, PROP_RATE);
  shoal_notify_throttle_schedule (&self->progress_notify);
}

void
shoal_upload_set_state (ShoalUpload      *self,
                        ShoalUploadState  state)
{
  g_return_if_fail (SHOAL_IS_UPLOAD (self));

  shoal_notify_throttle_flush_now (&self->progress_notify);
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

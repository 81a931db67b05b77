/* shoal-notify-throttle.h — property notifications batched and sent at
 * most once per interval, for values that change many times a second
 * (progress, rates) that a front end would redraw on every notify. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The pending set is a bit mask over property ids. */
#define SHOAL_NOTIFY_THROTTLE_MAX_PROPERTIES 32

/* A plain struct the object embeds: initialized in its init, cleared in
 * its dispose. */
typedef struct
{
  GObject       *object;            /* borrowed: the throttle lives inside it */
  GParamSpec   **properties;        /* the class's table, by property id */
  GMainContext  *context;           /* where a delayed batch is sent */
  gint64         interval_usec;
  guint32        pending;           /* bit N: property N not notified yet */
  gint64         last_notify_usec;
  GSource       *flush_source;
} ShoalNotifyThrottle;

/* @properties: the class's GParamSpec table indexed by property id, of
 * at most SHOAL_NOTIFY_THROTTLE_MAX_PROPERTIES entries; it must outlive
 * the throttle (a class's static table does). A delayed batch is sent
 * from @context. */
void shoal_notify_throttle_init      (ShoalNotifyThrottle  *throttle,
                                      GObject              *object,
                                      GParamSpec          **properties,
                                      guint                 n_properties,
                                      GMainContext         *context,
                                      guint                 interval_ms);
/* Queues the notification of property @prop_id; nothing is sent before
 * shoal_notify_throttle_schedule(), so the changes of one update go out
 * together. */
void shoal_notify_throttle_mark      (ShoalNotifyThrottle  *throttle,
                                      guint                 prop_id);
/* Sends what is queued now if the last batch is at least an interval
 * old, else once it is. */
void shoal_notify_throttle_schedule  (ShoalNotifyThrottle  *throttle);
/* Sends what is queued now, if anything: before a change that must not
 * overtake it (a new state after the last progress). */
void shoal_notify_throttle_flush_now (ShoalNotifyThrottle  *throttle);
/* Drops the pending timer and the context. Idempotent; what is queued
 * afterwards is sent at once, there being no loop to wait on. */
void shoal_notify_throttle_clear     (ShoalNotifyThrottle  *throttle);

G_END_DECLS

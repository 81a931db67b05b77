/* shoald-log.h — where shoald's log goes (the journal when stderr is
 * connected to it, else timestamped lines to the log file or stderr),
 * reopened on SIGHUP for logrotate; and the readiness notifications a
 * systemd service of Type=notify sends, without libsystemd. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A log file is created with this mode (the umask applies). */
#define SHOALD_LOG_FILE_MODE 0640

/* Makes shoald_log_writer() GLib's writer; once per process, before
 * threads log. */
void             shoald_log_install  (void);

/* Appends the log to @path from now on; NULL or "": stderr, or the
 * journal. The old destination stays when @path cannot be opened. */
gboolean         shoald_log_set_file (const char  *path,
                                      GError     **error);
/* Opens the log file's path again: after logrotate renamed it, the
 * lines go to a new file there. Nothing to do without a log file. */
gboolean         shoald_log_reopen   (GError **error);

/* Drops what G_MESSAGES_DEBUG does not ask for, then writes one line
 * "2024-05-01 12:00:00.123 domain-LEVEL: message" to the log file, or
 * the fields to the journal, or the line to stderr. Safe from any
 * thread. */
GLogWriterOutput shoald_log_writer   (GLogLevelFlags   log_level,
                                      const GLogField *fields,
                                      gsize            n_fields,
                                      gpointer         user_data);

/* sd_notify(3)'s protocol: @state ("READY=1", "STOPPING=1"...) in one
 * datagram to $NOTIFY_SOCKET. FALSE when it is not set (not started by
 * systemd as Type=notify) or the datagram could not be sent. */
gboolean         shoald_notify       (const char *state);
/* "RELOADING=1" with the MONOTONIC_USEC= systemd asks for along with it;
 * "READY=1" says the reload is over. */
gboolean         shoald_notify_reloading (void);

G_END_DECLS

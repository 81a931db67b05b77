/* shoal-data-lock.h — one Shoal per data folder: two servents sharing a
 * library database, a host cache and partial downloads would corrupt
 * each other's work, so the second one refuses to start. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SHOAL_DATA_LOCK_FILE "shoal.lock"

typedef struct _ShoalDataLock ShoalDataLock;

/* Takes the lock on @data_dir (created if missing), writing our pid in
 * it. Fails with G_IO_ERROR_BUSY, saying which process holds it, when
 * another process does; the lock goes with the process, so a crash never
 * leaves a stale one behind. */
ShoalDataLock *shoal_data_lock_acquire (const char  *data_dir,
                                        GError     **error);
void           shoal_data_lock_release (ShoalDataLock *lock);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalDataLock, shoal_data_lock_release)

G_END_DECLS

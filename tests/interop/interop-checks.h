/* interop-checks.h — the fields the capture's README names, checked file by file. */
#pragma once

#include "shoal-handshake.h"
#include "shoal-message.h"

/* Checks what is known about @relative (a path below the vectors folder). */
void interop_check_named_fields          (const char         *relative,
                                          const ShoalMessage *message);
/* Fails unless every file with named checks was met by the walk. */
void interop_check_all_named_files_seen  (void);
void interop_check_header_block          (const char             *where,
                                          const ShoalHeaderBlock *block);

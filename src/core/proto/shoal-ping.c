/* shoal-ping.c — ping (0x00) and the GGEP tail of ping, pong and push. */
#include "shoal-ping.h"

#include "shoal-bytes.h"
#include "shoal-proto-error.h"

#define SCP_ID "SCP"

gboolean
shoal_trailing_ggep_parse (const guint8 *data,
                           gsize         length,
                           const char   *what,
                           ShoalGgep   **ggep,
                           GError      **error)
{
  g_autoptr(ShoalGgep) block = NULL;
  g_autoptr(GError) ggep_error = NULL;
  gsize consumed;

  *ggep = NULL;
  if (length == 0)
    return TRUE;
  if (length > SHOAL_TRAILING_GGEP_MAX_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "%s GGEP tail is %" G_GSIZE_FORMAT " bytes, at most %d "
                   "allowed", what, length, SHOAL_TRAILING_GGEP_MAX_SIZE);
      return FALSE;
    }
  block = shoal_ggep_parse (data, length, &consumed, &ggep_error);
  if (block == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&ggep_error),
                                  "%s extra bytes are not a GGEP block: ",
                                  what);
      return FALSE;
    }
  if (consumed != length)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "%s has %" G_GSIZE_FORMAT " bytes after its GGEP block",
                   what, length - consumed);
      return FALSE;
    }
  *ggep = g_steal_pointer (&block);
  return TRUE;
}

gboolean
shoal_trailing_ggep_write (const ShoalGgep *ggep,
                           const char      *what,
                           GByteArray      *out,
                           GError         **error)
{
  g_autoptr(GByteArray) block = NULL;

  if (ggep == NULL)
    return TRUE;
  block = g_byte_array_new ();
  if (!shoal_ggep_write (ggep, block, error))
    return FALSE;
  if (block->len > SHOAL_TRAILING_GGEP_MAX_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "%s GGEP tail would be %u bytes, at most %d allowed",
                   what, block->len, SHOAL_TRAILING_GGEP_MAX_SIZE);
      return FALSE;
    }
  shoal_bytes_append (out, block->data, block->len);
  return TRUE;
}

ShoalPing *
shoal_ping_new (void)
{
  return g_new0 (ShoalPing, 1);
}

void
shoal_ping_free (ShoalPing *ping)
{
  if (ping == NULL)
    return;
  g_clear_pointer (&ping->ggep, shoal_ggep_free);
  g_free (ping);
}

ShoalPing *
shoal_ping_parse (const guint8 *data,
                  gsize         length,
                  GError      **error)
{
  g_autoptr(ShoalPing) ping = shoal_ping_new ();

  if (!shoal_trailing_ggep_parse (data, length, "ping", &ping->ggep, error))
    return NULL;
  return g_steal_pointer (&ping);
}

gboolean
shoal_ping_write (const ShoalPing *ping,
                  GByteArray      *out,
                  GError         **error)
{
  return shoal_trailing_ggep_write (ping->ggep, "ping", out, error);
}

void
shoal_ping_add_scp (ShoalPing *ping,
                    guint8     flags)
{
  if (ping->ggep == NULL)
    ping->ggep = shoal_ggep_new ();
  shoal_ggep_add (ping->ggep, SCP_ID, &flags, 1, SHOAL_GGEP_ENCODING_NONE);
}

gboolean
shoal_ping_get_scp (const ShoalPing *ping,
                    guint8          *flags)
{
  const ShoalGgepExtension *scp;
  ShoalByteReader reader;
  gsize length;
  const guint8 *data;

  if (ping->ggep == NULL)
    return FALSE;
  scp = shoal_ggep_find (ping->ggep, SCP_ID);
  if (scp == NULL)
    return FALSE;
  data = g_bytes_get_data (scp->data, &length);
  shoal_byte_reader_init (&reader, data, length);
  *flags = 0;
  /* The flags byte is optional (gnutella-0.6.md §5.3). */
  shoal_byte_reader_read_u8 (&reader, flags);
  return TRUE;
}

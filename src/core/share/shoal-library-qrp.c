/* shoal-library-qrp.c — the library's Query Routing table, kept up to date
 * file by file. */
#include "shoal-library-qrp.h"

#include "shoal-qrp-keywords.h"
#include "shoal-urn.h"

struct _ShoalLibraryQrp
{
  guint    bits;
  guint32  slots;
  guint32  present;
  guint32 *counts;  /* files whose keywords hash to each slot */
};

ShoalLibraryQrp *
shoal_library_qrp_new (guint bits)
{
  ShoalLibraryQrp *qrp;

  g_return_val_if_fail (bits >= 1 && bits <= SHOAL_QRP_MAX_TABLE_BITS, NULL);

  qrp = g_new0 (ShoalLibraryQrp, 1);
  qrp->bits = bits;
  qrp->slots = 1u << bits;
  qrp->counts = g_new0 (guint32, qrp->slots);
  return qrp;
}

void
shoal_library_qrp_free (ShoalLibraryQrp *qrp)
{
  if (qrp == NULL)
    return;
  g_free (qrp->counts);
  g_free (qrp);
}

/* The slots a file claims: one per distinct keyword, plus its URN. */
static GArray *
file_slots (const ShoalLibraryQrp *qrp,
            const char            *name,
            const guint8          *sha1)
{
  g_autoptr(GHashTable) keywords = shoal_qrp_keyword_set_new ();
  g_autoptr(GError) error = NULL;
  GArray *slots = g_array_new (FALSE, FALSE, sizeof (guint32));
  GHashTableIter iter;
  gpointer word;

  /* The scanner only indexes UTF-8 names, so a failure here means a name
   * longer than the keyword limit: it is shared, just not routed to. */
  if (!shoal_qrp_add_name_keywords (keywords, name, -1, &error))
    g_debug ("no QRP keywords for \"%s\": %s", name, error->message);
  g_hash_table_iter_init (&iter, keywords);
  while (g_hash_table_iter_next (&iter, &word, NULL))
    {
      guint32 slot = shoal_qrp_hash (word, -1, qrp->bits);

      g_array_append_val (slots, slot);
    }
  if (sha1 != NULL)
    {
      g_autofree char *urn = shoal_urn_format_sha1 (sha1);
      guint32 code, slot;

      if (shoal_qrp_urn_hash_code (urn, -1, &code, NULL))
        {
          slot = shoal_qrp_hash_restrict (code, qrp->bits);
          g_array_append_val (slots, slot);
        }
    }
  return slots;
}

void
shoal_library_qrp_add_file (ShoalLibraryQrp *qrp,
                            const char      *name,
                            const guint8    *sha1)
{
  g_autoptr(GArray) slots = file_slots (qrp, name, sha1);

  for (guint i = 0; i < slots->len; i++)
    {
      guint32 slot = g_array_index (slots, guint32, i);

      if (qrp->counts[slot]++ == 0)
        qrp->present++;
    }
}

void
shoal_library_qrp_remove_file (ShoalLibraryQrp *qrp,
                               const char      *name,
                               const guint8    *sha1)
{
  g_autoptr(GArray) slots = file_slots (qrp, name, sha1);

  for (guint i = 0; i < slots->len; i++)
    {
      guint32 slot = g_array_index (slots, guint32, i);

      /* Removing what was never added is a caller's bug; do not wrap. */
      g_return_if_fail (qrp->counts[slot] > 0);
      if (--qrp->counts[slot] == 0)
        qrp->present--;
    }
}

guint
shoal_library_qrp_get_bits (const ShoalLibraryQrp *qrp)
{
  return qrp->bits;
}

guint32
shoal_library_qrp_count_present (const ShoalLibraryQrp *qrp)
{
  return qrp->present;
}

double
shoal_library_qrp_get_fill_ratio (const ShoalLibraryQrp *qrp)
{
  return (double) qrp->present / qrp->slots;
}

ShoalQrpTable *
shoal_library_qrp_build_table (const ShoalLibraryQrp *qrp,
                               guint8                 infinity)
{
  ShoalQrpTable *table = shoal_qrp_table_new (qrp->slots, infinity, NULL);

  g_return_val_if_fail (table != NULL, NULL);
  for (guint32 slot = 0; slot < qrp->slots; slot++)
    if (qrp->counts[slot] > 0)
      shoal_qrp_table_set_present (table, slot);
  return table;
}

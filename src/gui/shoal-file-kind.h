/* shoal-file-kind.h — what sort of file a name is, guessed from its
 * extension: what the Type column shows and the type filter picks. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SHOAL_FILE_KIND_OTHER,
  SHOAL_FILE_KIND_AUDIO,
  SHOAL_FILE_KIND_VIDEO,
  SHOAL_FILE_KIND_IMAGE,
  SHOAL_FILE_KIND_DOCUMENT,
  SHOAL_FILE_KIND_ARCHIVE,
  SHOAL_FILE_KIND_PROGRAM,
  SHOAL_FILE_N_KINDS,
} ShoalFileKind;

/* By the extension after the last '.', in any case; OTHER without one. */
ShoalFileKind  shoal_file_kind_from_name     (const char    *name);
/* "Audio", "Video"… translated. */
const char    *shoal_file_kind_get_label     (ShoalFileKind  kind);
/* A symbolic icon of the Adwaita theme. */
const char    *shoal_file_kind_get_icon_name (ShoalFileKind  kind);

G_END_DECLS

/* shoal-file-kind.c — the sort of a file, from its extension. */
#include "shoal-file-kind.h"

#include <glib/gi18n.h>
#include <string.h>

/* Longer extensions than this name no kind we know. */
#define EXTENSION_MAX_LENGTH 16

typedef struct
{
  const char    *extension;
  ShoalFileKind  kind;
} ExtensionKind;

/* What people share on Gnutella, by the extensions they give it. */
static const ExtensionKind extension_kinds[] = {
  { "aac", SHOAL_FILE_KIND_AUDIO },
  { "aif", SHOAL_FILE_KIND_AUDIO },
  { "aiff", SHOAL_FILE_KIND_AUDIO },
  { "ape", SHOAL_FILE_KIND_AUDIO },
  { "flac", SHOAL_FILE_KIND_AUDIO },
  { "m4a", SHOAL_FILE_KIND_AUDIO },
  { "mid", SHOAL_FILE_KIND_AUDIO },
  { "midi", SHOAL_FILE_KIND_AUDIO },
  { "mka", SHOAL_FILE_KIND_AUDIO },
  { "mp2", SHOAL_FILE_KIND_AUDIO },
  { "mp3", SHOAL_FILE_KIND_AUDIO },
  { "mpc", SHOAL_FILE_KIND_AUDIO },
  { "oga", SHOAL_FILE_KIND_AUDIO },
  { "ogg", SHOAL_FILE_KIND_AUDIO },
  { "opus", SHOAL_FILE_KIND_AUDIO },
  { "wav", SHOAL_FILE_KIND_AUDIO },
  { "wma", SHOAL_FILE_KIND_AUDIO },
  { "3gp", SHOAL_FILE_KIND_VIDEO },
  { "avi", SHOAL_FILE_KIND_VIDEO },
  { "divx", SHOAL_FILE_KIND_VIDEO },
  { "flv", SHOAL_FILE_KIND_VIDEO },
  { "m4v", SHOAL_FILE_KIND_VIDEO },
  { "mkv", SHOAL_FILE_KIND_VIDEO },
  { "mov", SHOAL_FILE_KIND_VIDEO },
  { "mp4", SHOAL_FILE_KIND_VIDEO },
  { "mpeg", SHOAL_FILE_KIND_VIDEO },
  { "mpg", SHOAL_FILE_KIND_VIDEO },
  { "ogv", SHOAL_FILE_KIND_VIDEO },
  { "ts", SHOAL_FILE_KIND_VIDEO },
  { "vob", SHOAL_FILE_KIND_VIDEO },
  { "webm", SHOAL_FILE_KIND_VIDEO },
  { "wmv", SHOAL_FILE_KIND_VIDEO },
  { "bmp", SHOAL_FILE_KIND_IMAGE },
  { "gif", SHOAL_FILE_KIND_IMAGE },
  { "heic", SHOAL_FILE_KIND_IMAGE },
  { "ico", SHOAL_FILE_KIND_IMAGE },
  { "jpeg", SHOAL_FILE_KIND_IMAGE },
  { "jpg", SHOAL_FILE_KIND_IMAGE },
  { "png", SHOAL_FILE_KIND_IMAGE },
  { "psd", SHOAL_FILE_KIND_IMAGE },
  { "svg", SHOAL_FILE_KIND_IMAGE },
  { "tif", SHOAL_FILE_KIND_IMAGE },
  { "tiff", SHOAL_FILE_KIND_IMAGE },
  { "webp", SHOAL_FILE_KIND_IMAGE },
  { "xcf", SHOAL_FILE_KIND_IMAGE },
  { "chm", SHOAL_FILE_KIND_DOCUMENT },
  { "csv", SHOAL_FILE_KIND_DOCUMENT },
  { "djvu", SHOAL_FILE_KIND_DOCUMENT },
  { "doc", SHOAL_FILE_KIND_DOCUMENT },
  { "docx", SHOAL_FILE_KIND_DOCUMENT },
  { "epub", SHOAL_FILE_KIND_DOCUMENT },
  { "htm", SHOAL_FILE_KIND_DOCUMENT },
  { "html", SHOAL_FILE_KIND_DOCUMENT },
  { "md", SHOAL_FILE_KIND_DOCUMENT },
  { "mobi", SHOAL_FILE_KIND_DOCUMENT },
  { "odp", SHOAL_FILE_KIND_DOCUMENT },
  { "ods", SHOAL_FILE_KIND_DOCUMENT },
  { "odt", SHOAL_FILE_KIND_DOCUMENT },
  { "pdf", SHOAL_FILE_KIND_DOCUMENT },
  { "ppt", SHOAL_FILE_KIND_DOCUMENT },
  { "pptx", SHOAL_FILE_KIND_DOCUMENT },
  { "ps", SHOAL_FILE_KIND_DOCUMENT },
  { "rtf", SHOAL_FILE_KIND_DOCUMENT },
  { "tex", SHOAL_FILE_KIND_DOCUMENT },
  { "txt", SHOAL_FILE_KIND_DOCUMENT },
  { "xls", SHOAL_FILE_KIND_DOCUMENT },
  { "xlsx", SHOAL_FILE_KIND_DOCUMENT },
  { "7z", SHOAL_FILE_KIND_ARCHIVE },
  { "bz2", SHOAL_FILE_KIND_ARCHIVE },
  { "cab", SHOAL_FILE_KIND_ARCHIVE },
  { "gz", SHOAL_FILE_KIND_ARCHIVE },
  { "iso", SHOAL_FILE_KIND_ARCHIVE },
  { "lz", SHOAL_FILE_KIND_ARCHIVE },
  { "rar", SHOAL_FILE_KIND_ARCHIVE },
  { "tar", SHOAL_FILE_KIND_ARCHIVE },
  { "tgz", SHOAL_FILE_KIND_ARCHIVE },
  { "xz", SHOAL_FILE_KIND_ARCHIVE },
  { "zip", SHOAL_FILE_KIND_ARCHIVE },
  { "zst", SHOAL_FILE_KIND_ARCHIVE },
  { "apk", SHOAL_FILE_KIND_PROGRAM },
  { "appimage", SHOAL_FILE_KIND_PROGRAM },
  { "bat", SHOAL_FILE_KIND_PROGRAM },
  { "deb", SHOAL_FILE_KIND_PROGRAM },
  { "dmg", SHOAL_FILE_KIND_PROGRAM },
  { "exe", SHOAL_FILE_KIND_PROGRAM },
  { "flatpak", SHOAL_FILE_KIND_PROGRAM },
  { "jar", SHOAL_FILE_KIND_PROGRAM },
  { "msi", SHOAL_FILE_KIND_PROGRAM },
  { "rpm", SHOAL_FILE_KIND_PROGRAM },
  { "run", SHOAL_FILE_KIND_PROGRAM },
  { "sh", SHOAL_FILE_KIND_PROGRAM },
};

static const struct
{
  const char *label;
  const char *icon_name;
} kind_info[SHOAL_FILE_N_KINDS] = {
  [SHOAL_FILE_KIND_OTHER]    = { N_("Other"), "text-x-generic-symbolic" },
  [SHOAL_FILE_KIND_AUDIO]    = { N_("Audio"), "audio-x-generic-symbolic" },
  [SHOAL_FILE_KIND_VIDEO]    = { N_("Video"), "video-x-generic-symbolic" },
  [SHOAL_FILE_KIND_IMAGE]    = { N_("Image"), "image-x-generic-symbolic" },
  [SHOAL_FILE_KIND_DOCUMENT] = { N_("Document"), "x-office-document-symbolic" },
  [SHOAL_FILE_KIND_ARCHIVE]  = { N_("Archive"), "package-x-generic-symbolic" },
  [SHOAL_FILE_KIND_PROGRAM]  = { N_("Program"), "application-x-executable-symbolic" },
};

ShoalFileKind
shoal_file_kind_from_name (const char *name)
{
  const char *dot;
  char extension[EXTENSION_MAX_LENGTH + 1];
  gsize length;

  g_return_val_if_fail (name != NULL, SHOAL_FILE_KIND_OTHER);

  dot = strrchr (name, '.');
  if (dot == NULL || dot == name)
    return SHOAL_FILE_KIND_OTHER;
  length = strlen (dot + 1);
  if (length == 0 || length > EXTENSION_MAX_LENGTH)
    return SHOAL_FILE_KIND_OTHER;
  for (gsize i = 0; i <= length; i++)
    extension[i] = g_ascii_tolower (dot[1 + i]);
  for (guint i = 0; i < G_N_ELEMENTS (extension_kinds); i++)
    if (strcmp (extension_kinds[i].extension, extension) == 0)
      return extension_kinds[i].kind;
  return SHOAL_FILE_KIND_OTHER;
}

const char *
shoal_file_kind_get_label (ShoalFileKind kind)
{
  g_return_val_if_fail (kind < SHOAL_FILE_N_KINDS, NULL);
  return _(kind_info[kind].label);
}

const char *
shoal_file_kind_get_icon_name (ShoalFileKind kind)
{
  g_return_val_if_fail (kind < SHOAL_FILE_N_KINDS, NULL);
  return kind_info[kind].icon_name;
}

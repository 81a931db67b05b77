/* shoald-api-token.h — the control API's secret and where clients find
 * the API: DATA_DIR/api-token (0600, made on first start) and
 * DATA_DIR/api-endpoint (the base URL, while the API is up). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SHOALD_API_TOKEN_FILE "api-token"
#define SHOALD_API_ENDPOINT_FILE "api-endpoint"
/* Random bytes in a token; written as twice as many hex digits. */
#define SHOALD_API_TOKEN_BYTES 32

/* Reads the token, or makes one (from the system's random source) and
 * writes it readable by its owner only. A file readable by others is
 * refused: the token may have leaked. */
char     *shoald_api_token_load_or_create (const char  *data_dir,
                                           GError     **error);
/* Reads the token as a client does (no creating). */
char     *shoald_api_token_load           (const char  *data_dir,
                                           GError     **error);

/* Writes (atomically) or removes DATA_DIR/api-endpoint. */
gboolean  shoald_api_endpoint_write       (const char  *data_dir,
                                           const char  *url,
                                           GError     **error);
void      shoald_api_endpoint_remove      (const char  *data_dir);
/* The URL written, trimmed; NULL (G_FILE_ERROR_NOENT) when the API is not up. */
char     *shoald_api_endpoint_read        (const char  *data_dir,
                                           GError     **error);

G_END_DECLS

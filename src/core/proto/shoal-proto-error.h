/* shoal-proto-error.h — the error domain every codec in proto/ reports in. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SHOAL_PROTO_ERROR (shoal_proto_error_quark ())

/**
 * ShoalProtoError:
 * @SHOAL_PROTO_ERROR_TRUNCATED: the input ends before a field it announces
 * @SHOAL_PROTO_ERROR_TOO_LARGE: a length, count or size exceeds a protocol limit
 * @SHOAL_PROTO_ERROR_MALFORMED: a field holds a value the format forbids
 * @SHOAL_PROTO_ERROR_UNSUPPORTED: well formed, but a variant we do not speak
 * @SHOAL_PROTO_ERROR_COMPRESSION: a zlib stream is corrupt or ends early
 *
 * A caller acts on these: a link drops a TRUNCATED or MALFORMED message and
 * counts it, a TOO_LARGE one may cost the peer its link (BYE 400).
 */
typedef enum
{
  SHOAL_PROTO_ERROR_TRUNCATED,
  SHOAL_PROTO_ERROR_TOO_LARGE,
  SHOAL_PROTO_ERROR_MALFORMED,
  SHOAL_PROTO_ERROR_UNSUPPORTED,
  SHOAL_PROTO_ERROR_COMPRESSION,
} ShoalProtoError;

GQuark shoal_proto_error_quark (void);

G_END_DECLS

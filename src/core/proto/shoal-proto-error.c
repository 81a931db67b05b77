/* shoal-proto-error.c — the error domain every codec in proto/ reports in. */
#include "shoal-proto-error.h"

G_DEFINE_QUARK (shoal-proto-error-quark, shoal_proto_error)

/* shoal-net-types.c — what the net layer's parts share. */
#include "shoal-net-types.h"

G_DEFINE_QUARK (shoal-net-error-quark, shoal_net_error)

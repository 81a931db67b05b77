/* shoal-test-nat.h — a NAT in a test: a node dials the NAT's inside
 * address, the NAT dials the target from its outside address and relays
 * both ways. Whoever tries to reach the node back at the address its
 * connection came from finds nobody: what a firewalled host looks like
 * on loopback. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _ShoalTestNat ShoalTestNat;

/* Listens on @inside_address:SHOAL_TEST_NODE_PORT and relays each
 * connection to @target_address:SHOAL_TEST_NODE_PORT, connecting from
 * @outside_address. Runs on the default main context. */
ShoalTestNat *shoal_test_nat_new  (const char *inside_address,
                                   const char *outside_address,
                                   const char *target_address);
void          shoal_test_nat_free (ShoalTestNat *nat);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalTestNat, shoal_test_nat_free)

G_END_DECLS

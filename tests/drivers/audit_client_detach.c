/* audit_client_detach.c - audit_client.c built with AUDIT_RECORD_IN_DETACH (docs/SWEEP.md, sixth sweep). */
#define AUDIT_RECORD_IN_DETACH
#include "audit_client.c"

/* refs_client_racy.c - refs_client.c built with REFS_CHECK_THEN_ACT (docs/KERNEL.md, "atomics preempt"). */
#define REFS_CHECK_THEN_ACT
#include "refs_client.c"

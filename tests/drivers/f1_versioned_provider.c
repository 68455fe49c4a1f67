/* f1_versioned_provider.c - f1_provider.c (needs its client bound inside
 * NmrRegisterProvider: F1) with its registration instance's Version set to
 * 1, as shipped drivers do: every run carries advisory M22, and the
 * freedom check (nmr-explore --freedoms) must still judge its runs clean
 * and report M23 (tests/test_freedoms.sh). */
#define F1_PROVIDER_INSTANCE_VERSION 1
#include "f1_provider.c"

/* f1_provider_good.c - the correct twin of f1_provider.c: the same provider
 * without the assumption that its client binds inside NmrRegisterProvider
 * (it serves the client whenever NMR attaches it). Clean under every
 * freedom: corpus/kernel/F1-good.nmr. */
#define F1_PROVIDER_NEEDS_CLIENT 0
#include "f1_provider.c"

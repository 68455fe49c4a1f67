/* m02_versioned_provider.c - npi_provider.c, a provider of the Example NPI
 * whose NPI_PROVIDER_CHARACTERISTICS.Version is 1, as ntosebpfext's
 * netevent_sim sets it (NPI_PROVIDER_CHARACTERISTICS_VERSION). Windows
 * binds it, but the catalogue's M02 names "Version != 0" among the malformed
 * characteristics (the pages: a module should set it to zero), and a rule
 * ID's meaning never changes: M02, through the hosted registration path
 * (corpus/kernel/M02-version.nmr). */
#define PROVIDER_CHARACTERISTICS_VERSION 1
#include "npi_provider.c"

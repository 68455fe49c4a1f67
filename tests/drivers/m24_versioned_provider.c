/* m24_versioned_provider.c - npi_provider.c, a correct provider of the
 * Example NPI whose NPI_PROVIDER_CHARACTERISTICS.Version is 1, as
 * ntosebpfext's netevent_sim sets it (NPI_PROVIDER_CHARACTERISTICS_VERSION)
 * and Windows binds it. With npi_client: the advisory M24 and nothing else
 * (corpus/kernel/M24-version.nmr); it was M02, a violation, before M24. */
#define PROVIDER_CHARACTERISTICS_VERSION 1
#include "npi_provider.c"

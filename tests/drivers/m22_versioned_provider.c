/* m22_versioned_provider.c - npi_provider.c, a correct provider of the
 * Example NPI, built the way shipped drivers are: its registration
 * instance's Version carries its own NPI binding-protocol version, 1
 * (documented as 0; Windows registers and binds it). With npi_client: the
 * advisory M22 and nothing else (corpus/kernel/M22-version.nmr), never M02. */
#define PROVIDER_INSTANCE_VERSION 1 /* this provider's binding protocol version */
#include "npi_provider.c"

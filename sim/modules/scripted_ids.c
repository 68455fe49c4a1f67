/* scripted_ids.c - the scripted modules' identities in memory: the NPIs a
 * scenario names, and which characteristics are a scripted module's (the
 * front reads those without memory checks, nmr.h engine_chars). */
#include "modules/scripted.h"

/* The NPIs a scenario can name: index -> NPIID. */
const GUID scripted_npi_guids[SCN_NPIS_MAX] = {
	{ 0x2227e804, 0x8d8b, 0x11d4, { 0xab, 0xad, 0x00, 0x90, 0x27, 0x71, 0x9e, 0x01 } },
	{ 0x2227e804, 0x8d8b, 0x11d4, { 0xab, 0xad, 0x00, 0x90, 0x27, 0x71, 0x9e, 0x02 } },
	{ 0x2227e804, 0x8d8b, 0x11d4, { 0xab, 0xad, 0x00, 0x90, 0x27, 0x71, 0x9e, 0x03 } },
	{ 0x2227e804, 0x8d8b, 0x11d4, { 0xab, 0xad, 0x00, 0x90, 0x27, 0x71, 0x9e, 0x04 } },
};

bool scripted_owns_chars(const void *run, enum nmr_role role, const void *chars)
{
	const struct scripted_run *r = run;
	uintptr_t p = (uintptr_t)chars, lo = (uintptr_t)&r->modules[0];
	if (p < lo || p >= (uintptr_t)&r->modules[r->scn->nmodules])
		return false;
	const struct scripted_module *m = &r->modules[(p - lo) / sizeof *m];
	if (chars != (const void *)&m->chars)
		return false;
	/* Its IDs as module_init set them (or NULL): engine memory too. */
	const NPI_REGISTRATION_INSTANCE *ri = role == NMR_CLIENT ? &m->chars.client.ClientRegistrationInstance
								 : &m->chars.provider.ProviderRegistrationInstance;
	uintptr_t npi = (uintptr_t)ri->NpiId;
	return (!npi || (npi >= (uintptr_t)&scripted_npi_guids[0] && npi < (uintptr_t)&scripted_npi_guids[SCN_NPIS_MAX])) &&
	       (!ri->ModuleId || ri->ModuleId == &m->module_id);
}

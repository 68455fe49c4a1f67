#include "core/rules.h"

#include <string.h>

static const struct rule_info rule_table[RULE_COUNT] = {
	[RULE_NONE] = { "-", "none", "no rule" },
	[RULE_M01] = { "M01", "register-irql", "NmrRegisterClient/NmrRegisterProvider must be called at PASSIVE_LEVEL." },
	[RULE_M02] = { "M02", "register-characteristics", "Characteristics need Version 0, Length/Size covering the structure, attach and detach callbacks, NpiId and ModuleId." },
	[RULE_M03] = { "M03", "characteristics-changed", "The characteristics and what they point to must stay unchanged until the deregistration wait returned." },
	[RULE_M04] = { "M04", "deregister-handle", "NmrDeregister* takes a live registration handle of that role, returned by NmrRegister* and not yet deregistered." },
	[RULE_M05] = { "M05", "deregister-irql", "NmrDeregister* must be called at IRQL <= DISPATCH_LEVEL." },
	[RULE_M06] = { "M06", "wait-before-deregister", "NmrWaitFor*DeregisterComplete is called only after NmrDeregister* (else STATUS_INVALID_PARAMETER)." },
	[RULE_M07] = { "M07", "wait-handle", "NmrWaitFor*DeregisterComplete takes a valid handle of that role whose wait has not returned yet." },
	[RULE_M08] = { "M08", "wait-irql", "NmrWaitFor*DeregisterComplete must be called at IRQL < DISPATCH_LEVEL." },
	[RULE_M09] = { "M09", "wait-in-callback", "Waiting for a deregistration from inside an NMR callback deadlocks: the wait needs that callback to finish." },
	[RULE_M10] = { "M10", "block-in-detach", "Detach and cleanup callbacks may run at DISPATCH_LEVEL and must not block." },
	[RULE_M11] = { "M11", "attach-outside-callback", "NmrClientAttachProvider is called only from ClientAttachProvider, with the binding handle that callback received." },
	[RULE_M12] = { "M12", "attach-status", "ClientAttachProvider returns SUCCESS only after a successful NmrClientAttachProvider, and otherwise the status it got." },
	[RULE_M13] = { "M13", "attach-outputs", "ProviderAttachClient returning SUCCESS must set *ProviderBindingContext and *ProviderDispatch." },
	[RULE_M14] = { "M14", "detach-status", "A detach callback returns STATUS_SUCCESS or STATUS_PENDING only." },
	[RULE_M15] = { "M15", "complete-unexpected", "Nmr*DetachComplete is called once, and only for a detach callback that returned (or will return) STATUS_PENDING." },
	[RULE_M16] = { "M16", "complete-handle", "Nmr*DetachComplete takes a live binding handle of the caller's side." },
	[RULE_M17] = { "M17", "pending-forever", "A detach callback that returned STATUS_PENDING must be followed by the matching Nmr*DetachComplete." },
	[RULE_M18] = { "M18", "call-after-detach", "A module must not call its peer's dispatch table after its own detach of that binding completed." },
	[RULE_M19] = { "M19", "binding-after-cleanup", "A binding (Complete, dispatch, binding context) must not be used after that side's cleanup callback ran." },
	[RULE_M20] = { "M20", "unload-while-registered", "A module must not return from Unload until every deregistration is complete (NmrWaitFor*DeregisterComplete returned)." },
	[RULE_M21] = { "M21", "unload-leak", "Memory, work items, timers and locks a module took must be released when Unload returns." },
	[RULE_K01] = { "K01", "irql-mismatch", "A routine runs at or below its documented IRQL; a callback returns at the IRQL it was entered at." },
	[RULE_K02] = { "K02", "spinlock-misuse", "Spin locks: no recursive acquire, release only when held, at the right IRQL, none held when a callback or Unload returns." },
	[RULE_K03] = { "K03", "wait-at-dispatch", "No wait with a non-zero timeout at DISPATCH_LEVEL or above." },
	[RULE_K04] = { "K04", "rundown-misuse", "Rundown protection: no more releases than acquires, one wait, no re-initialisation in use." },
	[RULE_K05] = { "K05", "pool-misuse", "Pool: no double free, no free of foreign memory, the tag on free matches, no access to a freed block." },
	[RULE_K06] = { "K06", "work-after-unload", "No module code runs after its Unload returned (DPCs, timers, work items, system threads)." },
	[RULE_R01] = { "R01", "attach-npi", "NMR offers a client only providers of the NPI it registered for." },
	[RULE_R02] = { "R02", "attach-duplicate", "NMR offers a client/provider pair at most one binding at a time." },
	[RULE_R03] = { "R03", "attach-after-deregister", "NMR offers no new attach to a module after its NmrDeregister* returned." },
	[RULE_R04] = { "R04", "detach-missing", "A deregistration completes only after every binding of it was detached on both sides." },
	[RULE_R05] = { "R05", "detach-duplicate", "NMR calls each side's detach callback at most once per binding." },
	[RULE_R06] = { "R06", "cleanup-early", "Cleanup callbacks run only after both sides completed detach." },
	[RULE_R07] = { "R07", "cleanup-count", "Each side's cleanup runs exactly once for an attached binding, never for a failed attach." },
	[RULE_R08] = { "R08", "wait-early", "The deregistration wait returns only after every binding of the registration was cleaned up." },
	[RULE_R09] = { "R09", "callback-irql", "Callbacks are delivered at or below their documented IRQL (attach at PASSIVE, detach and cleanup <= DISPATCH)." },
	[RULE_R10] = { "R10", "callback-after-complete", "No callback reaches a registration after its deregistration wait returned." },
	[RULE_R11] = { "R11", "deregister-status", "NmrDeregister* returns STATUS_PENDING for a valid handle." },
	[RULE_R12] = { "R12", "detach-before-attached", "Detach and cleanup of a binding come only after that binding's attach callbacks returned." },
	[RULE_L01] = { "L01", "deadlock", "Some simulated thread must be able to run until every thread finished." },
	[RULE_L02] = { "L02", "no-progress", "A run must finish within its step budget." },
	[RULE_L03] = { "L03", "unload-hang", "A driver's Unload must return once every other thread finished." },
	[RULE_K07] = { "K07", "bugcheck", "A driver must not bring the system down: KeBugCheckEx, or a failed ASSERT/NT_ASSERT (STATUS_ASSERTION_FAILURE), ends the run." },
	[RULE_K08] = { "K08", "module-crash", "A driver must not crash (invalid memory access, sanitizer report) in any of its routines." },
	[RULE_K09] = { "K09", "object-misuse", "A kernel object (event, timer, DPC, work item, lock, mutex, rundown ref, handle) is used only after its Initialize routine, while its memory is live, and in a state its routine allows." },
	[RULE_K10] = { "K10", "resource-misuse", "Executive resources (ERESOURCE): acquired with normal kernel APCs disabled (a critical region or APC_LEVEL), released only by a holder, not deleted or reinitialised while held." },
	[RULE_L04] = { "L04", "runs-without-end", "Driver code must call a kernel routine or return: a loop that calls none and waits for memory no other thread can still change runs without end." },
	[RULE_M22] = { "M22", "instance-version", "NPI_REGISTRATION_INSTANCE.Version should be 0; Windows registers and binds a module with another value, and shipped drivers set their own NPI version there (advisory).", RULE_ADVISORY },
	[RULE_M23] = { "M23", "freedom-dependence", "Advisory: a module's visible outcome (DriverEntry status, bindings formed, Unload) must not depend on a freedom F1-F5 the documentation leaves to NMR.", RULE_ADVISORY },
	[RULE_R13] = { "R13", "registrar-error-answer", "NMR refuses an invalid, stale, wrong-role or repeated NmrDeregister*, NmrWaitFor*DeregisterComplete or Nmr*DetachComplete: an error status (Wait: STATUS_INVALID_PARAMETER), and no callback or deregistration completion inside the call." },
	[RULE_K11] = { "K11", "data-race", "Two accesses of driver memory from different threads, at least one a write, are ordered by synchronisation (a lock, an event or wait, an interlocked operation, rundown, queueing of work, NMR's callback order)." },
};

const struct rule_info *rule_info(enum rule r)
{
	if ((unsigned)r >= RULE_COUNT)
		r = RULE_NONE;
	return &rule_table[r];
}

enum rule rule_parse(const char *text)
{
	for (int r = 1; r < RULE_COUNT; r++) {
		size_t n = strlen(rule_table[r].id);
		if (strncmp(text, rule_table[r].id, n) == 0 &&
		    (text[n] == '\0' || text[n] == ' ' || text[n] == '\t'))
			return (enum rule)r;
	}
	return RULE_NONE;
}

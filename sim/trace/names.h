/* names.h - the names of everything an event carries, in one place.
 *
 * The renderers (trace_render.c), the oracle's reports, the kernel shim's
 * findings, replay and the tools all name events, NMR routines, callbacks,
 * block reasons, kernel routines, statuses and IRQLs through these; no other
 * file keeps a table of them. WDK names are spelled as Microsoft spells them.
 * Every function returns a placeholder ("?", "Nmr?", a number in buf) for a
 * value outside its enum, never NULL.
 */
#ifndef NMRSIM_NAMES_H
#define NMRSIM_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

const char *ev_kind_name(enum ev_kind k);        /* "api-enter" */
const char *nmr_api_name(enum nmr_api a);        /* "NmrRegisterClient" */
const char *nmr_cb_name(enum nmr_cb c);          /* "ClientAttachProvider" */
const char *nmr_role_name(unsigned role);        /* 0 "client", else "provider" */
const char *block_reason_name(enum block_reason b); /* "dereg-wait" */
const char *block_reason_text(enum block_reason b); /* "blocks: waiting for deregistration" (timeline) */
const char *ke_api_name(enum ke_api a);          /* "KeAcquireSpinLock" */
/* "STATUS_PENDING" etc. for the statuses the engine uses; "0x%08X" otherwise (buf holds 16). */
const char *ntstatus_name(int32_t status, char buf[16]);
/* Routines declared VOID in the WDK: their exit shows no status (the engine
 * may still record one, e.g. STATUS_PENDING before a wait that may block). */
bool nmr_api_returns_void(enum nmr_api a);
bool ke_api_returns_void(enum ke_api a);
/* A KE_AtomicAccess event's operation (aux) as the WDK routine that
 * compiles to it: "InterlockedIncrement (4 bytes)", "InterlockedCompareExchange64
 * (8 bytes)", "volatile read (4 bytes)". */
const char *atomic_access_text(uint32_t aux, char *buf, size_t cap);
/* "PASSIVE", "APC", "DISPATCH", "HIGH", else the number in buf (holds 8). */
const char *irql_name(unsigned irql, char buf[8]);
/* The WDK constant: "PASSIVE_LEVEL", ..., else the number in buf (holds 8). */
const char *irql_level_name(unsigned irql, char buf[8]);
/* A crash's signal (finding site of K08): "SIGSEGV", "SIGBUS", "SIGFPE",
 * "SIGILL", "SIGABRT"; 0 "sanitizer"; any other "signal". */
const char *crash_signal_name(int sig);

/* Malformations of characteristics (enum chars_bad, bit i = 1u << i). */
#define CHARS_BAD_BITS 7
/* Short key of bit i for the timeline ("version"), NULL beyond CHARS_BAD_BITS. */
const char *chars_bad_key(unsigned i);
/* "Version != 0, NpiId NULL" for the bits set; unknown bits as "bits 0x..". */
void chars_bad_text(uint32_t bits, char *buf, size_t cap);

#endif

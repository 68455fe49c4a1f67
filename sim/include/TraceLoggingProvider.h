/* TraceLoggingProvider.h - TraceLogging, inert under nmrsim: providers
 * declare, define, register and unregister (successfully); TraceLoggingWrite
 * and friends evaluate nothing and record nothing; no provider is enabled.
 * The field macros (TraceLoggingValue, TraceLoggingWideString, ...) only
 * appear inside TraceLoggingWrite, whose arguments are dropped. */
#ifndef TraceLoggingProvider_h
#define TraceLoggingProvider_h
#include "evntrace.h"

typedef struct _tlgProvider_t {
	REGHANDLE RegHandle;
	ULONG Registered;
} tlgProvider_t;
typedef const tlgProvider_t *TraceLoggingHProvider;
#define TRACELOGGING_DECLARE_PROVIDER(handleVariable) extern TraceLoggingHProvider const handleVariable
#define TRACELOGGING_DEFINE_PROVIDER(handleVariable, providerName, providerId, ...) \
	static tlgProvider_t handleVariable##_nmrsim_storage; \
	TraceLoggingHProvider const handleVariable = &handleVariable##_nmrsim_storage
#define TRACELOGGING_DEFINE_PROVIDER_STORAGE(storageVariable, providerName, providerId, ...) \
	static tlgProvider_t storageVariable
#define TraceLoggingOptionGroup(...)
#define TraceLoggingOptionMicrosoftTelemetry()
#define TraceLoggingOptionWindowsCoreTelemetry()
FORCEINLINE NTSTATUS TraceLoggingRegister(TraceLoggingHProvider hProvider) { (void)hProvider; return STATUS_SUCCESS; }
FORCEINLINE NTSTATUS TraceLoggingRegisterEx(TraceLoggingHProvider hProvider, PETWENABLECALLBACK cb, PVOID ctx)
{
	(void)hProvider; (void)cb; (void)ctx;
	return STATUS_SUCCESS;
}
FORCEINLINE VOID TraceLoggingUnregister(TraceLoggingHProvider hProvider) { (void)hProvider; }
FORCEINLINE BOOLEAN TraceLoggingProviderEnabled(TraceLoggingHProvider hProvider, UCHAR level, ULONGLONG keyword)
{
	(void)hProvider; (void)level; (void)keyword;
	return FALSE;
}
FORCEINLINE NTSTATUS TraceLoggingSetInformation(TraceLoggingHProvider hProvider, EVENT_INFO_CLASS c, PVOID p, ULONG n)
{
	(void)hProvider; (void)c; (void)p; (void)n;
	return STATUS_SUCCESS;
}
#define TraceLoggingWrite(hProvider, eventName, ...) ((void)(hProvider))
#define TraceLoggingWriteActivity(hProvider, eventName, pActivityId, pRelatedActivityId, ...) ((void)(hProvider))
#define TraceLoggingWriteEx(hProvider, eventName, ...) ((void)(hProvider))
#define _tlgWriteTransfer_TraceLoggingWrite(...) ((void)0)
#define TraceLoggingLevel(level)
#define TraceLoggingKeyword(keyword)
#define TraceLoggingOpcode(opcode)
#define TraceLoggingChannel(channel)
#define TraceLoggingEventTag(tag)
#define TraceLoggingDescription(description)
#endif

/* evntrace.h - ETW tracing names (levels, TRACEHANDLE, WNODE_HEADER), inert
 * under nmrsim (evntprov.h). */
#ifndef _EVNTRACE_
#define _EVNTRACE_
#include "evntprov.h"

typedef ULONG64 TRACEHANDLE, *PTRACEHANDLE;
#define TRACE_LEVEL_NONE 0
#define TRACE_LEVEL_CRITICAL 1
#define TRACE_LEVEL_FATAL 1
#define TRACE_LEVEL_ERROR 2
#define TRACE_LEVEL_WARNING 3
#define TRACE_LEVEL_INFORMATION 4
#define TRACE_LEVEL_VERBOSE 5
#define TRACE_LEVEL_RESERVED6 6
#define TRACE_LEVEL_RESERVED7 7
#define TRACE_LEVEL_RESERVED8 8
#define TRACE_LEVEL_RESERVED9 9
#define EVENT_TRACE_TYPE_INFO 0x00
#define EVENT_TRACE_TYPE_START 0x01
#define EVENT_TRACE_TYPE_END 0x02
#define EVENT_TRACE_TYPE_STOP 0x02
/* The WINEVENT_* levels and opcodes: winmeta.h (one definition, so a
 * driver including both builds without a macro-redefined warning). */
#include "winmeta.h"
#define WINEVENT_KEYWORD_RESERVED_63 0x8000000000000000ULL
#endif

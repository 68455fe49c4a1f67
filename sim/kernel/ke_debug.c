/* ke_debug.c - DbgPrint, DbgPrintEx, vDbgPrintEx into the trace.
 *
 * The text goes to the run's message table (struct trace_messages, shown by
 * the renderer) and an EV_DPRINT event carries its index, so the trace hash
 * never depends on what was printed. The formatter knows the WDK's
 * conversions (%wZ, %Z, %ws, %S, %I64d ...) and prints pointers as "<ptr>":
 * no address reaches a timeline. */
#include "kernel/kernel.h"

#include <stdio.h>
#include <string.h>

struct out {
	char *p;
	size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && o->len + 1 < o->cap; i++)
		o->p[o->len++] = s[i];
	o->p[o->len] = '\0';
}

static void put_wide(struct out *o, const WCHAR *w, size_t units)
{
	for (size_t i = 0; w && i < units && w[i]; i++) {
		char c = w[i] < 0x80 && w[i] >= 0x20 ? (char)w[i] : '?';
		put(o, &c, 1);
	}
}

static void format(struct out *o, const char *fmt, va_list ap)
{
	char spec[32], buf[96];
	while (*fmt) {
		if (*fmt != '%') {
			put(o, fmt++, 1);
			continue;
		}
		const char *start = fmt++;
		if (*fmt == '%') {
			put(o, fmt++, 1);
			continue;
		}
		while (*fmt && strchr("-+ #0", *fmt))
			fmt++;
		/* Width and precision, each digits or '*'. */
		int star_args[2], nstar = 0, precision = -1;
		if (*fmt == '*') {
			star_args[nstar++] = va_arg(ap, int);
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				fmt++;
		}
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				precision = star_args[nstar++] = va_arg(ap, int);
				fmt++;
			} else {
				precision = 0;
				while (*fmt >= '0' && *fmt <= '9' && precision < 100000)
					precision = precision * 10 + (*fmt++ - '0');
				while (*fmt >= '0' && *fmt <= '9')
					fmt++;
			}
		}
		size_t flags_len = (size_t)(fmt - start);
		/* Length: h hh l ll L z t j w I I32 I64. */
		int longs = 0;
		bool wide = false, i64 = false, size = false;
		for (;;) {
			if (*fmt == 'l') { longs++; fmt++; }
			else if (*fmt == 'h') fmt++;
			else if (*fmt == 'w') { wide = true; fmt++; }
			else if (*fmt == 'z' || *fmt == 't' || *fmt == 'j') { size = true; fmt++; }
			else if (*fmt == 'L') fmt++;
			else if (fmt[0] == 'I' && fmt[1] == '6' && fmt[2] == '4') { i64 = true; fmt += 3; }
			else if (fmt[0] == 'I' && fmt[1] == '3' && fmt[2] == '2') fmt += 3;
			else if (*fmt == 'I') { size = true; fmt++; }
			else break;
		}
		char conv = *fmt;
		if (!conv)
			break;
		fmt++;
		if (flags_len + 4 >= sizeof spec)
			flags_len = 0;
		memcpy(spec, start, flags_len);
		int n = 0;
		switch (conv) {
		case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': {
			memcpy(spec + flags_len, "ll", 2);
			spec[flags_len + 2] = conv;
			spec[flags_len + 3] = '\0';
			bool is_signed = conv == 'd' || conv == 'i';
			long long v;
			if (i64 || longs >= 2 || size)
				v = is_signed ? va_arg(ap, long long) : (long long)va_arg(ap, unsigned long long);
			else /* Windows' long is 32-bit: %ld and %lu take 32 bits */
				v = is_signed ? (long long)va_arg(ap, int) : (long long)va_arg(ap, unsigned int);
			if (nstar == 2)
				n = snprintf(buf, sizeof buf, spec, star_args[0], star_args[1], v);
			else if (nstar == 1)
				n = snprintf(buf, sizeof buf, spec, star_args[0], v);
			else
				n = snprintf(buf, sizeof buf, spec, v);
			break;
		}
		case 'c': case 'C': {
			int c = va_arg(ap, int);
			buf[0] = c >= 0x20 && c < 0x7f ? (char)c : '?';
			n = 1;
			break;
		}
		case 'p': {
			void *p = va_arg(ap, void *);
			n = snprintf(buf, sizeof buf, "%s", p ? "<ptr>" : "(null)");
			break;
		}
		case 's': case 'S': {
			/* A precision bounds counted (not terminated) strings. */
			size_t limit = precision >= 0 ? (size_t)precision : 4096;
			if (conv == 'S' || wide || longs) {
				static const WCHAR empty[1] = { 0 };
				const WCHAR *w = va_arg(ap, const WCHAR *);
				put_wide(o, w ? w : empty, limit);
			} else {
				const char *str = va_arg(ap, const char *);
				if (!str)
					str = "(null)";
				put(o, str, strnlen(str, limit));
			}
			continue;
		}
		case 'Z': {
			if (wide) {
				const UNICODE_STRING *u = va_arg(ap, const UNICODE_STRING *);
				if (u)
					put_wide(o, u->Buffer, u->Length / sizeof(WCHAR));
			} else {
				const ANSI_STRING *a = va_arg(ap, const ANSI_STRING *);
				if (a && a->Buffer)
					put(o, a->Buffer, a->Length);
			}
			continue;
		}
		case 'e': case 'f': case 'g': case 'E': case 'G': {
			double d = va_arg(ap, double);
			n = snprintf(buf, sizeof buf, "%g", d);
			break;
		}
		case 'n':
			(void)va_arg(ap, void *);
			continue;
		default:
			put(o, start, (size_t)(fmt - start));
			continue;
		}
		if (n > 0)
			put(o, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
	}
}

size_t kernel_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct out o = { buf, cap, 0 };
	if (cap)
		buf[0] = '\0';
	if (cap && fmt)
		format(&o, fmt, ap);
	return o.len;
}

ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format, va_list arglist)
{
	(void)ComponentId;
	(void)Level;
	struct kernel *k = kernel_get();
	/* Driver code that runs after its Unload returned is K06. Not a
	 * scheduling point: logging would multiply every driver's schedules. */
	kernel_check_alive(k, KE_DbgPrint);
	char text[TRACE_MESSAGE_BYTES];
	struct out o = { text, sizeof text, 0 };
	text[0] = '\0';
	if (Format)
		format(&o, Format, arglist);
	/* One line: trailing newlines are the usual DbgPrint habit. */
	while (o.len && (text[o.len - 1] == '\n' || text[o.len - 1] == '\r'))
		text[--o.len] = '\0';
	for (size_t i = 0; i < o.len; i++)
		if (text[i] == '\n' || text[i] == '\r' || text[i] == '\t')
			text[i] = ' ';
	uint32_t index = trace_message_add(k->sched->trace, text);
	struct event e = { .kind = EV_DPRINT, .module = kernel_module_now(k), .peer = EV_NONE8, .binding = EV_NONE16,
			   .arg = index };
	sched_emit(k->sched, &e);
	return 0; /* STATUS_SUCCESS */
}

ULONG DbgPrint(PCSTR Format, ...)
{
	va_list ap;
	va_start(ap, Format);
	ULONG r = vDbgPrintEx(DPFLTR_DEFAULT_ID, DPFLTR_ERROR_LEVEL, Format, ap);
	va_end(ap);
	return r;
}

ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
	va_list ap;
	va_start(ap, Format);
	ULONG r = vDbgPrintEx(ComponentId, Level, Format, ap);
	va_end(ap);
	return r;
}

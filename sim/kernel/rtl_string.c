/* rtl_string.c - the RtlString* family of ntstrsafe.h.
 *
 * One implementation per operation over a character width of 1 (A forms) or
 * 2 (W forms). Pure functions on the caller's buffers: no scheduling point,
 * no kernel state (they are callable at any IRQL, except the printf forms,
 * which format through the DbgPrint formatter so pointers print as "<ptr>"
 * and no address reaches a run). */
#include "kernel/kernel.h"
#include "ntstrsafe.h"

#include <string.h>

#define FMT_MAX 4096 /* longest formatted text (characters) */

static size_t get(const void *s, size_t w, size_t i)
{
	return w == 1 ? ((const unsigned char *)s)[i] : ((const WCHAR *)s)[i];
}

static void set(void *d, size_t w, size_t i, size_t c)
{
	if (w == 1)
		((unsigned char *)d)[i] = (unsigned char)c;
	else
		((WCHAR *)d)[i] = (WCHAR)c;
}

/* Length of s, at most max; *found false if no terminator within max. */
static size_t length(const void *s, size_t w, size_t max, bool *found)
{
	size_t n = 0;
	while (n < max && get(s, w, n))
		n++;
	*found = n < max;
	return n;
}

/* Copy at most n characters of src to dest[at..], keeping cch (terminator included). */
static NTSTATUS copy_at(void *dest, size_t w, size_t cch, size_t at, const void *src, size_t n)
{
	if (!dest || cch == 0 || cch > NTSTRSAFE_MAX_CCH)
		return STATUS_INVALID_PARAMETER;
	if (at >= cch) {
		set(dest, w, cch - 1, 0);
		return STATUS_BUFFER_OVERFLOW;
	}
	size_t i = 0;
	while (src && i < n && get(src, w, i) && at + i + 1 < cch) {
		set(dest, w, at + i, get(src, w, i));
		i++;
	}
	set(dest, w, at + i, 0);
	bool more = src && i < n && get(src, w, i);
	return more ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

static NTSTATUS cat(void *dest, size_t w, size_t cch, const void *src, size_t n)
{
	if (!dest || cch == 0 || cch > NTSTRSAFE_MAX_CCH)
		return STATUS_INVALID_PARAMETER;
	bool found;
	size_t at = length(dest, w, cch, &found);
	if (!found)
		return STATUS_INVALID_PARAMETER; /* the destination is not terminated within its size */
	return copy_at(dest, w, cch, at, src, n);
}

static NTSTATUS len(const void *s, size_t w, size_t cch, size_t *out)
{
	if (out)
		*out = 0;
	if (!s || cch > NTSTRSAFE_MAX_CCH)
		return STATUS_INVALID_PARAMETER;
	bool found;
	size_t n = length(s, w, cch, &found);
	if (!found)
		return STATUS_INVALID_PARAMETER;
	if (out)
		*out = n;
	return STATUS_SUCCESS;
}

/* A wide format rewritten for the narrow formatter: %s/%c without a size
 * prefix are wide (w), %S/%C and %hs/%hc narrow. */
static void narrow_format(char *out, size_t cap, const WCHAR *fmt)
{
	size_t o = 0;
	for (size_t i = 0; fmt[i] && o + 3 < cap; i++) {
		WCHAR c = fmt[i];
		if (c != '%') {
			out[o++] = c < 0x80 ? (char)c : '?';
			continue;
		}
		out[o++] = '%';
		i++;
		bool sized = false;
		while (fmt[i] && o + 3 < cap && !strchr("csSCdiouxXpZnfeEgG%", fmt[i] < 0x80 ? (char)fmt[i] : 'q')) {
			if (fmt[i] == 'h' || fmt[i] == 'l' || fmt[i] == 'w')
				sized = true;
			out[o++] = (char)fmt[i++];
		}
		if (!fmt[i])
			break;
		char conv = (char)fmt[i];
		if ((conv == 's' || conv == 'c') && !sized)
			out[o++] = 'w';
		else if (conv == 'S' || conv == 'C')
			conv = (char)(conv - 'S' + 's'), out[o++] = 'h';
		out[o++] = conv == 'C' ? 'c' : conv;
	}
	out[o] = '\0';
}

static NTSTATUS vprintf_a(char *dest, size_t cch, const char *fmt, va_list ap)
{
	if (!dest || cch == 0 || cch > NTSTRSAFE_MAX_CCH || !fmt)
		return STATUS_INVALID_PARAMETER;
	char text[FMT_MAX + 1];
	size_t n = kernel_vformat(text, sizeof text, fmt, ap);
	return copy_at(dest, 1, cch, 0, text, n);
}

/* The formatter writes narrow text: the W forms widen it. */
static NTSTATUS vprintf_w(WCHAR *dest, size_t cch, const WCHAR *fmt, va_list ap)
{
	if (!dest || cch == 0 || cch > NTSTRSAFE_MAX_CCH || !fmt)
		return STATUS_INVALID_PARAMETER;
	char text[FMT_MAX + 1], nfmt[1024];
	narrow_format(nfmt, sizeof nfmt, fmt);
	size_t n = kernel_vformat(text, sizeof text, nfmt, ap);
	size_t i = 0;
	for (; i < n && i + 1 < cch; i++)
		dest[i] = (WCHAR)(unsigned char)text[i];
	dest[i] = 0;
	return i < n ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

NTSTATUS RtlStringCchCopyA(NTSTRSAFE_PSTR d, size_t cch, NTSTRSAFE_PCSTR s) { return copy_at(d, 1, cch, 0, s, SIZE_MAX); }
NTSTATUS RtlStringCchCopyW(NTSTRSAFE_PWSTR d, size_t cch, NTSTRSAFE_PCWSTR s) { return copy_at(d, 2, cch, 0, s, SIZE_MAX); }
NTSTATUS RtlStringCbCopyA(NTSTRSAFE_PSTR d, size_t cb, NTSTRSAFE_PCSTR s) { return copy_at(d, 1, cb, 0, s, SIZE_MAX); }
NTSTATUS RtlStringCbCopyW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR s) { return copy_at(d, 2, cb / 2, 0, s, SIZE_MAX); }
NTSTATUS RtlStringCchCopyNA(NTSTRSAFE_PSTR d, size_t cch, NTSTRSAFE_PCSTR s, size_t n) { return copy_at(d, 1, cch, 0, s, n); }
NTSTATUS RtlStringCchCopyNW(NTSTRSAFE_PWSTR d, size_t cch, NTSTRSAFE_PCWSTR s, size_t n) { return copy_at(d, 2, cch, 0, s, n); }
NTSTATUS RtlStringCbCopyNA(NTSTRSAFE_PSTR d, size_t cb, NTSTRSAFE_PCSTR s, size_t n) { return copy_at(d, 1, cb, 0, s, n); }
NTSTATUS RtlStringCbCopyNW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR s, size_t n) { return copy_at(d, 2, cb / 2, 0, s, n / 2); }
NTSTATUS RtlStringCchCatA(NTSTRSAFE_PSTR d, size_t cch, NTSTRSAFE_PCSTR s) { return cat(d, 1, cch, s, SIZE_MAX); }
NTSTATUS RtlStringCchCatW(NTSTRSAFE_PWSTR d, size_t cch, NTSTRSAFE_PCWSTR s) { return cat(d, 2, cch, s, SIZE_MAX); }
NTSTATUS RtlStringCbCatA(NTSTRSAFE_PSTR d, size_t cb, NTSTRSAFE_PCSTR s) { return cat(d, 1, cb, s, SIZE_MAX); }
NTSTATUS RtlStringCbCatW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR s) { return cat(d, 2, cb / 2, s, SIZE_MAX); }
NTSTATUS RtlStringCchCatNA(NTSTRSAFE_PSTR d, size_t cch, NTSTRSAFE_PCSTR s, size_t n) { return cat(d, 1, cch, s, n); }
NTSTATUS RtlStringCchCatNW(NTSTRSAFE_PWSTR d, size_t cch, NTSTRSAFE_PCWSTR s, size_t n) { return cat(d, 2, cch, s, n); }
NTSTATUS RtlStringCbCatNA(NTSTRSAFE_PSTR d, size_t cb, NTSTRSAFE_PCSTR s, size_t n) { return cat(d, 1, cb, s, n); }
NTSTATUS RtlStringCbCatNW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR s, size_t n) { return cat(d, 2, cb / 2, s, n / 2); }
NTSTATUS RtlStringCchLengthA(NTSTRSAFE_PCSTR s, size_t max, size_t *n) { return len(s, 1, max, n); }
NTSTATUS RtlStringCchLengthW(NTSTRSAFE_PCWSTR s, size_t max, size_t *n) { return len(s, 2, max, n); }
NTSTATUS RtlStringCbLengthA(NTSTRSAFE_PCSTR s, size_t max, size_t *n) { return len(s, 1, max, n); }
NTSTATUS RtlStringCbLengthW(NTSTRSAFE_PCWSTR s, size_t max, size_t *n)
{
	NTSTATUS st = len(s, 2, max / 2, n);
	if (n)
		*n *= 2;
	return st;
}

NTSTATUS RtlStringCchVPrintfA(NTSTRSAFE_PSTR d, size_t cch, NTSTRSAFE_PCSTR f, va_list ap) { return vprintf_a(d, cch, f, ap); }
NTSTATUS RtlStringCbVPrintfA(NTSTRSAFE_PSTR d, size_t cb, NTSTRSAFE_PCSTR f, va_list ap) { return vprintf_a(d, cb, f, ap); }
NTSTATUS RtlStringCchVPrintfW(NTSTRSAFE_PWSTR d, size_t cch, NTSTRSAFE_PCWSTR f, va_list ap) { return vprintf_w(d, cch, f, ap); }
NTSTATUS RtlStringCbVPrintfW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR f, va_list ap) { return vprintf_w(d, cb / 2, f, ap); }

#define VARIADIC(call) \
	va_list ap; \
	va_start(ap, f); \
	NTSTATUS st = call; \
	va_end(ap); \
	return st
NTSTATUS RtlStringCchPrintfA(NTSTRSAFE_PSTR d, size_t cch, NTSTRSAFE_PCSTR f, ...) { VARIADIC(vprintf_a(d, cch, f, ap)); }
NTSTATUS RtlStringCbPrintfA(NTSTRSAFE_PSTR d, size_t cb, NTSTRSAFE_PCSTR f, ...) { VARIADIC(vprintf_a(d, cb, f, ap)); }
NTSTATUS RtlStringCchPrintfW(NTSTRSAFE_PWSTR d, size_t cch, NTSTRSAFE_PCWSTR f, ...) { VARIADIC(vprintf_w(d, cch, f, ap)); }
NTSTATUS RtlStringCbPrintfW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR f, ...) { VARIADIC(vprintf_w(d, cb / 2, f, ap)); }

/* ---- UNICODE_STRING forms: counted, not terminated ---- */

NTSTATUS RtlUnicodeStringValidate(PCUNICODE_STRING s)
{
	if (!s || (s->Length & 1) || (s->MaximumLength & 1) || s->Length > s->MaximumLength ||
	    (s->MaximumLength && !s->Buffer))
		return STATUS_INVALID_PARAMETER;
	return STATUS_SUCCESS;
}

NTSTATUS RtlUnicodeStringInit(PUNICODE_STRING d, NTSTRSAFE_PCWSTR s)
{
	if (!d)
		return STATUS_INVALID_PARAMETER;
	d->Length = d->MaximumLength = 0;
	d->Buffer = (PWCH)s;
	if (!s)
		return STATUS_SUCCESS;
	bool found;
	size_t n = length(s, 2, NTSTRSAFE_UNICODE_STRING_MAX_CCH, &found);
	if (!found)
		return STATUS_INVALID_PARAMETER;
	d->Length = (USHORT)(n * 2);
	d->MaximumLength = (USHORT)(n * 2 + 2);
	return STATUS_SUCCESS;
}

/* Append n characters of src to d (d->Length grows); truncates to MaximumLength. */
static NTSTATUS ustr_append(PUNICODE_STRING d, const WCHAR *src, size_t n)
{
	if (!NT_SUCCESS(RtlUnicodeStringValidate(d)))
		return STATUS_INVALID_PARAMETER;
	size_t have = d->Length / 2, room = d->MaximumLength / 2 - have;
	size_t take = n < room ? n : room;
	if (take)
		memmove(d->Buffer + have, src, take * 2);
	d->Length = (USHORT)((have + take) * 2);
	return take < n ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

NTSTATUS RtlUnicodeStringCopy(PUNICODE_STRING d, PCUNICODE_STRING s)
{
	if (!d || !NT_SUCCESS(RtlUnicodeStringValidate(s)))
		return STATUS_INVALID_PARAMETER;
	d->Length = 0;
	return ustr_append(d, s->Buffer, s->Length / 2);
}

NTSTATUS RtlUnicodeStringCat(PUNICODE_STRING d, PCUNICODE_STRING s)
{
	if (!NT_SUCCESS(RtlUnicodeStringValidate(s)))
		return STATUS_INVALID_PARAMETER;
	return ustr_append(d, s->Buffer, s->Length / 2);
}

NTSTATUS RtlUnicodeStringCopyString(PUNICODE_STRING d, NTSTRSAFE_PCWSTR s)
{
	if (!d)
		return STATUS_INVALID_PARAMETER;
	d->Length = 0;
	return RtlUnicodeStringCatString(d, s);
}

NTSTATUS RtlUnicodeStringCatString(PUNICODE_STRING d, NTSTRSAFE_PCWSTR s)
{
	bool found;
	size_t n = s ? length(s, 2, NTSTRSAFE_UNICODE_STRING_MAX_CCH, &found) : 0;
	return ustr_append(d, s, n);
}

NTSTATUS RtlUnicodeStringPrintf(PUNICODE_STRING d, NTSTRSAFE_PCWSTR f, ...)
{
	if (!NT_SUCCESS(RtlUnicodeStringValidate(d)) || !f)
		return STATUS_INVALID_PARAMETER;
	WCHAR text[FMT_MAX + 1];
	va_list ap;
	va_start(ap, f);
	NTSTATUS st = vprintf_w(text, FMT_MAX + 1, f, ap);
	va_end(ap);
	(void)st;
	bool found;
	size_t n = length(text, 2, FMT_MAX + 1, &found);
	d->Length = 0;
	return ustr_append(d, text, n);
}

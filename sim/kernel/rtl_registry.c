/* rtl_registry.c - RtlQueryRegistryValues over the registry a build gives
 * its drivers (sim/kernel/registry.h; empty without a registry file).
 *
 * As documented: the table is walked in order; RTL_QUERY_REGISTRY_SUBKEY
 * moves to a subkey of Path, TOPKEY back to Path; an entry with a Name
 * queries that value, one without a Name (and a QueryRoutine) every value
 * of the key; DIRECT stores the data at EntryContext (a UNICODE_STRING for
 * strings, a ULONG for data up to 4 bytes, else a buffer whose first LONG
 * is its size, negative for the data alone); otherwise the QueryRoutine
 * gets it (each string of a REG_MULTI_SZ apart unless NOEXPAND). A value
 * not found is an error for a REQUIRED entry (STATUS_OBJECT_NAME_NOT_FOUND),
 * else its default, if it has one, is used the same way. The key Path names
 * exists as ZwOpenKey's do (a value of the file in it or below it, the
 * driver's own services key, or a RelativeTo root itself); a missing one is
 * STATUS_OBJECT_NAME_NOT_FOUND before any entry, as Windows fails to open
 * it, unless RelativeTo has RTL_REGISTRY_OPTIONAL (then an empty key).
 * A missing SUBKEY is an empty key. */
#include "kernel/kernel.h"
#include "kernel/registry.h"

/* The key RelativeTo and Path name, as lower-case ASCII; false when it
 * cannot be one of the file's (a handle, a non-ASCII path, too long). */
static bool key_of(char *out, ULONG relative_to, PCWSTR path)
{
	static const char *const roots[RTL_REGISTRY_MAXIMUM] = {
		[RTL_REGISTRY_ABSOLUTE] = "",
		[RTL_REGISTRY_SERVICES] = REGISTRY_SERVICES_KEY,
		[RTL_REGISTRY_CONTROL] = "\\registry\\machine\\system\\currentcontrolset\\control",
		[RTL_REGISTRY_WINDOWS_NT] = "\\registry\\machine\\software\\microsoft\\windows nt\\currentversion",
		[RTL_REGISTRY_DEVICEMAP] = "\\registry\\machine\\hardware\\devicemap",
		[RTL_REGISTRY_USER] = "\\registry\\user\\.default",
	};
	ULONG rel = relative_to & ~(ULONG)RTL_REGISTRY_OPTIONAL;
	if (rel >= RTL_REGISTRY_MAXIMUM)
		return false; /* RTL_REGISTRY_HANDLE: no registry handles here */
	size_t n = strlen(roots[rel]);
	memcpy(out, roots[rel], n);
	if (path && path[0] && rel != RTL_REGISTRY_ABSOLUTE)
		out[n++] = '\\';
	if (path && !registry_append_lower(out, &n, path, SIZE_MAX))
		return false;
	while (n > 0 && out[n - 1] == '\\')
		n--;
	out[n] = 0;
	return true;
}

static bool subkey(char *cur, const char *top, PCWSTR name)
{
	size_t n = strlen(top);
	memcpy(cur, top, n + 1);
	if (!name || !name[0])
		return true;
	if (n + 1 >= REG_PATH_MAX)
		return false;
	cur[n++] = '\\';
	if (!registry_append_lower(cur, &n, name, SIZE_MAX))
		return false;
	cur[n] = 0;
	return true;
}

static bool name_of(char *out, PCWSTR name)
{
	size_t n = 0;
	for (; *name; name++) {
		if (*name > 0x7e || n + 1 >= REG_NAME_MAX)
			return false;
		out[n++] = (char)*name;
	}
	out[n] = 0;
	return true;
}

static bool is_string(ULONG type)
{
	return type == REG_SZ || type == REG_EXPAND_SZ || type == REG_MULTI_SZ;
}

/* DIRECT: the data into EntryContext. */
static NTSTATUS store(PRTL_QUERY_REGISTRY_TABLE e, ULONG type, const void *data, ULONG len)
{
	if (is_string(type) && !(e->Flags & RTL_QUERY_REGISTRY_NOSTRING)) {
		PUNICODE_STRING us = e->EntryContext;
		if (len > MAXUSHORT)
			return STATUS_BUFFER_TOO_SMALL;
		if (!us->Buffer) {
			us->Buffer = ExAllocatePool2(POOL_FLAG_PAGED, len ? len : 2, 0x67526d4eu /* 'gRmN' */);
			if (!us->Buffer)
				return STATUS_INSUFFICIENT_RESOURCES;
			us->MaximumLength = (USHORT)(len ? len : 2);
		} else if (us->MaximumLength < len) {
			return STATUS_BUFFER_TOO_SMALL;
		}
		memcpy(us->Buffer, data, len);
		us->Length = (USHORT)(len >= 2 ? len - 2 : 0);
		return STATUS_SUCCESS;
	}
	if (len <= sizeof(ULONG)) {
		memcpy(e->EntryContext, data, len);
		return STATUS_SUCCESS;
	}
	LONG size;
	memcpy(&size, e->EntryContext, sizeof size);
	if (size < 0) {
		if ((ULONG)-size < len)
			return STATUS_BUFFER_TOO_SMALL;
		memcpy(e->EntryContext, data, len);
		return STATUS_SUCCESS;
	}
	if ((ULONG)size < len + 2 * sizeof(ULONG))
		return STATUS_BUFFER_TOO_SMALL;
	ULONG head[2] = { len, type };
	memcpy(e->EntryContext, head, sizeof head);
	memcpy((UCHAR *)e->EntryContext + sizeof head, data, len);
	return STATUS_SUCCESS;
}

/* One value (found or the default) to the entry. */
static NTSTATUS deliver(PRTL_QUERY_REGISTRY_TABLE e, PWSTR name, ULONG type, const void *data, ULONG len,
			PVOID context)
{
	if (e->Flags & RTL_QUERY_REGISTRY_DIRECT) {
		if ((e->Flags & RTL_QUERY_REGISTRY_TYPECHECK) &&
		    type != (e->DefaultType >> RTL_QUERY_REGISTRY_TYPECHECK_SHIFT))
			return STATUS_OBJECT_TYPE_MISMATCH;
		return store(e, type, data, len);
	}
	if (!e->QueryRoutine)
		return STATUS_SUCCESS;
	if (type == REG_MULTI_SZ && !(e->Flags & RTL_QUERY_REGISTRY_NOEXPAND)) {
		/* Each string apart, as REG_SZ with its NUL. */
		const WCHAR *s = data, *end = (const WCHAR *)((const UCHAR *)data + len);
		while (s < end && *s) {
			const WCHAR *t = s;
			while (t < end && *t)
				t++;
			ULONG bytes = (ULONG)((const UCHAR *)(t < end ? t + 1 : t) - (const UCHAR *)s);
			NTSTATUS st = e->QueryRoutine(name, REG_SZ, (PVOID)s, bytes, context, e->EntryContext);
			if (!NT_SUCCESS(st))
				return st;
			s = t + 1;
		}
		return STATUS_SUCCESS;
	}
	if (type == REG_EXPAND_SZ && !(e->Flags & RTL_QUERY_REGISTRY_NOEXPAND))
		type = REG_SZ; /* no environment variables to expand */
	return e->QueryRoutine(name, type, (PVOID)data, len, context, e->EntryContext);
}

static NTSTATUS deliver_default(PRTL_QUERY_REGISTRY_TABLE e, PVOID context)
{
	ULONG len = e->DefaultLength;
	if (len == 0 && e->DefaultData && (e->DefaultType == REG_SZ || e->DefaultType == REG_EXPAND_SZ)) {
		const WCHAR *s = e->DefaultData;
		while (s[len / sizeof(WCHAR)])
			len += sizeof(WCHAR);
		len += sizeof(WCHAR);
	}
	/* A default is not type-checked: it is the driver's own. */
	ULONG flags = e->Flags;
	e->Flags &= ~(ULONG)RTL_QUERY_REGISTRY_TYPECHECK;
	NTSTATUS st = deliver(e, e->Name, e->DefaultType, e->DefaultData, len, context);
	e->Flags = flags;
	return st;
}

static NTSTATUS query(const struct registry *reg, const char *key, PRTL_QUERY_REGISTRY_TABLE e, PVOID context)
{
	if (!e->Name) {
		/* Every value of the key, each under its own name. */
		const struct reg_value *v;
		for (unsigned i = 0; (v = registry_value_at(reg, key, i)) != NULL; i++) {
			WCHAR wname[REG_NAME_MAX];
			size_t n = 0;
			for (; v->name[n]; n++)
				wname[n] = (WCHAR)v->name[n];
			wname[n] = 0;
			NTSTATUS st = deliver(e, wname, v->type, v->data, v->len, context);
			if (!NT_SUCCESS(st))
				return st;
		}
		return STATUS_SUCCESS;
	}
	char name[REG_NAME_MAX];
	const struct reg_value *v = name_of(name, e->Name) ? registry_find(reg, key, name) : NULL;
	if (v)
		return deliver(e, e->Name, v->type, v->data, v->len, context);
	if (e->Flags & RTL_QUERY_REGISTRY_REQUIRED)
		return STATUS_OBJECT_NAME_NOT_FOUND;
	if (e->DefaultType != REG_NONE)
		return deliver_default(e, context);
	return STATUS_SUCCESS;
}

NTSTATUS RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path, PRTL_QUERY_REGISTRY_TABLE QueryTable, PVOID Context,
				PVOID Environment)
{
	(void)Environment;
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_RtlQueryRegistryValues, PASSIVE_LEVEL);
	kernel_enter(k, KE_RtlQueryRegistryValues);
	/* A key nmrsim cannot name (a handle, non-ASCII) has no values. */
	static const struct registry empty;
	const struct registry *reg = registry_linked();
	char top[REG_PATH_MAX], cur[REG_PATH_MAX];
	bool top_known = key_of(top, RelativeTo, Path), known = top_known;
	memcpy(cur, top, sizeof cur);
	NTSTATUS st = STATUS_SUCCESS;
	/* A driver reading a key of its vendor's under \Registry\Machine
	 * with defaults in the table gets STATUS_OBJECT_NAME_NOT_FOUND on
	 * Windows when nothing created the key, and then usually sets its own
	 * defaults: without this it ran on the table's defaults instead. */
	bool root = !Path || !Path[0];
	if (top_known && !root && !(RelativeTo & RTL_REGISTRY_OPTIONAL) && !registry_key_exists(k, top))
	{
		st = STATUS_OBJECT_NAME_NOT_FOUND;
		QueryTable = NULL; /* no entry is read */
	}
	for (PRTL_QUERY_REGISTRY_TABLE e = QueryTable; e && (e->QueryRoutine || e->Name); e++) {
		if (e->Flags & RTL_QUERY_REGISTRY_TOPKEY) {
			memcpy(cur, top, sizeof cur);
			known = top_known;
			continue;
		}
		if (e->Flags & RTL_QUERY_REGISTRY_SUBKEY) {
			known = top_known && subkey(cur, top, e->Name);
			if (!e->QueryRoutine)
				continue;
			/* A routine on a subkey entry: every value of the subkey. */
			RTL_QUERY_REGISTRY_TABLE all = *e;
			all.Name = NULL;
			st = query(known ? reg : &empty, cur, &all, Context);
		} else {
			st = query(known ? reg : &empty, cur, e, Context);
		}
		if (!NT_SUCCESS(st))
			break;
	}
	kernel_emit(k, KE_RtlQueryRegistryValues, 0, st, 0);
	return st;
}

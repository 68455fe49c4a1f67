/* zw_registry.c - ZwOpenKey and ZwQueryValueKey over the registry a build
 * gives its drivers (registry.h, the values RtlQueryRegistryValues reads);
 * ZwClose (ps_thread.c) closes the key handles.
 *
 * As the WDK documents them, read-only:
 * - ZwOpenKey opens ObjectName, absolute (\Registry\...) or relative to the
 *   key handle RootDirectory, in any case. A key exists when the file has a
 *   value in it or below it; a driver's own services key (where its
 *   RegistryPath points) always exists. Else STATUS_OBJECT_NAME_NOT_FOUND;
 *   a relative name without RootDirectory is STATUS_OBJECT_PATH_SYNTAX_BAD.
 *   The handle counts as the caller's until ZwClose (M21 at Unload).
 * - ZwQueryValueKey fills KEY_VALUE_BASIC/FULL/PARTIAL_INFORMATION (and the
 *   Align64 forms) and sets *ResultLength to the size the whole answer
 *   needs. A buffer smaller than the structure's fixed part gets nothing:
 *   STATUS_BUFFER_TOO_SMALL; one that holds the fixed part but not the name
 *   or data gets the fixed part: STATUS_BUFFER_OVERFLOW. A value the key does
 *   not have is STATUS_OBJECT_NAME_NOT_FOUND.
 * Both are PASSIVE_LEVEL routines (K01) and scheduling points. */
#include "kernel/kernel.h"
#include "kernel/registry.h"

/* The services key of the calling module's driver, lower case. */
static size_t own_service_key(struct kernel *k, uint8_t module, char *out)
{
	char nb[8];
	const char *name = kernel_module_name(k, module, nb);
	size_t n = strlen(REGISTRY_SERVICES_KEY);
	memcpy(out, REGISTRY_SERVICES_KEY, n);
	out[n++] = '\\';
	for (; *name && n + 1 < REG_PATH_MAX; name++)
		out[n++] = *name >= 'A' && *name <= 'Z' ? (char)(*name - 'A' + 'a') : *name;
	out[n] = 0;
	return n;
}

/* The path of an open key handle. */
static size_t key_path(struct kernel *k, const struct kernel_handle *h, char *out)
{
	if (h->key_value == KERNEL_KEY_OWN_SERVICE)
		return own_service_key(k, h->module, out);
	const struct registry *reg = registry_linked();
	SIM_ASSERT_LT(h->key_value, reg->n, "a key handle names a value of the registry");
	memcpy(out, reg->v[h->key_value].key, h->key_len);
	out[h->key_len] = 0;
	return h->key_len;
}

/* Where key `path` (n bytes) is: a value at or below it, its own services
 * key, or false. */
static bool key_find(struct kernel *k, uint8_t module, const char *path, size_t n, uint16_t *value)
{
	const struct registry *reg = registry_linked();
	for (unsigned i = 0; i < reg->n; i++) {
		const char *key = reg->v[i].key;
		if (strncmp(key, path, n) == 0 && (key[n] == 0 || key[n] == '\\')) {
			*value = (uint16_t)i;
			return true;
		}
	}
	char own[REG_PATH_MAX];
	if (own_service_key(k, module, own) == n && memcmp(own, path, n) == 0) {
		*value = KERNEL_KEY_OWN_SERVICE;
		return true;
	}
	return false;
}

/* Whether key `path` (absolute, lower case) exists for the calling module:
 * the rule ZwOpenKey opens by, which RtlQueryRegistryValues' Path follows
 * too (registry.h). */
bool registry_key_exists(struct kernel *k, const char *path)
{
	uint16_t value;
	return key_find(k, kernel_module_now(k), path, strlen(path), &value);
}

static NTSTATUS open_key(struct kernel *k, PHANDLE KeyHandle, POBJECT_ATTRIBUTES oa)
{
	if (!KeyHandle || !oa || !oa->ObjectName)
		return STATUS_INVALID_PARAMETER;
	uint8_t module = kernel_module_now(k);
	const UNICODE_STRING *name = oa->ObjectName;
	size_t chars = name->Length / sizeof(WCHAR), n = 0;
	char path[REG_PATH_MAX];
	if (oa->RootDirectory) {
		int r = kernel_handle_index(k, oa->RootDirectory);
		if (r < 0)
			return STATUS_INVALID_HANDLE;
		if (k->handles[r].kind != KERNEL_HANDLE_KEY)
			return STATUS_OBJECT_TYPE_MISMATCH;
		n = key_path(k, &k->handles[r], path);
		if (chars && n + 1 < REG_PATH_MAX)
			path[n++] = '\\';
	} else if (!chars || !name->Buffer || name->Buffer[0] != L'\\') {
		return STATUS_OBJECT_PATH_SYNTAX_BAD;
	}
	if (chars && !registry_append_lower(path, &n, name->Buffer, chars))
		return STATUS_OBJECT_NAME_NOT_FOUND;
	while (n > 0 && path[n - 1] == '\\')
		n--;
	path[n] = 0;
	uint16_t value;
	if (!key_find(k, module, path, n, &value))
		return STATUS_OBJECT_NAME_NOT_FOUND;
	int slot = kernel_handle_free(k);
	if (slot < 0)
		return STATUS_INSUFFICIENT_RESOURCES;
	k->handles[slot] = (struct kernel_handle){ true, 0, module, KERNEL_HANDLE_KEY, value, (uint16_t)n };
	if (module < SCN_MODULES_MAX)
		k->modules[module].handles++;
	kernel_module_acct(k, module, true);
	*KeyHandle = kernel_handle_value(slot);
	return STATUS_SUCCESS;
}

NTSTATUS ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes)
{
	(void)DesiredAccess; /* read-only registry: every access is granted, no write routine exists */
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_ZwOpenKey, PASSIVE_LEVEL);
	kernel_enter(k, KE_ZwOpenKey);
	NTSTATUS st = open_key(k, KeyHandle, ObjectAttributes);
	kernel_emit(k, KE_ZwOpenKey, 0, st, 0);
	return st;
}

/* The answer's layout for a class: fixed part, where the name and the data
 * go; false for a class nmrsim does not answer. */
struct kv_layout {
	ULONG fixed, name_at, data_at, total;
};

static bool layout(KEY_VALUE_INFORMATION_CLASS c, ULONG name_bytes, ULONG data_bytes, struct kv_layout *l)
{
	switch (c) {
	case KeyValueBasicInformation:
		l->fixed = l->name_at = (ULONG)offsetof(KEY_VALUE_BASIC_INFORMATION, Name);
		l->total = l->fixed + name_bytes;
		l->data_at = 0;
		return true;
	case KeyValueFullInformation:
	case KeyValueFullInformationAlign64: {
		ULONG align = c == KeyValueFullInformation ? sizeof(ULONG) : 8;
		l->fixed = l->name_at = (ULONG)offsetof(KEY_VALUE_FULL_INFORMATION, Name);
		l->data_at = (l->name_at + name_bytes + align - 1) & ~(align - 1);
		l->total = l->data_at + data_bytes;
		return true;
	}
	case KeyValuePartialInformation:
		l->fixed = l->data_at = (ULONG)offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data);
		l->total = l->fixed + data_bytes;
		l->name_at = 0;
		return true;
	case KeyValuePartialInformationAlign64:
		l->fixed = l->data_at = (ULONG)offsetof(KEY_VALUE_PARTIAL_INFORMATION_ALIGN64, Data);
		l->total = l->fixed + data_bytes;
		l->name_at = 0;
		return true;
	default:
		return false;
	}
}

/* The fixed part of the answer for value v (name_bytes: its name in UTF-16). */
static void fill_fixed(KEY_VALUE_INFORMATION_CLASS c, UCHAR *out, const struct reg_value *v, ULONG name_bytes,
		       const struct kv_layout *l)
{
	if (c == KeyValueBasicInformation) {
		KEY_VALUE_BASIC_INFORMATION b = { 0, v->type, name_bytes, { 0 } };
		memcpy(out, &b, l->fixed);
	} else if (c == KeyValueFullInformation || c == KeyValueFullInformationAlign64) {
		KEY_VALUE_FULL_INFORMATION f = { 0, v->type, l->data_at, v->len, name_bytes, { 0 } };
		memcpy(out, &f, l->fixed);
	} else if (c == KeyValuePartialInformation) {
		KEY_VALUE_PARTIAL_INFORMATION p = { 0, v->type, v->len, { 0 } };
		memcpy(out, &p, l->fixed);
	} else {
		KEY_VALUE_PARTIAL_INFORMATION_ALIGN64 p = { v->type, v->len, { 0 } };
		memcpy(out, &p, l->fixed);
	}
}

static NTSTATUS query_value(struct kernel *k, HANDLE KeyHandle, PUNICODE_STRING ValueName,
			    KEY_VALUE_INFORMATION_CLASS c, PVOID out, ULONG Length, PULONG ResultLength)
{
	int i = kernel_handle_index(k, KeyHandle);
	if (i < 0)
		return STATUS_INVALID_HANDLE;
	if (k->handles[i].kind != KERNEL_HANDLE_KEY)
		return STATUS_OBJECT_TYPE_MISMATCH;
	if (!ResultLength)
		return STATUS_INVALID_PARAMETER;
	char key[REG_PATH_MAX], name[REG_NAME_MAX];
	key_path(k, &k->handles[i], key);
	size_t chars = ValueName ? ValueName->Length / sizeof(WCHAR) : 0;
	if (chars + 1 > REG_NAME_MAX)
		return STATUS_OBJECT_NAME_NOT_FOUND;
	for (size_t j = 0; j < chars; j++) {
		if (ValueName->Buffer[j] > 0x7e || ValueName->Buffer[j] == 0)
			return STATUS_OBJECT_NAME_NOT_FOUND;
		name[j] = (char)ValueName->Buffer[j];
	}
	name[chars] = 0;
	const struct reg_value *v = chars ? registry_find(registry_linked(), key, name) : NULL;
	if (!v)
		return STATUS_OBJECT_NAME_NOT_FOUND;
	ULONG name_bytes = (ULONG)(strlen(v->name) * sizeof(WCHAR));
	struct kv_layout l;
	if (!layout(c, name_bytes, v->len, &l))
		return STATUS_INVALID_PARAMETER;
	*ResultLength = l.total;
	if (Length < l.fixed || !out)
		return STATUS_BUFFER_TOO_SMALL;
	fill_fixed(c, out, v, name_bytes, &l);
	if (Length < l.total)
		return STATUS_BUFFER_OVERFLOW;
	if (l.name_at)
		for (size_t j = 0; v->name[j]; j++) {
			WCHAR w = (WCHAR)v->name[j];
			memcpy((UCHAR *)out + l.name_at + j * sizeof(WCHAR), &w, sizeof w);
		}
	if (l.data_at)
		memcpy((UCHAR *)out + l.data_at, v->data, v->len);
	return STATUS_SUCCESS;
}

NTSTATUS ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
			 PVOID KeyValueInformation, ULONG Length, PULONG ResultLength)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_ZwQueryValueKey, PASSIVE_LEVEL);
	kernel_enter(k, KE_ZwQueryValueKey);
	NTSTATUS st = query_value(k, KeyHandle, ValueName, KeyValueInformationClass, KeyValueInformation, Length,
				  ResultLength);
	kernel_emit(k, KE_ZwQueryValueKey, 0, st, 0);
	return st;
}

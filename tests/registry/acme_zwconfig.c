/* acme_zwconfig.c - a test driver (ours) that reads its configuration with
 * ZwOpenKey and ZwQueryValueKey, as drivers that predate or avoid
 * RtlQueryRegistryValues do: it opens its service key (RegistryPath), then
 * Parameters relative to it, sizes each value with a first call
 * (STATUS_BUFFER_TOO_SMALL for a buffer without room for the fixed part,
 * STATUS_BUFFER_OVERFLOW for one with room for it alone), reads it into a
 * pool buffer of that size, and closes both keys. Built as acme_config with
 * acme_config.reg (test_registry_driver.sh): it registers its NMR client
 * only when every answer is what the WDK documents, and DbgPrints what it
 * read. */
#include <ntddk.h>
#include <netioddk.h>

#define ACME_TAG 'gfCA'

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD AcmeUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN AcmeAttach;
static NPI_CLIENT_DETACH_PROVIDER_FN AcmeDetach;

static const GUID AcmeNpiId = { 0x0b1e2a3c, 0x4d5e, 0x4f60, { 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8 } };
static NPI_MODULEID AcmeModuleId = { sizeof(NPI_MODULEID), MIT_GUID, { 0 } };
static NPI_CLIENT_CHARACTERISTICS AcmeCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS), AcmeAttach, AcmeDetach, NULL,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), &AcmeNpiId, &AcmeModuleId, 0, NULL } };
static HANDLE AcmeClientHandle;

static NTSTATUS AcmeAttach(HANDLE NmrBindingHandle, PVOID ClientContext, PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
    UNREFERENCED_PARAMETER(NmrBindingHandle);
    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);
    return STATUS_NOINTERFACE;
}

static NTSTATUS AcmeDetach(PVOID ClientBindingContext)
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    return STATUS_SUCCESS;
}

static VOID AcmeUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (NmrDeregisterClient(AcmeClientHandle) == STATUS_PENDING)
        NmrWaitForClientDeregisterComplete(AcmeClientHandle);
}

/* Reads value Name of Key into a pool buffer the caller frees. */
static NTSTATUS AcmeReadValue(HANDLE Key, PCWSTR Name, PKEY_VALUE_PARTIAL_INFORMATION *Info)
{
    UNICODE_STRING ValueName;
    KEY_VALUE_PARTIAL_INFORMATION Header;
    ULONG Needed = 0, Again = 0;
    NTSTATUS Status;

    *Info = NULL;
    RtlInitUnicodeString(&ValueName, Name);
    Status = ZwQueryValueKey(Key, &ValueName, KeyValuePartialInformation, NULL, 0, &Needed);
    if (Status != STATUS_BUFFER_TOO_SMALL)
        return NT_SUCCESS(Status) ? STATUS_INTERNAL_ERROR : Status;
    Status = ZwQueryValueKey(Key, &ValueName, KeyValuePartialInformation, &Header,
                             FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data), &Again);
    if (Status != STATUS_BUFFER_OVERFLOW || Again != Needed ||
        Header.DataLength != Needed - FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data))
        return STATUS_INTERNAL_ERROR;
    *Info = ExAllocatePool2(POOL_FLAG_PAGED, Needed, ACME_TAG);
    if (*Info == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    Status = ZwQueryValueKey(Key, &ValueName, KeyValuePartialInformation, *Info, Needed, &Again);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(*Info, ACME_TAG);
        *Info = NULL;
    }
    return Status;
}

static NTSTATUS AcmeReadParameters(HANDLE Parameters, PULONG Level)
{
    static const GUID Expected = { 0x6f4e9d2a, 0x1b3c, 0x4d5e, { 0x8f, 0x70, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6 } };
    PKEY_VALUE_PARTIAL_INFORMATION Info;
    UNICODE_STRING Missing = RTL_CONSTANT_STRING(L"Retries");
    UCHAR Full[64];
    ULONG Needed;
    NTSTATUS Status;

    Status = AcmeReadValue(Parameters, L"Level", &Info);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Info->Type == REG_DWORD && Info->DataLength == sizeof(ULONG))
        RtlCopyMemory(Level, Info->Data, sizeof(ULONG));
    ExFreePoolWithTag(Info, ACME_TAG);

    Status = AcmeReadValue(Parameters, L"ModuleId", &Info);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Info->Type != REG_BINARY || Info->DataLength != sizeof(GUID) ||
        !RtlEqualMemory(Info->Data, &Expected, sizeof(GUID)))
        Status = STATUS_INVALID_PARAMETER;
    else
        RtlCopyMemory(&AcmeModuleId.Guid, Info->Data, sizeof(GUID));
    ExFreePoolWithTag(Info, ACME_TAG);
    if (!NT_SUCCESS(Status))
        return Status;

    /* The full form: the name, then the data at DataOffset. */
    UNICODE_STRING NameValue = RTL_CONSTANT_STRING(L"Name");
    Status = ZwQueryValueKey(Parameters, &NameValue, KeyValueFullInformation, Full, sizeof(Full), &Needed);
    if (!NT_SUCCESS(Status))
        return Status;
    PKEY_VALUE_FULL_INFORMATION FullInfo = (PKEY_VALUE_FULL_INFORMATION)Full;
    if (FullInfo->Type != REG_SZ || FullInfo->NameLength != 4 * sizeof(WCHAR) || FullInfo->Name[0] != L'N' ||
        FullInfo->DataLength != 5 * sizeof(WCHAR) || FullInfo->DataOffset + FullInfo->DataLength != Needed)
        return STATUS_INVALID_PARAMETER;
    DbgPrint("acme_config: Name=%ws (full information, %lu bytes)\n", (PCWSTR)(Full + FullInfo->DataOffset), Needed);

    Status = ZwQueryValueKey(Parameters, &Missing, KeyValuePartialInformation, Full, sizeof(Full), &Needed);
    return Status == STATUS_OBJECT_NAME_NOT_FOUND ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING ParametersName = RTL_CONSTANT_STRING(L"Parameters");
    HANDLE ServiceKey, Parameters;
    ULONG Level = 0;
    NTSTATUS Status;

    InitializeObjectAttributes(&Attributes, RegistryPath, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = ZwOpenKey(&ServiceKey, KEY_READ, &Attributes);
    if (!NT_SUCCESS(Status))
        return Status;
    InitializeObjectAttributes(&Attributes, &ParametersName, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, ServiceKey, NULL);
    Status = ZwOpenKey(&Parameters, KEY_READ, &Attributes);
    ZwClose(ServiceKey);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = AcmeReadParameters(Parameters, &Level);
    ZwClose(Parameters);
    if (!NT_SUCCESS(Status))
        return Status;
    DbgPrint("acme_config: Level=%lu through ZwQueryValueKey\n", Level);
    if (Level != 3)
        return STATUS_INVALID_PARAMETER;
    Status = NmrRegisterClient(&AcmeCharacteristics, NULL, &AcmeClientHandle);
    if (NT_SUCCESS(Status))
        DriverObject->DriverUnload = AcmeUnload;
    return Status;
}

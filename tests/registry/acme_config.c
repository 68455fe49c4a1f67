/* acme_config.c - a test driver (ours) that reads its configuration from its
 * service key in DriverEntry, as drivers installed by an INF do: a REQUIRED
 * binary module ID through a query routine, a DWORD and a string with
 * RTL_QUERY_REGISTRY_DIRECT, a multi-string through a routine (once per
 * string), and an optional value that is absent (its default applies). It
 * registers its NMR client only when every value is what
 * acme_config.reg gives, and DbgPrints what it read. */
#include <ntddk.h>
#include <netioddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD AcmeUnload;
static RTL_QUERY_REGISTRY_ROUTINE AcmeQueryModuleId;
static RTL_QUERY_REGISTRY_ROUTINE AcmeQueryPeer;
static NPI_CLIENT_ATTACH_PROVIDER_FN AcmeAttach;
static NPI_CLIENT_DETACH_PROVIDER_FN AcmeDetach;

static const GUID AcmeNpiId = { 0x0b1e2a3c, 0x4d5e, 0x4f60, { 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8 } };
static NPI_MODULEID AcmeModuleId = { sizeof(NPI_MODULEID), MIT_GUID, { 0 } };
static NPI_CLIENT_CHARACTERISTICS AcmeCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS), AcmeAttach, AcmeDetach, NULL,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), &AcmeNpiId, &AcmeModuleId, 0, NULL } };
static HANDLE AcmeClientHandle;
static ULONG PeerCount;

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

static NTSTATUS AcmeQueryModuleId(PWSTR ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength,
    PVOID Context, PVOID EntryContext)
{
    UNREFERENCED_PARAMETER(ValueName);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(EntryContext);
    if (ValueType != REG_BINARY || ValueLength != sizeof(AcmeModuleId.Guid))
        return STATUS_INVALID_PARAMETER;
    RtlCopyMemory(&AcmeModuleId.Guid, ValueData, ValueLength);
    return STATUS_SUCCESS;
}

static NTSTATUS AcmeQueryPeer(PWSTR ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength,
    PVOID Context, PVOID EntryContext)
{
    UNREFERENCED_PARAMETER(ValueName);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(ValueData);
    if (ValueType != REG_SZ || ValueLength < sizeof(WCHAR))
        return STATUS_INVALID_PARAMETER;
    (*(ULONG *)EntryContext)++;
    return STATUS_SUCCESS;
}

static VOID AcmeUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (NmrDeregisterClient(AcmeClientHandle) == STATUS_PENDING)
        NmrWaitForClientDeregisterComplete(AcmeClientHandle);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    static const GUID Expected = { 0x6f4e9d2a, 0x1b3c, 0x4d5e, { 0x8f, 0x70, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6 } };
    ULONG Level = 0, Retries = 0, RetriesDefault = 5;
    WCHAR NameBuffer[16];
    UNICODE_STRING Name = { 0, sizeof(NameBuffer), NameBuffer };
    RTL_QUERY_REGISTRY_TABLE Table[] = {
        { NULL, RTL_QUERY_REGISTRY_SUBKEY, L"Parameters", NULL, REG_NONE, NULL, 0 },
        { AcmeQueryModuleId, RTL_QUERY_REGISTRY_REQUIRED, L"ModuleId", NULL, REG_NONE, NULL, 0 },
        { NULL, RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK, L"Level", &Level,
          (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_DWORD, NULL, 0 },
        { NULL, RTL_QUERY_REGISTRY_DIRECT, L"Name", &Name, REG_NONE, NULL, 0 },
        { AcmeQueryPeer, 0, L"Peers", &PeerCount, REG_NONE, NULL, 0 },
        { NULL, RTL_QUERY_REGISTRY_DIRECT, L"Retries", &Retries, REG_DWORD, &RetriesDefault, sizeof(ULONG) },
        { 0 } };
    NTSTATUS Status;

    Status = RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, RegistryPath->Buffer, Table, NULL, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    DbgPrint("acme_config: Level=%lu Name=%wZ Peers=%lu Retries=%lu\n", Level, &Name, PeerCount, Retries);
    if (!RtlEqualMemory(&AcmeModuleId.Guid, &Expected, sizeof(GUID)) || Level != 3 || PeerCount != 2 ||
        Retries != 5 || Name.Length != 8 || Name.Buffer[0] != L'a' || Name.Buffer[3] != L'e')
        return STATUS_INVALID_PARAMETER;
    Status = NmrRegisterClient(&AcmeCharacteristics, NULL, &AcmeClientHandle);
    if (NT_SUCCESS(Status))
        DriverObject->DriverUnload = AcmeUnload;
    return Status;
}

/* acme_vendorkey.c - a client that reads its tuning from a vendor key
 * (\Registry\Machine\Software\Acme\Parameters) that only exists when an
 * administrator created it, the way netevent_sim reads its event interval:
 * the table gives a default, and a failed query falls back to the
 * driver's own. On Windows a missing key fails the whole query
 * (STATUS_OBJECT_NAME_NOT_FOUND) unless RTL_REGISTRY_OPTIONAL says the key
 * is optional. */
#include <ntddk.h>
#include <netioddk.h>

#define ACME_KEY L"\\Registry\\Machine\\Software\\Acme\\Parameters"
#define ACME_DEFAULT_INTERVAL 7UL

static const NPIID AcmeNpiId = { 0x2b5f6c1e, 0x7a3d, 0x4e8b, { 0x91, 0x0c, 0x5d, 0x2e, 0x3f, 0x4a, 0x6b, 0x7c } };
static const NPI_MODULEID AcmeModuleId = { sizeof(NPI_MODULEID), MIT_GUID,
    { 0x2b5f6c1f, 0x7a3d, 0x4e8b, { 0x91, 0x0c, 0x5d, 0x2e, 0x3f, 0x4a, 0x6b, 0x7c } } };
static HANDLE AcmeClientHandle;

static NTSTATUS AcmeAttach(HANDLE NmrBindingHandle, PVOID ClientContext, PNPI_REGISTRATION_INSTANCE Provider)
{
    UNREFERENCED_PARAMETER(NmrBindingHandle);
    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(Provider);
    return STATUS_NOINTERFACE;
}

static NTSTATUS AcmeDetach(PVOID ClientBindingContext)
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    return STATUS_SUCCESS;
}

static const NPI_CLIENT_CHARACTERISTICS AcmeCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS), AcmeAttach, AcmeDetach, NULL,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), &AcmeNpiId, &AcmeModuleId, 0, NULL } };

static ULONG AcmeQueryInterval(ULONG RelativeTo, PNTSTATUS Status)
{
    ULONG Interval = 0, TableDefault = 3;
    RTL_QUERY_REGISTRY_TABLE Table[] = {
        { NULL, RTL_QUERY_REGISTRY_DIRECT, L"Interval", &Interval, REG_DWORD, &TableDefault, sizeof(ULONG) },
        { 0 } };
    *Status = RtlQueryRegistryValues(RelativeTo, ACME_KEY, Table, NULL, NULL);
    return NT_SUCCESS(*Status) ? Interval : ACME_DEFAULT_INTERVAL;
}

static VOID AcmeUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (NmrDeregisterClient(AcmeClientHandle) == STATUS_PENDING)
        NmrWaitForClientDeregisterComplete(AcmeClientHandle);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status, OptionalStatus;
    ULONG Interval, Optional;

    UNREFERENCED_PARAMETER(RegistryPath);
    Interval = AcmeQueryInterval(RTL_REGISTRY_ABSOLUTE, &Status);
    Optional = AcmeQueryInterval(RTL_REGISTRY_ABSOLUTE | RTL_REGISTRY_OPTIONAL, &OptionalStatus);
    DbgPrint("acme_vendorkey: Interval=%lu (0x%08lx) Optional=%lu (0x%08lx)\n", Interval, (ULONG)Status, Optional,
             (ULONG)OptionalStatus);
    Status = NmrRegisterClient(&AcmeCharacteristics, NULL, &AcmeClientHandle);
    if (NT_SUCCESS(Status))
        DriverObject->DriverUnload = AcmeUnload;
    return Status;
}

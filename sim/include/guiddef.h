/* guiddef.h - GUID, DEFINE_GUID and the comparisons, with the WDK's names.
 * DEFINE_GUID declares the GUID; after <initguid.h> (INITGUID) it defines it,
 * as a selectany (weak) object, so several files of one driver may define
 * the same GUID as MSVC allows. */
#ifndef GUID_DEFINED
#define GUID_DEFINED

typedef struct _GUID {
	__UINT32_TYPE__ Data1;
	__UINT16_TYPE__ Data2;
	__UINT16_TYPE__ Data3;
	__UINT8_TYPE__ Data4[8];
} GUID;
#endif

#ifndef _NMRSIM_GUIDDEF_
#define _NMRSIM_GUIDDEF_
typedef GUID *PGUID, *LPGUID;
typedef const GUID *LPCGUID, *PCGUID, *REFGUID;
typedef GUID UUID, IID, CLSID, FMTID;
typedef const GUID *REFIID, *REFCLSID, *REFFMTID;
typedef IID *LPIID;

static inline int IsEqualGUID(const GUID *a, const GUID *b)
{
	return __builtin_memcmp(a, b, sizeof(GUID)) == 0;
}
#define InlineIsEqualGUID(a, b) IsEqualGUID(a, b)
#define IsEqualIID(a, b) IsEqualGUID(a, b)
#define IsEqualCLSID(a, b) IsEqualGUID(a, b)
#endif

/* Re-evaluated on every include, as in the WDK: <initguid.h> then a header
 * of DEFINE_GUIDs defines them. */
#undef DEFINE_GUID
#ifdef INITGUID
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
	const GUID __attribute__((__weak__)) name = { l, w1, w2, { b1, b2, b3, b4, b5, b6, b7, b8 } }
#else
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) extern const GUID name
#endif
#ifndef DEFINE_OLEGUID
#define DEFINE_OLEGUID(name, l, w1, w2) DEFINE_GUID(name, l, w1, w2, 0xC0, 0, 0, 0, 0, 0, 0, 0x46)
#endif

/* initguid.h - include before a header of DEFINE_GUIDs to define them (WDK). */
#ifndef INITGUID
#define INITGUID
#endif
#include "guiddef.h"

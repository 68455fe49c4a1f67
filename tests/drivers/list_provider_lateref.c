/* list_provider_lateref.c - list_provider.c with its notifier taking the bindings' references after it dropped the lock. Scenario: corpus/kernel/list-lateref.nmr. */
#define LIST_REF_AFTER_UNLOCK
#include "list_provider.c"

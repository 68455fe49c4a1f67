/* wi_flush_bug.c - wi_flush.c with the batch taken without an interlocked
 * exchange: a double free when two flushes run at once (`io-workers 2`). */
#define WI_FLUSH_UNLOCKED_TAKE 1
#include "wi_flush.c"

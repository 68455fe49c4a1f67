/* fuzz_empty.c - a target that does nothing: the libFuzzer engine's own
 * ceiling, measured beside the real targets (fuzz/bench.sh). */
#include "fuzz_target.h"

const char fuzz_target_name[] = "fuzz_empty";

int fuzz_target_init(void)
{
	return 0;
}

int fuzz_target_run(const uint8_t *data, size_t len)
{
	(void)data;
	(void)len;
	return 0;
}

/* feedback.c - see feedback.h. */
#include "feedback.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"

#if defined(FUZZ_ENGINE_LIBFUZZER)
/* libFuzzer treats every byte of this section as a coverage counter and
 * clears them before each input. */
__attribute__((section("__libfuzzer_extra_counters"), used))
#endif
static uint8_t feedback_map[FUZZ_FEEDBACK_SLOTS];

#if defined(FUZZ_ENGINE_AFL)
/* AFL++'s runtime (afl-compiler-rt), always linked by afl-clang-fast.
 * __afl_area_ptr is read in asm, never declared here: afl-clang-fast's pass
 * declares that name in every module it instruments, and with a declaration
 * of ours beside it the pass's own global is renamed (`__afl_area_ptr.4`,
 * undefined at link). x86-64, as the fibers and guard trampolines are. */
extern uint32_t __afl_map_size;

static uint8_t *afl_area(void)
{
	uint8_t *area;
	__asm__("movq __afl_area_ptr(%%rip), %0" : "=r"(area));
	return area;
}
#endif

bool fuzz_feedback_setup(struct run_options *opt)
{
	const char *env = getenv("NMRSIM_FUZZ_INTERLEAVE");
	if (!env || !env[0] || !strcmp(env, "0"))
		return true;
	if (strcmp(env, "1") != 0) {
		fprintf(stderr, "%s: bad NMRSIM_FUZZ_INTERLEAVE '%s' (1: interleaving coverage as feedback, 0: off)\n",
			fuzz_target_name, env);
		return false;
	}
	opt->interleave_map = feedback_map;
	opt->interleave_slots = FUZZ_FEEDBACK_SLOTS;
	return true;
}

void fuzz_feedback_after_run(const struct run_options *opt)
{
	if (!opt->interleave_map)
		return;
#if defined(FUZZ_ENGINE_AFL)
	uint8_t *area = afl_area();
	uint32_t size = __afl_map_size ? __afl_map_size : 65536;
	for (uint32_t i = 0; area && i < FUZZ_FEEDBACK_SLOTS; i++)
		if (feedback_map[i]) {
			/* Spread over the map (odd multiplier): a feature is an edge
			 * AFL++ has not seen, colliding with code edges as they collide
			 * among themselves. */
			uint8_t *b = &area[(i * 40503u + 0x9e37u) % size];
			*b = (uint8_t)(*b + feedback_map[i]);
		}
	memset(feedback_map, 0, sizeof feedback_map);
#elif !defined(FUZZ_ENGINE_LIBFUZZER)
	/* The standalone runner: nothing reads the map; keep it from
	 * saturating over a long run. */
	memset(feedback_map, 0, sizeof feedback_map);
#endif
}

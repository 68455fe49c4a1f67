/* fuzz_text.c - the text scenario parser.
 *
 * Any bytes: scn_parse_text must not crash (ASan/UBSan builds check reads
 * outside the input). A successful parse must round-trip: print -> parse ->
 * print gives the same text, and the binary codec is a projection
 * (encode(decode(encode(s))) == encode(s)). A failed check prints both sides
 * and counts as a finding (the glue aborts). */
#include <stdio.h>
#include <string.h>

#include "fuzz_target.h"
#include "scenario/scenario.h"

const char fuzz_target_name[] = "fuzz_text";

/* The canonical text of the largest scenario: 16384 choices of at most
 * "module:65535:65535 " (19 bytes), 4096 schedule bytes, 64 ops, 8 modules. */
#define TEXT_CAP (SCN_CHOICES_MAX * 20 + SCN_SCHED_BYTES_MAX * 3 + 64 * 1024)
#define BIN_CAP (64 + SCN_MODULES_MAX * 4 + SCN_OPS_MAX * 3 + SCN_SCHED_BYTES_MAX)

static struct scenario first, second, third;
static char text1[TEXT_CAP], text2[TEXT_CAP];
static uint8_t bin1[BIN_CAP], bin2[BIN_CAP];

int fuzz_target_init(void)
{
	/* The hosted-driver table is built lazily on first use: build it now,
	 * before AFL++'s fork server, so no input sees the one-time path
	 * (AFL++ stability). */
	(void)image_count();
	return 0;
}

static int mismatch(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "violation fuzz_text round-trip: %s\n--- first\n%s\n--- second\n%s\n", what, a, b ? b : "");
	fprintf(stderr, "signature: fuzz_text %s\n", what);
	return 1;
}

int fuzz_target_run(const uint8_t *data, size_t len)
{
	struct scn_error err;
	if (scn_parse_text(&first, (const char *)data, len, "input", &err) != 0)
		return 0;
	size_t n1 = scn_print_text(&first, text1, sizeof text1);
	if (n1 >= sizeof text1)
		return mismatch("print needs more than TEXT_CAP", "", NULL);
	if (scn_parse_text(&second, text1, n1, "printed", &err) != 0) {
		char why[320];
		snprintf(why, sizeof why, "printed text does not parse: line %u: %s", err.line, err.reason);
		return mismatch(why, text1, NULL);
	}
	size_t n2 = scn_print_text(&second, text2, sizeof text2);
	if (n2 != n1 || memcmp(text1, text2, n1) != 0)
		return mismatch("print(parse(print(s))) != print(s)", text1, text2);

	size_t b1 = scn_encode_binary(&first, bin1, sizeof bin1);
	if (b1 > sizeof bin1)
		return mismatch("encode needs more than BIN_CAP", text1, NULL);
	scn_decode_binary(&third, bin1, b1);
	size_t b2 = scn_encode_binary(&third, bin2, sizeof bin2);
	if (b2 != b1 || memcmp(bin1, bin2, b1) != 0) {
		scn_print_text(&third, text2, sizeof text2);
		return mismatch("encode(decode(encode(s))) != encode(s)", text1, text2);
	}
	return 0;
}

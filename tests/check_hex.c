/* Hex digits (common/hex.h), as every parser of MACs, Kea's lease JSON and
 * dbuser's hex: words reads them: the sixteen digits in either case, and
 * nothing else, whatever the byte. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "tests/lib/checkrun.h"

START_TEST(the_sixteen_digits_read_in_either_case)
{
	static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
	int i;

	for (i = 0; i < 16; i++) {
		ck_assert_int_eq(hex_digit(lower[i]), i);
		ck_assert_int_eq(hex_digit(upper[i]), i);
	}
}
END_TEST

START_TEST(every_other_byte_is_no_digit)
{
	static const char digits[] = "0123456789abcdefABCDEF";
	int c;

	/* as an unsigned char (dbuser) and as a plain char, negative above
	 * 0x7f where char is signed (rbpd, Kea's JSON); NUL included */
	for (c = 0; c < 256; c++) {
		if (memchr(digits, c, sizeof(digits) - 1) != NULL)
			continue;
		ck_assert_msg(hex_digit(c) == -1, "byte 0x%02x read as a digit", c);
		ck_assert_msg(hex_digit((char)c) == -1, "char 0x%02x read as a digit", c);
	}
	ck_assert_int_eq(hex_digit(-1), -1);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    the_sixteen_digits_read_in_either_case,
	    every_other_byte_is_no_digit,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("hex", &core, 1);
}

/* The queue of changes for rbsd: items come out in order and intact,
 * whatever their sizes, reading twice from the head sees the same items
 * until they are dropped, and dropped blocks are given back. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rbpd/rbp_fifo.h"
#include "tests/lib/checkrun.h"

static uint8_t buf[RBP_FIFO_BLOCK * 2];

/* Item i: key "k<i>", payload of a size that varies, bytes from i. */
static void item(unsigned i, struct rbp_fifo_item *it, char *key)
{
	size_t plen = i % 97 == 0 ? RBP_FIFO_BLOCK + 100 : (i * 37) % 300;

	snprintf(key, 16, "k%u", i);
	for (size_t j = 0; j < plen; j++)
		buf[j] = (uint8_t)(i + j);
	it->op = (uint8_t)(1 + i % 2);
	it->type = (uint8_t)(i % 7);
	it->version = 1000 + i;
	it->key = (const uint8_t *)key;
	it->key_len = strlen(key);
	it->payload = buf;
	it->payload_len = plen;
}

static void check_item(unsigned i, const struct rbp_fifo_item *got)
{
	struct rbp_fifo_item want;
	char key[16];

	item(i, &want, key);
	ck_assert_uint_eq(got->op, want.op);
	ck_assert_uint_eq(got->type, want.type);
	ck_assert_uint_eq(got->version, want.version);
	ck_assert_uint_eq(got->key_len, want.key_len);
	ck_assert_mem_eq(got->key, want.key, want.key_len);
	ck_assert_uint_eq(got->payload_len, want.payload_len);
	if (want.payload_len)
		ck_assert_mem_eq(got->payload, want.payload, want.payload_len);
}

START_TEST(items_come_out_in_order_and_intact)
{
	struct rbp_fifo f;
	struct rbp_fifo_pos p;
	struct rbp_fifo_item it;
	unsigned next = 0, pushed = 0;
	char key[16];

	rbp_fifo_init(&f);
	/* push and read in uneven rounds, dropping after each read */
	for (unsigned round = 0; round < 50; round++) {
		for (unsigned k = 0; k < round * 13 % 211; k++) {
			item(pushed++, &it, key);
			ck_assert_int_eq(rbp_fifo_push(&f, &it), 0);
		}
		ck_assert_uint_eq(f.len, pushed - next);
		rbp_fifo_head(&f, &p);
		for (unsigned k = 0; k < round * 7 % 150 && rbp_fifo_peek(&f, &p, &it); k++)
			check_item(next + k, &it);
		next += (unsigned)p.n;
		rbp_fifo_drop(&f, &p);
	}
	rbp_fifo_head(&f, &p);
	while (rbp_fifo_peek(&f, &p, &it))
		check_item(next++, &it);
	ck_assert_uint_eq(next, pushed);
	rbp_fifo_drop(&f, &p);
	ck_assert_uint_eq(f.len, 0);
	ck_assert_uint_eq(f.bytes, 0);
	rbp_fifo_clear(&f);
}
END_TEST

START_TEST(what_is_not_dropped_is_read_again)
{
	struct rbp_fifo f;
	struct rbp_fifo_pos p;
	struct rbp_fifo_item it;
	char key[16];

	rbp_fifo_init(&f);
	for (unsigned i = 0; i < 5000; i++) {
		item(i, &it, key);
		ck_assert_int_eq(rbp_fifo_push(&f, &it), 0);
	}
	ck_assert_uint_gt(f.bytes, 2 * RBP_FIFO_BLOCK);
	/* a message that could not be sent: read 3000, drop nothing */
	rbp_fifo_head(&f, &p);
	for (unsigned i = 0; i < 3000; i++)
		ck_assert(rbp_fifo_peek(&f, &p, &it));
	rbp_fifo_head(&f, &p);
	ck_assert(rbp_fifo_peek(&f, &p, &it));
	check_item(0, &it);
	/* the whole queue dropped, then refilled: the last block is reused */
	while (rbp_fifo_peek(&f, &p, &it))
		;
	rbp_fifo_drop(&f, &p);
	ck_assert_uint_eq(f.len, 0);
	item(1, &it, key);
	ck_assert_int_eq(rbp_fifo_push(&f, &it), 0);
	rbp_fifo_head(&f, &p);
	ck_assert(rbp_fifo_peek(&f, &p, &it));
	check_item(1, &it);
	ck_assert(!rbp_fifo_peek(&f, &p, &it));
	/* a key too long is refused and changes nothing */
	it.key_len = 256;
	ck_assert_int_eq(rbp_fifo_push(&f, &it), -EINVAL);
	ck_assert_uint_eq(f.len, 1);
	rbp_fifo_clear(&f);
	ck_assert_uint_eq(f.len, 0);
	ck_assert_uint_eq(f.bytes, 0);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    items_come_out_in_order_and_intact,
	    what_is_not_dropped_is_read_again,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbp_fifo", &core, 1);
}

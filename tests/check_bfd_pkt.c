/* The BFD Control packet parser and builder: what is built parses back to
 * the same fields, a packet laid out by hand from RFC 5880 4.1 parses to
 * the fields the RFC layout says, and every packet that RFC 5880 6.8.6
 * discards is dropped with the reason a counter and a log line will show. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bfd/bfd_pkt.h"
#include "tests/lib/checkrun.h"

/* A packet with every field set to something other than its default. */
static struct bfd_pkt sample(void)
{
	struct bfd_pkt p;

	memset(&p, 0, sizeof(p));
	p.version = BFD_PKT_VERSION;
	p.diag = BFD_DIAG_PATH_DOWN;
	p.state = BFD_STATE_UP;
	p.poll = true;
	p.cpi = true;
	p.demand = true;
	p.detect_mult = 5;
	p.length = BFD_PKT_LEN;
	p.my_disc = 0x01020304;
	p.your_disc = 0xa1b2c3d4;
	p.desired_min_tx_us = 300000;
	p.required_min_rx_us = 0x11223344;
	p.required_min_echo_rx_us = 0x55667788;
	return p;
}

static void assert_same(const struct bfd_pkt *a, const struct bfd_pkt *b)
{
	ck_assert_uint_eq(a->version, b->version);
	ck_assert_uint_eq(a->diag, b->diag);
	ck_assert_int_eq(a->state, b->state);
	ck_assert_int_eq(a->poll, b->poll);
	ck_assert_int_eq(a->final, b->final);
	ck_assert_int_eq(a->cpi, b->cpi);
	ck_assert_int_eq(a->auth, b->auth);
	ck_assert_int_eq(a->demand, b->demand);
	ck_assert_int_eq(a->multipoint, b->multipoint);
	ck_assert_uint_eq(a->detect_mult, b->detect_mult);
	ck_assert_uint_eq(a->length, b->length);
	ck_assert_uint_eq(a->my_disc, b->my_disc);
	ck_assert_uint_eq(a->your_disc, b->your_disc);
	ck_assert_uint_eq(a->desired_min_tx_us, b->desired_min_tx_us);
	ck_assert_uint_eq(a->required_min_rx_us, b->required_min_rx_us);
	ck_assert_uint_eq(a->required_min_echo_rx_us, b->required_min_echo_rx_us);
}

static void round_trip(const struct bfd_pkt *p)
{
	uint8_t buf[64];
	struct bfd_pkt out;
	enum bfd_drop why = BFD_DROP__MAX;

	memset(buf, 0xee, sizeof(buf));
	ck_assert_int_eq(bfd_pkt_build(buf, sizeof(buf), p), BFD_PKT_LEN);
	ck_assert_uint_eq(buf[BFD_PKT_LEN], 0xee); /* nothing written past 24 bytes */
	memset(&out, 0xa5, sizeof(out));
	ck_assert_int_eq(bfd_pkt_parse(buf, BFD_PKT_LEN, &out, &why), 0);
	ck_assert_int_eq(why, BFD_DROP_NONE);
	assert_same(p, &out);
}

/* A valid packet in buf (24 bytes, see sample()), zeros after it. */
static void valid(uint8_t *buf, size_t cap)
{
	struct bfd_pkt p = sample();

	memset(buf, 0, cap);
	ck_assert_int_eq(bfd_pkt_build(buf, cap, &p), BFD_PKT_LEN);
}

/* Parses len bytes of buf, expecting a drop for the given reason. */
static void assert_dropped(const uint8_t *buf, size_t len, enum bfd_drop reason)
{
	struct bfd_pkt out;
	enum bfd_drop why = BFD_DROP__MAX;
	int rc = bfd_pkt_parse(buf, len, &out, &why);

	ck_assert_msg(rc == -EINVAL && why == reason, "len %zu: rc %d why %s, want %s", len, rc,
		      bfd_drop_str(why), bfd_drop_str(reason));
}

static void assert_accepted(const uint8_t *buf, size_t len)
{
	struct bfd_pkt out;
	enum bfd_drop why = BFD_DROP__MAX;
	int rc = bfd_pkt_parse(buf, len, &out, &why);

	ck_assert_msg(rc == 0 && why == BFD_DROP_NONE, "len %zu: rc %d why %s", len, rc,
		      bfd_drop_str(why));
}

/* --- round trips ------------------------------------------------------ */

START_TEST(a_built_packet_is_24_bytes_and_parses_back_to_every_field)
{
	struct bfd_pkt p = sample();

	round_trip(&p);
}
END_TEST

START_TEST(every_state_and_flag_combination_round_trips)
{
	int state, bits;

	for (state = BFD_STATE_ADMIN_DOWN; state <= BFD_STATE_UP; state++) {
		for (bits = 0; bits < 16; bits++) {
			struct bfd_pkt p = sample();

			p.state = (enum bfd_state)state;
			p.poll = bits & 1;
			p.final = bits & 2;
			p.cpi = bits & 4;
			p.demand = bits & 8;
			if (p.poll && p.final)
				continue; /* never built, see below */
			round_trip(&p);
		}
	}
}
END_TEST

START_TEST(every_diagnostic_code_and_extreme_field_values_round_trip)
{
	struct bfd_pkt p = sample();
	unsigned d;

	for (d = 0; d <= BFD_DIAG_MAX; d++) {
		p.diag = (uint8_t)d;
		round_trip(&p);
	}
	p.detect_mult = 255;
	p.my_disc = UINT32_MAX;
	p.your_disc = UINT32_MAX;
	p.desired_min_tx_us = UINT32_MAX;
	p.required_min_rx_us = 0;
	p.required_min_echo_rx_us = UINT32_MAX;
	round_trip(&p);
	p.state = BFD_STATE_DOWN;
	p.your_disc = 0;
	p.detect_mult = 1;
	round_trip(&p);
}
END_TEST

/*
 * Laid out from RFC 5880 4.1: version 1, diag 3 (Neighbor Signaled Session
 * Down), state Init with P, Detect Mult 3, Length 24, My Discriminator
 * 0x12345678, Your Discriminator 0x9abcdef0, Desired Min TX 1 s
 * (0x000f4240), Required Min RX 300 ms (0x000493e0), Required Min Echo RX
 * 50 ms (0x0000c350).
 *   byte 0: 001 00011 = 0x23    byte 1: 10 1 0 0 0 0 0 = 0xa0
 */
static const uint8_t hand_made[BFD_PKT_LEN] = {
    0x23, 0xa0, 0x03, 0x18, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
    0x00, 0x0f, 0x42, 0x40, 0x00, 0x04, 0x93, 0xe0, 0x00, 0x00, 0xc3, 0x50,
};

START_TEST(a_hand_made_packet_parses_to_its_rfc_fields)
{
	struct bfd_pkt out;
	enum bfd_drop why;

	ck_assert_int_eq(bfd_pkt_parse(hand_made, sizeof(hand_made), &out, &why), 0);
	ck_assert_uint_eq(out.version, 1);
	ck_assert_uint_eq(out.diag, BFD_DIAG_NEIGHBOR_DOWN);
	ck_assert_int_eq(out.state, BFD_STATE_INIT);
	ck_assert(out.poll);
	ck_assert(!out.final);
	ck_assert(!out.cpi);
	ck_assert(!out.auth);
	ck_assert(!out.demand);
	ck_assert(!out.multipoint);
	ck_assert_uint_eq(out.detect_mult, 3);
	ck_assert_uint_eq(out.length, 24);
	ck_assert_uint_eq(out.my_disc, 0x12345678);
	ck_assert_uint_eq(out.your_disc, 0x9abcdef0);
	ck_assert_uint_eq(out.desired_min_tx_us, 1000000);
	ck_assert_uint_eq(out.required_min_rx_us, 300000);
	ck_assert_uint_eq(out.required_min_echo_rx_us, 50000);
}
END_TEST

/* And what the builder makes of the same fields is byte for byte the
 * hand-made packet. */
START_TEST(the_builder_writes_the_hand_made_packet)
{
	struct bfd_pkt p;
	uint8_t buf[BFD_PKT_LEN];

	memset(&p, 0, sizeof(p));
	p.version = 1;
	p.diag = BFD_DIAG_NEIGHBOR_DOWN;
	p.state = BFD_STATE_INIT;
	p.poll = true;
	p.detect_mult = 3;
	p.length = 24;
	p.my_disc = 0x12345678;
	p.your_disc = 0x9abcdef0;
	p.desired_min_tx_us = 1000000;
	p.required_min_rx_us = 300000;
	p.required_min_echo_rx_us = 50000;
	ck_assert_int_eq(bfd_pkt_build(buf, sizeof(buf), &p), BFD_PKT_LEN);
	ck_assert_mem_eq(buf, hand_made, sizeof(hand_made));
}
END_TEST

/* Each flag sits where RFC 5880 4.1 puts it in byte 1: Sta(2) P F C A D M. */
START_TEST(each_flag_is_its_own_bit_of_byte_1)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} flags[] = {{0x20, "P"}, {0x10, "F"}, {0x08, "C"}, {0x02, "D"}};
	uint8_t buf[BFD_PKT_LEN];
	struct bfd_pkt out;
	enum bfd_drop why;
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		memcpy(buf, hand_made, sizeof(buf));
		buf[1] = (uint8_t)(BFD_STATE_UP << 6 | flags[i].bit);
		ck_assert_int_eq(bfd_pkt_parse(buf, sizeof(buf), &out, &why), 0);
		ck_assert_int_eq(out.state, BFD_STATE_UP);
		ck_assert_msg(
		    out.poll == (flags[i].bit == 0x20) && out.final == (flags[i].bit == 0x10) &&
			out.cpi == (flags[i].bit == 0x08) && out.demand == (flags[i].bit == 0x02),
		    "bit %s read as P%d F%d C%d D%d", flags[i].name, out.poll, out.final, out.cpi,
		    out.demand);
	}
}
END_TEST

/* RFC 9764 pads the UDP payload past the Length field; the padding is not
 * part of the packet. */
START_TEST(bytes_after_the_length_field_are_ignored)
{
	uint8_t buf[100];
	struct bfd_pkt out, want = sample();
	enum bfd_drop why;

	valid(buf, sizeof(buf));
	memset(buf + BFD_PKT_LEN, 0xff, sizeof(buf) - BFD_PKT_LEN);
	ck_assert_int_eq(bfd_pkt_parse(buf, sizeof(buf), &out, &why), 0);
	assert_same(&want, &out);
}
END_TEST

/* RFC 5880 4.1 leaves 9..31 reserved: kept, not refused. */
START_TEST(reserved_diagnostic_codes_are_kept_as_received)
{
	uint8_t buf[BFD_PKT_LEN];
	struct bfd_pkt out;
	enum bfd_drop why;

	valid(buf, sizeof(buf));
	buf[0] = 0x20 | 31;
	ck_assert_int_eq(bfd_pkt_parse(buf, sizeof(buf), &out, &why), 0);
	ck_assert_uint_eq(out.diag, 31);
}
END_TEST

/* --- drops, RFC 5880 6.8.6 -------------------------------------------- */

START_TEST(fewer_than_24_bytes_are_short)
{
	uint8_t buf[BFD_PKT_LEN];
	size_t len;

	valid(buf, sizeof(buf));
	for (len = 0; len < BFD_PKT_LEN; len++)
		assert_dropped(buf, len, BFD_DROP_SHORT);
	assert_dropped(NULL, 0, BFD_DROP_SHORT);
	assert_accepted(buf, BFD_PKT_LEN);
}
END_TEST

START_TEST(versions_other_than_1_are_dropped)
{
	uint8_t buf[BFD_PKT_LEN];
	int v;

	valid(buf, sizeof(buf));
	for (v = 0; v < 8; v++) {
		buf[0] = (uint8_t)(v << 5 | (buf[0] & 0x1f));
		if (v == 1)
			assert_accepted(buf, sizeof(buf));
		else
			assert_dropped(buf, sizeof(buf), BFD_DROP_VERSION);
	}
}
END_TEST

START_TEST(a_length_field_below_24_is_dropped)
{
	uint8_t buf[BFD_PKT_LEN];
	int l;

	valid(buf, sizeof(buf));
	for (l = 0; l < BFD_PKT_LEN; l++) {
		buf[3] = (uint8_t)l;
		assert_dropped(buf, sizeof(buf), BFD_DROP_LENGTH);
	}
}
END_TEST

/* Without the A bit nothing may follow the 24 bytes, even when that much
 * was received. */
START_TEST(a_length_field_above_24_without_the_a_bit_is_dropped)
{
	uint8_t buf[255];
	int l;

	valid(buf, sizeof(buf));
	memset(buf + BFD_PKT_LEN, 0, sizeof(buf) - BFD_PKT_LEN);
	for (l = BFD_PKT_LEN + 1; l <= 255; l++) {
		buf[3] = (uint8_t)l;
		assert_dropped(buf, sizeof(buf), BFD_DROP_LENGTH);
	}
}
END_TEST

START_TEST(a_length_field_beyond_the_received_bytes_is_truncated)
{
	uint8_t buf[64];

	valid(buf, sizeof(buf));
	buf[3] = 25;
	assert_dropped(buf, BFD_PKT_LEN, BFD_DROP_TRUNCATED);
	buf[3] = 64;
	assert_dropped(buf, 63, BFD_DROP_TRUNCATED);
	/* with the A bit too: the authentication section is not all there */
	buf[1] |= 0x04;
	buf[3] = 28;
	assert_dropped(buf, 27, BFD_DROP_TRUNCATED);
}
END_TEST

START_TEST(a_packet_with_detect_mult_0_is_dropped)
{
	uint8_t buf[BFD_PKT_LEN];

	valid(buf, sizeof(buf));
	buf[2] = 0;
	assert_dropped(buf, sizeof(buf), BFD_DROP_DETECT_MULT);
	buf[2] = 1;
	assert_accepted(buf, sizeof(buf));
}
END_TEST

START_TEST(a_packet_with_the_multipoint_bit_is_dropped)
{
	uint8_t buf[BFD_PKT_LEN];

	valid(buf, sizeof(buf));
	buf[1] |= 0x01;
	assert_dropped(buf, sizeof(buf), BFD_DROP_MULTIPOINT);
}
END_TEST

START_TEST(a_packet_with_my_discriminator_0_is_dropped)
{
	uint8_t buf[BFD_PKT_LEN];

	valid(buf, sizeof(buf));
	memset(buf + 4, 0, 4);
	assert_dropped(buf, sizeof(buf), BFD_DROP_MY_DISC);
	buf[7] = 1;
	assert_accepted(buf, sizeof(buf));
}
END_TEST

/* A sender that says Init or Up has heard us, so it knows our
 * discriminator; in Down or AdminDown it may not yet. */
START_TEST(your_discriminator_0_is_dropped_in_init_and_up_but_not_in_down_or_admin_down)
{
	uint8_t buf[BFD_PKT_LEN];
	struct bfd_pkt out;
	enum bfd_drop why;
	int st;

	valid(buf, sizeof(buf));
	memset(buf + 8, 0, 4);
	for (st = BFD_STATE_ADMIN_DOWN; st <= BFD_STATE_UP; st++) {
		buf[1] = (uint8_t)(st << 6 | (buf[1] & 0x3f));
		if (st == BFD_STATE_INIT || st == BFD_STATE_UP) {
			assert_dropped(buf, sizeof(buf), BFD_DROP_YOUR_DISC);
		} else {
			ck_assert_int_eq(bfd_pkt_parse(buf, sizeof(buf), &out, &why), 0);
			ck_assert_int_eq(out.state, st);
			ck_assert_uint_eq(out.your_disc, 0);
		}
	}
}
END_TEST

/* We implement no authentication: a peer that uses it gets its own reason,
 * whatever section follows. */
START_TEST(a_packet_with_the_a_bit_is_refused_as_authentication_not_supported)
{
	uint8_t buf[64];
	int l;

	valid(buf, sizeof(buf));
	buf[1] |= 0x04;
	/* Simple Password (RFC 5880 4.2): type 1, len 7, key id 1, "abcd" */
	memcpy(buf + BFD_PKT_LEN,
	       "\x01\x07\x01"
	       "abcd",
	       7);
	buf[3] = 31;
	assert_dropped(buf, 31, BFD_DROP_AUTH);
	for (l = BFD_PKT_AUTH_MIN_LEN; l <= 64; l++) {
		buf[3] = (uint8_t)l;
		assert_dropped(buf, 64, BFD_DROP_AUTH);
	}
	ck_assert_str_eq(bfd_drop_text(BFD_DROP_AUTH), "authentication not supported");
}
END_TEST

/* RFC 5880 6.8.6: with the A bit the least Length is 26. */
START_TEST(a_packet_with_the_a_bit_and_a_length_below_26_is_a_bad_length)
{
	uint8_t buf[64];

	valid(buf, sizeof(buf));
	buf[1] |= 0x04;
	buf[3] = 24;
	assert_dropped(buf, sizeof(buf), BFD_DROP_LENGTH);
	buf[3] = 25;
	assert_dropped(buf, sizeof(buf), BFD_DROP_LENGTH);
}
END_TEST

/* Several faults at once: the reason is the first RFC 5880 6.8.6 checks,
 * so that the counters mean the same as in other implementations. */
START_TEST(a_packet_with_several_faults_is_dropped_for_the_first_in_rfc_order)
{
	uint8_t buf[BFD_PKT_LEN];

	valid(buf, sizeof(buf));
	buf[1] = (uint8_t)(BFD_STATE_UP << 6 | 0x04 | 0x01); /* A and M */
	buf[2] = 0;					     /* detect mult 0 */
	memset(buf + 4, 0, 8);				     /* both discriminators 0 */
	buf[3] = 26;
	assert_dropped(buf, sizeof(buf), BFD_DROP_TRUNCATED);
	buf[3] = 24;
	assert_dropped(buf, sizeof(buf), BFD_DROP_LENGTH);
	buf[1] &= (uint8_t)~0x04;
	assert_dropped(buf, sizeof(buf), BFD_DROP_DETECT_MULT);
	buf[2] = 3;
	assert_dropped(buf, sizeof(buf), BFD_DROP_MULTIPOINT);
	buf[1] &= (uint8_t)~0x01;
	assert_dropped(buf, sizeof(buf), BFD_DROP_MY_DISC);
	buf[7] = 9;
	assert_dropped(buf, sizeof(buf), BFD_DROP_YOUR_DISC);
	buf[0] = 0x40; /* version 2 comes first of all */
	assert_dropped(buf, sizeof(buf), BFD_DROP_VERSION);
}
END_TEST

START_TEST(a_dropped_packet_leaves_out_untouched)
{
	uint8_t buf[BFD_PKT_LEN], before[sizeof(struct bfd_pkt)];
	struct bfd_pkt out;
	enum bfd_drop why;

	valid(buf, sizeof(buf));
	buf[2] = 0;
	memset(&out, 0x5a, sizeof(out));
	memcpy(before, &out, sizeof(out));
	ck_assert_int_eq(bfd_pkt_parse(buf, sizeof(buf), &out, &why), -EINVAL);
	ck_assert_mem_eq(&out, before, sizeof(out));
	/* and why may be NULL */
	ck_assert_int_eq(bfd_pkt_parse(buf, sizeof(buf), &out, NULL), -EINVAL);
	buf[2] = 3;
	ck_assert_int_eq(bfd_pkt_parse(buf, sizeof(buf), &out, NULL), 0);
}
END_TEST

/* --- the builder ------------------------------------------------------ */

START_TEST(build_says_enospc_when_the_buffer_is_one_byte_short)
{
	struct bfd_pkt p = sample();
	uint8_t buf[BFD_PKT_LEN], ff[BFD_PKT_LEN];

	memset(buf, 0xff, sizeof(buf));
	memset(ff, 0xff, sizeof(ff));
	ck_assert_int_eq(bfd_pkt_build(buf, BFD_PKT_LEN - 1, &p), -ENOSPC);
	ck_assert_mem_eq(buf, ff, sizeof(buf));
	ck_assert_int_eq(bfd_pkt_build(buf, BFD_PKT_LEN, &p), BFD_PKT_LEN);
}
END_TEST

START_TEST(build_refuses_what_parse_would_drop)
{
	uint8_t buf[64];
	struct bfd_pkt p;

#define REFUSED(field, value)                                                                      \
	do {                                                                                       \
		p = sample();                                                                      \
		p.field = value;                                                                   \
		ck_assert_msg(bfd_pkt_build(buf, sizeof(buf), &p) == -EINVAL,                      \
			      "built with " #field " = " #value);                                  \
	} while (0)
	REFUSED(version, 0);
	REFUSED(version, 2);
	REFUSED(length, 0);
	REFUSED(length, 26);
	REFUSED(auth, true);
	REFUSED(multipoint, true);
	REFUSED(detect_mult, 0);
	REFUSED(my_disc, 0);
	REFUSED(your_disc, 0); /* sample() is Up */
	REFUSED(diag, 32);
	REFUSED(state, (enum bfd_state)4);
#undef REFUSED
	p = sample();
	p.state = BFD_STATE_INIT;
	p.your_disc = 0;
	ck_assert_int_eq(bfd_pkt_build(buf, sizeof(buf), &p), -EINVAL);
	p.state = BFD_STATE_DOWN;
	ck_assert_int_eq(bfd_pkt_build(buf, sizeof(buf), &p), BFD_PKT_LEN);
}
END_TEST

/* RFC 5880 6.5 forbids sending both; no reception rule drops them, and a
 * peer that sends them must not lose its session over it. */
START_TEST(poll_and_final_together_are_accepted_but_never_built)
{
	uint8_t buf[BFD_PKT_LEN];
	struct bfd_pkt p = sample(), out;
	enum bfd_drop why;

	p.poll = true;
	p.final = true;
	ck_assert_int_eq(bfd_pkt_build(buf, sizeof(buf), &p), -EINVAL);

	valid(buf, sizeof(buf));
	buf[1] |= 0x20 | 0x10;
	ck_assert_int_eq(bfd_pkt_parse(buf, sizeof(buf), &out, &why), 0);
	ck_assert(out.poll);
	ck_assert(out.final);
}
END_TEST

/* --- RFC 5881 --------------------------------------------------------- */

START_TEST(only_ttl_255_is_accepted)
{
	int ttl;

	for (ttl = -1; ttl <= 256; ttl++)
		ck_assert_int_eq(bfd_pkt_check_ttl(ttl), ttl == 255 ? 0 : -EINVAL);
}
END_TEST

START_TEST(the_rfc_5881_ports_are_3784_and_49152_to_65535)
{
	ck_assert_int_eq(BFD_UDP_PORT, 3784);
	ck_assert_int_eq(BFD_SRC_PORT_MIN, 49152);
	ck_assert_int_eq(BFD_SRC_PORT_MAX, 65535);
	ck_assert_int_eq(BFD_TTL, 255);
}
END_TEST

/* --- names ------------------------------------------------------------ */

START_TEST(every_drop_reason_has_its_own_snake_case_key)
{
	int a, b;

	ck_assert_str_eq(bfd_drop_str(BFD_DROP_AUTH), "auth_unsupported");
	ck_assert_str_eq(bfd_drop_str(BFD_DROP_DETECT_MULT), "detect_mult_zero");
	for (a = 0; a < BFD_DROP__MAX; a++) {
		const char *k = bfd_drop_str((enum bfd_drop)a);

		ck_assert_str_ne(k, "unknown");
		/* usable as a JSON key and a Prometheus label value as is */
		ck_assert_uint_eq(strspn(k, "abcdefghijklmnopqrstuvwxyz_"), strlen(k));
		for (b = 0; b < a; b++)
			ck_assert_str_ne(k, bfd_drop_str((enum bfd_drop)b));
	}
	ck_assert_str_eq(bfd_drop_str(BFD_DROP__MAX), "unknown");
	ck_assert_str_eq(bfd_drop_str((enum bfd_drop) - 1), "unknown");
}
END_TEST

START_TEST(every_drop_reason_has_its_own_log_text)
{
	int a, b;

	for (a = 0; a < BFD_DROP__MAX; a++) {
		ck_assert_str_ne(bfd_drop_text((enum bfd_drop)a), "unknown");
		for (b = 0; b < a; b++)
			ck_assert_str_ne(bfd_drop_text((enum bfd_drop)a),
					 bfd_drop_text((enum bfd_drop)b));
	}
	ck_assert_str_eq(bfd_drop_text(BFD_DROP__MAX), "unknown");
}
END_TEST

START_TEST(states_and_diagnostics_have_the_rfc_names)
{
	ck_assert_str_eq(bfd_state_str(BFD_STATE_ADMIN_DOWN), "AdminDown");
	ck_assert_str_eq(bfd_state_str(BFD_STATE_DOWN), "Down");
	ck_assert_str_eq(bfd_state_str(BFD_STATE_INIT), "Init");
	ck_assert_str_eq(bfd_state_str(BFD_STATE_UP), "Up");
	ck_assert_str_eq(bfd_state_str((enum bfd_state)4), "unknown");
	ck_assert_str_eq(bfd_diag_str(BFD_DIAG_NONE), "No Diagnostic");
	ck_assert_str_eq(bfd_diag_str(BFD_DIAG_DETECT_EXPIRED), "Control Detection Time Expired");
	ck_assert_str_eq(bfd_diag_str(BFD_DIAG_NEIGHBOR_DOWN), "Neighbor Signaled Session Down");
	ck_assert_str_eq(bfd_diag_str(BFD_DIAG_ADMIN_DOWN), "Administratively Down");
	ck_assert_str_eq(bfd_diag_str(BFD_DIAG_REV_CONCAT_PATH_DOWN),
			 "Reverse Concatenated Path Down");
	ck_assert_str_eq(bfd_diag_str(9), "Reserved");
	ck_assert_str_eq(bfd_diag_str(31), "Reserved");
	ck_assert_str_eq(bfd_diag_str(32), "unknown");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    a_built_packet_is_24_bytes_and_parses_back_to_every_field,
	    every_state_and_flag_combination_round_trips,
	    every_diagnostic_code_and_extreme_field_values_round_trip,
	    a_hand_made_packet_parses_to_its_rfc_fields,
	    the_builder_writes_the_hand_made_packet,
	    each_flag_is_its_own_bit_of_byte_1,
	    bytes_after_the_length_field_are_ignored,
	    reserved_diagnostic_codes_are_kept_as_received,
	    fewer_than_24_bytes_are_short,
	    versions_other_than_1_are_dropped,
	    a_length_field_below_24_is_dropped,
	    a_length_field_above_24_without_the_a_bit_is_dropped,
	    a_length_field_beyond_the_received_bytes_is_truncated,
	    a_packet_with_detect_mult_0_is_dropped,
	    a_packet_with_the_multipoint_bit_is_dropped,
	    a_packet_with_my_discriminator_0_is_dropped,
	    your_discriminator_0_is_dropped_in_init_and_up_but_not_in_down_or_admin_down,
	    a_packet_with_the_a_bit_is_refused_as_authentication_not_supported,
	    a_packet_with_the_a_bit_and_a_length_below_26_is_a_bad_length,
	    a_packet_with_several_faults_is_dropped_for_the_first_in_rfc_order,
	    a_dropped_packet_leaves_out_untouched,
	    build_says_enospc_when_the_buffer_is_one_byte_short,
	    build_refuses_what_parse_would_drop,
	    poll_and_final_together_are_accepted_but_never_built,
	    only_ttl_255_is_accepted,
	    the_rfc_5881_ports_are_3784_and_49152_to_65535,
	    every_drop_reason_has_its_own_snake_case_key,
	    every_drop_reason_has_its_own_log_text,
	    states_and_diagnostics_have_the_rfc_names,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("bfd_pkt", &core, 1);
}

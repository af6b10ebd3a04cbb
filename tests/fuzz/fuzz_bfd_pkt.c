/*
 * libFuzzer target: a BFD Control packet off the wire, the whole input
 * being the UDP payload given to bfd_pkt_parse(). A drop must carry a
 * reason the parser may give; whatever parses must build again to 24
 * bytes equal to the first 24 received (the parser ignores nothing else
 * within the Length), and the built packet must parse to the same fields.
 * The one exception is P and F together, which the parser accepts and the
 * builder refuses (RFC 5880 6.5). Anything else is a bug and aborts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bfd/bfd_pkt.h"

static int same(const struct bfd_pkt *a, const struct bfd_pkt *b)
{
	return a->version == b->version && a->diag == b->diag && a->state == b->state &&
	       a->poll == b->poll && a->final == b->final && a->cpi == b->cpi &&
	       a->auth == b->auth && a->demand == b->demand && a->multipoint == b->multipoint &&
	       a->detect_mult == b->detect_mult && a->length == b->length &&
	       a->my_disc == b->my_disc && a->your_disc == b->your_disc &&
	       a->desired_min_tx_us == b->desired_min_tx_us &&
	       a->required_min_rx_us == b->required_min_rx_us &&
	       a->required_min_echo_rx_us == b->required_min_echo_rx_us;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bfd_pkt p, built, q;
	uint8_t buf[BFD_PKT_LEN];
	enum bfd_drop why;
	bool pf;
	int rc, n;

	rc = bfd_pkt_parse(data, size, &p, &why);
	if (rc != 0) {
		if (rc != -EINVAL || why == BFD_DROP_NONE || why >= BFD_DROP_TTL)
			abort();
		return 0;
	}
	if (why != BFD_DROP_NONE || p.length != BFD_PKT_LEN || p.auth || p.multipoint)
		abort();

	built = p;
	pf = p.poll && p.final;
	if (pf) {
		if (bfd_pkt_build(buf, sizeof(buf), &built) != -EINVAL)
			abort();
		built.final = false;
	}
	n = bfd_pkt_build(buf, sizeof(buf), &built);
	if (n != BFD_PKT_LEN)
		abort();
	if (pf)
		buf[1] |= 0x10; /* F back in place: the bytes must be the input's */
	if (memcmp(buf, data, BFD_PKT_LEN) != 0)
		abort();
	if (bfd_pkt_parse(buf, (size_t)n, &q, &why) != 0 || !same(&p, &q))
		abort();
	return 0;
}

/* Anti-entropy's decisions: see rbp_ae.h. */
#include "rbpd/rbp_ae.h"

/* A state's rank: version first, then a tombstone above an entry. */
static int cmp(struct rbp_ae_key a, struct rbp_ae_key b)
{
	if (a.held == RBP_AE_NONE || b.held == RBP_AE_NONE)
		return (a.held != RBP_AE_NONE) - (b.held != RBP_AE_NONE);
	if (a.version != b.version)
		return a.version > b.version ? 1 : -1;
	return (a.held == RBP_AE_TOMB) - (b.held == RBP_AE_TOMB);
}

enum rbp_ae_newer rbp_ae_newer(struct rbp_ae_key mine, struct rbp_ae_key theirs)
{
	int c = cmp(mine, theirs);

	return c > 0 ? RBP_AE_MINE : c < 0 ? RBP_AE_THEIRS : RBP_AE_SAME;
}

size_t rbp_ae_diff(const uint64_t *mine, const uint64_t *theirs, size_t n, uint32_t *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (mine[i] != theirs[i])
			out[k++] = (uint32_t)i;
	return k;
}

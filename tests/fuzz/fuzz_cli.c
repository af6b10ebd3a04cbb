/*
 * libFuzzer target: everything an operator can type. The first byte picks
 * the view; the rest is a line given to the parser, the '?' help and the
 * Tab completion, and, as a whole text, to the configuration loader.
 * Nothing may crash, leak or read out of bounds, and whatever parses must
 * render back to a line that parses to the same canonical text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgd/conf.h"
#include "cfgd/grammar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gram_result r, r2;
	enum gram_view view;
	char line[2048], out[8192];
	const char *words[32];
	struct conf *c;

	if (size < 1 || size >= sizeof(line))
		return 0;
	view = (enum gram_view)(data[0] % VIEW__COUNT);
	memcpy(line, data + 1, size - 1);
	line[size - 1] = '\0';

	if (gram_parse(view, line, &r) == 0 && r.kind != GK_SESSION) {
		/* canonical text is a fixed point */
		char canon[GRAM_LINE_MAX];

		snprintf(canon, sizeof(canon), "%s%s", r.undo ? "undo " : "", r.canon);
		if (gram_parse(r.view, canon, &r2) != 0 || strcmp(r.canon, r2.canon) != 0)
			abort();
	}
	gram_help(view, line, out, sizeof(out));
	gram_complete(view, line, words, 32);

	c = conf_new();
	if (c) {
		char err[256];

		if (conf_load(c, line, err, sizeof(err)) == 0) {
			char *text = conf_render(c);
			struct conf *c2 = conf_new();

			/* a loaded configuration renders to text that loads to itself */
			if (text && c2 &&
			    (conf_load(c2, text, err, sizeof(err)) != 0 || !conf_equal(c, c2)))
				abort();
			free(text);
			conf_free(c2);
		}
		conf_free(c);
	}
	return 0;
}

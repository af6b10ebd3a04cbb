/*
 * Writes the command reference of dbcli(1) from cfgd's grammar, as mdoc:
 * one list per view, one item per command, so that the manual cannot
 * drift from what the CLI accepts. Usage: cmdref < dbcli.1.in > dbcli.1
 * (the line `.\" @COMMANDS@` of the template becomes the reference).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgd/grammar.h"

static const char *view_title(enum gram_view v)
{
	switch (v) {
	case VIEW_NONE:
		return "In every view";
	case VIEW_USER:
		return "User view";
	case VIEW_SYSTEM:
		return "System view";
	case VIEW_INTERFACE:
		return "Interface view (interface NAME)";
	case VIEW_RBP:
		return "Remote backup profile view (remote-backup-profile NAME)";
	case VIEW_RBS:
		return "Remote backup service view (remote-backup-service NAME)";
	case VIEW_SSL:
		return "SSL policy view (ssl policy NAME)";
	default:
		return "?";
	}
}

/* One token of the pattern language as an mdoc macro line. */
static void token(const char *w)
{
	size_t len = strlen(w);

	if (w[0] == '[' && w[len - 1] == ']') {
		char inner[256];

		snprintf(inner, sizeof(inner), "%.*s", (int)(len - 2), w + 1);
		printf(".Oo\n");
		token(inner);
		printf(".Oc\n");
	} else if (w[0] == '{') {
		const char *close = strchr(w, '}');
		char inner[256], *save, *p;
		int first = 1;

		snprintf(inner, sizeof(inner), "%.*s", (int)(close - w - 1), w + 1);
		printf(".Bro\n");
		for (p = strtok_r(inner, "|", &save); p; p = strtok_r(NULL, "|", &save)) {
			printf("%s %s", first ? ".Cm" : " | Cm", p);
			first = 0;
		}
		printf("\n.Brc\n");
	} else if (w[0] == '<') {
		char inner[128], *colon;

		snprintf(inner, sizeof(inner), "%.*s", (int)(len - 2), w + 1);
		colon = strchr(inner, ':');
		if (colon)
			*colon = '\0';
		printf(".Ar %s\n", inner);
	} else {
		printf(".Cm %s\n", w);
	}
}

static void command(const struct gram_cmd_info *c)
{
	char buf[512], *save, *w;

	snprintf(buf, sizeof(buf), "%s", c->pattern);
	printf(".It Xo\n");
	if (c->undo_only)
		printf(".Cm undo\n");
	else if (c->undo)
		printf(".Op Cm undo\n");
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		token(w);
	printf(".Xc\n%s.\n", c->help[0] ? c->help : "See the text above");
}

static void reference(void)
{
	static const enum gram_view order[] = {VIEW_NONE, VIEW_USER,	  VIEW_SYSTEM, VIEW_INTERFACE,
					       VIEW_RBP,  VIEW_RBS, VIEW_SSL};
	struct gram_cmd_info c;

	for (size_t v = 0; v < sizeof(order) / sizeof(order[0]); v++) {
		int n = 0;

		for (size_t i = 0; gram_command(i, &c); i++) {
			if (c.view != order[v])
				continue;
			if (n++ == 0)
				printf(".Ss %s\n.Bl -tag -width Ds\n", view_title(order[v]));
			command(&c);
		}
		if (n)
			printf(".El\n");
	}
}

int main(void)
{
	char line[4096];
	int done = 0;

	while (fgets(line, sizeof(line), stdin)) {
		if (strcmp(line, ".\\\" @COMMANDS@\n") == 0) {
			reference();
			done = 1;
		} else {
			fputs(line, stdout);
		}
	}
	if (!done) {
		fprintf(stderr, "cmdref: no @COMMANDS@ line in the template\n");
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

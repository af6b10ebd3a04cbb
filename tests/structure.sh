#!/usr/bin/env bash
# The tree's shape, as issue 18 set it and docs/architecture.md describes it:
#   - no source file over MAX_FILE lines (1,000) outside tests and benchmarks;
#   - no function over MAX_FUNC lines (120) there;
#   - a daemon's or program's directory includes only its own headers and
#     the shared libraries' (common/, bfd/, rbpclient/, the generated proto);
#   - no cycle among the #include "..." edges.
# Each breach is printed with its file and line; the run fails if any.
#
#   bash tests/structure.sh
set -u
cd "$(dirname "$0")/.."
MAX_FILE=${MAX_FILE:-1000}
MAX_FUNC=${MAX_FUNC:-120}
LIBS="common bfd rbpclient proto"
rc=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

src=$(git ls-files '*.c' '*.h' '*.cc' | grep -v -e '^tests/' -e '^bench/')

for f in $src; do
	n=$(wc -l <"$f")
	if [ "$n" -gt "$MAX_FILE" ]; then
		echo "$f: $n lines (limit $MAX_FILE)"
		rc=1
	fi
done

# A function runs from a "{" at column 0 to the next "}" at column 0 (the
# tree's clang-format style); its name is the last line before it that
# starts with an identifier and holds a "(".
long=$(awk -v LIM="$MAX_FUNC" '
	FNR == 1 { start = 0 }
	/^\{/ { start = FNR; name = prev }
	/^\}/ && start {
		n = FNR - start + 1
		if (n > LIM) printf "%s:%d: %s: %d lines (limit %d)\n", FILENAME, start, name, n, LIM
		start = 0
	}
	/^[A-Za-z_].*\(/ { prev = $0 }' $(echo "$src" | grep -e '\.c$' -e '\.cc$'))
if [ -n "$long" ]; then
	echo "$long"
	rc=1
fi

# Includes across directories: "dir/x.h" from another program's directory.
for f in $src; do
	dir=${f%%/*}
	case " $LIBS docs " in *" $dir "*) continue ;; esac
	grep -n '^#include "[a-z_]*/' "$f" | while IFS= read -r line; do
		inc=$(echo "$line" | sed 's/.*#include "\([a-z_]*\)\/.*/\1/')
		case " $LIBS $dir " in *" $inc "*) ;; *) echo "$f:${line%%:*}: includes another program's header: ${line#*:}" ;; esac
	done
done >"$tmp"
if [ -s "$tmp" ]; then
	cat "$tmp"
	rc=1
fi

# Cycles: every quoted include resolved against the file's directory and
# the top, fed to tsort, which names a loop if there is one.
edges=$(for f in $src; do
	d=$(dirname "$f")
	sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" | while read -r inc; do
		if [ -f "$d/$inc" ]; then
			echo "$f $(realpath --relative-to=. "$d/$inc")"
		elif [ -f "$inc" ]; then
			echo "$f $inc"
		fi
	done
done)
if ! loop=$(echo "$edges" | tsort 2>&1 >/dev/null) || [ -n "$loop" ]; then
	echo "include cycle:"
	echo "$loop" | sed 's/^/  /'
	rc=1
fi

[ $rc = 0 ] && echo "structure: $(echo "$src" | wc -l) files, none over $MAX_FILE lines, no function over $MAX_FUNC, no include across programs, no include cycle"
exit $rc

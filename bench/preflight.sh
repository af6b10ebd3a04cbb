# shellcheck shell=bash
# What every benchmark checks before it creates anything; sourced first,
# before tests/integration/lib.sh.

# preflight ME BUILDDIR HINT BINARY...: exits 2 with the reason unless this
# runs as root (network namespaces) and BUILDDIR/bin holds every BINARY
# (HINT: the command that builds them). Sets BIN to BUILDDIR/bin, absolute.
preflight() {
	local me=$1 build=$2 hint=$3 b
	shift 3
	if [ "$(id -u)" != 0 ]; then
		echo "$me: needs root (network namespaces)" >&2
		exit 2
	fi
	BIN=$(cd "$build/bin" 2>/dev/null && pwd) || {
		echo "$me: no $build/bin; run: $hint" >&2
		exit 2
	}
	for b in "$@"; do
		[ -x "$BIN/$b" ] || { echo "$me: missing $BIN/$b; run: $hint" >&2; exit 2; }
	done
}

# need_keepalived ME: exits 2 unless keepalived is installed.
need_keepalived() {
	command -v keepalived >/dev/null ||
		{ echo "$1: keepalived is not installed (make deps installs it)" >&2; exit 2; }
}

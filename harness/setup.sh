#!/bin/sh
# One-time set-up on Debian 12: the packages kfault needs and, unless KDIR
# names another tree, Debian's linux-source-6.12 unpacked into the cache.
# Idempotent: does nothing that is already done.  Uses sudo when not root.
set -eu

PKGS="linux-source-6.12 build-essential flex bison bc libelf-dev xz-utils perl
ccache python3 python3-pytest python3-pytest-xdist python3-jinja2 python3-jsonschema flake8 python3-mypy sparse"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; else
		echo "kfault: error: packages missing:$missing; install them as root (apt-get install$missing)" >&2
		exit 2
	fi
	echo "setup: installing$missing"
	$SUDO apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing >/dev/null
fi

# 'make review' builds and boots patched code as this user when run as root
if [ "$(id -u)" -eq 0 ] && ! id kfault >/dev/null 2>&1; then
	echo "setup: adding the unprivileged user kfault (make review runs patched kernels as it)"
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kfault
fi

if [ "${KDIR_GIVEN:-}" = 1 ]; then
	exit 0
fi
if [ -f "$KDIR/tools/testing/kunit/kunit.py" ]; then
	exit 0
fi
tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || { echo "kfault: error: $tarball missing: apt-get install linux-source-6.12" >&2; exit 2; }
parent=$(dirname "$KDIR")
mkdir -p "$parent"
tmp=$(mktemp -d "$parent/.unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "setup: unpacking $tarball into $KDIR"
tar -C "$tmp" -xJf "$tarball"
rm -rf "$KDIR"
mv "$tmp/linux-source-6.12" "$KDIR"

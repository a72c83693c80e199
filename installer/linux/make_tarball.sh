#!/bin/sh
# Package dist/XRayDesktop (built by `make bundle`) as dist/xray-desktop-<version>-linux-x86_64.tar.gz:
#   xray-desktop-<version>/XRayDesktop/...  the one-folder bundle (both executables)
#   xray-desktop-<version>/install.sh        installs to /opt/xray-desktop (root) or ~/.local/opt (user)
#   xray-desktop-<version>/*.desktop.in      menu entries for the app and for the self-test
#   xray-desktop-<version>/xray-desktop.png  icon;  IT-GUIDE.md  the IT guide
# Usage: installer/linux/make_tarball.sh   (from the repository root; no network, no Python needed)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUNDLE="$ROOT/dist/XRayDesktop"
VERSION=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$ROOT/xray_desktop/__init__.py")
[ -n "$VERSION" ] || { echo "make_tarball: cannot read __version__ from xray_desktop/__init__.py" >&2; exit 1; }
for exe in xray-desktop xray-desktop-cli; do
    [ -x "$BUNDLE/$exe" ] || { echo "make_tarball: $BUNDLE/$exe is missing; run 'make bundle' first" >&2; exit 1; }
done

NAME="xray-desktop-$VERSION"
OUT="$ROOT/dist/$NAME-linux-x86_64.tar.gz"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir "$STAGE/$NAME"
cp -a "$BUNDLE" "$STAGE/$NAME/XRayDesktop"
cp "$ROOT/installer/linux/install.sh" "$ROOT/installer/linux/"*.desktop.in "$STAGE/$NAME/"
cp "$ROOT/resources/icons/xray-desktop.png" "$STAGE/$NAME/xray-desktop.png"
cp "$ROOT/docs/it-guide.md" "$STAGE/$NAME/IT-GUIDE.md"
chmod -R u+rwX,go+rX,go-w "$STAGE/$NAME"  # model files and registry are written 0600 by atomic saves
# Owner/group fixed and files sorted so two builds of the same bundle give the same listing.
tar --sort=name --owner=0 --group=0 --numeric-owner -C "$STAGE" -czf "$OUT.tmp" "$NAME"
mv "$OUT.tmp" "$OUT"
echo "$OUT ($(du -h "$OUT" | cut -f1))"

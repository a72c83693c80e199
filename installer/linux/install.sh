#!/bin/sh
# Install XRay Desktop from the unpacked tarball.
#   sudo ./install.sh                   per-machine install in /opt/xray-desktop, menu entries for all users
#   ./install.sh                        per-user install in ~/.local/opt/xray-desktop
#   sudo MODELS_DIR=/var/lib/xray-desktop/models ./install.sh
#                                       also keep models in a folder outside the program (survives upgrades,
#                                       writable by the group MODELS_GROUP, default: your primary group) and point
#                                       XRAY_DESKTOP_MODELS at it for every login and menu entry
#   sudo ./install.sh --uninstall       remove program and menu entries; users' data and MODELS_DIR stay
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" = 0 ]; then
    PREFIX=${PREFIX:-/opt/xray-desktop}
    APPS=${APPS:-/usr/share/applications}
else
    PREFIX=${PREFIX:-$HOME/.local/opt/xray-desktop}
    APPS=${APPS:-$HOME/.local/share/applications}
fi
PROFILE=${PROFILE:-/etc/profile.d/xray-desktop.sh}

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$APPS/xray-desktop.desktop" "$APPS/xray-desktop-selftest.desktop"
    if [ "$(id -u)" = 0 ]; then rm -f "$PROFILE"; fi
    rm -rf "$PREFIX"
    echo "Removed $PREFIX. Users' data (~/.local/share/XRayDesktop) and any models folder were left in place."
    exit 0
fi

mkdir -p "$PREFIX" "$APPS"
rm -rf "$PREFIX/_internal" "$PREFIX/xray-desktop" "$PREFIX/xray-desktop-cli"
cp -a "$HERE/XRayDesktop/." "$PREFIX/"
cp "$HERE/xray-desktop.png" "$PREFIX/xray-desktop.png"
chmod -R u+rwX,go+rX,go-w "$PREFIX"  # files written atomically are 0600: every account must read them

ENV_PREFIX=""
if [ -n "${MODELS_DIR:-}" ]; then
    mkdir -p "$MODELS_DIR"
    if [ ! -e "$MODELS_DIR/registry.json" ]; then  # first install: start from the shipped models
        cp -a "$PREFIX/_internal/models/." "$MODELS_DIR/"
    fi
    chgrp -R "${MODELS_GROUP:-$(id -gn)}" "$MODELS_DIR"
    chmod -R u=rwX,g=rwX,o=rX "$MODELS_DIR"
    if [ "$(id -u)" = 0 ]; then
        printf 'export XRAY_DESKTOP_MODELS=%s\n' "$MODELS_DIR" > "$PROFILE"
    fi
    ENV_PREFIX="env XRAY_DESKTOP_MODELS=$MODELS_DIR "
fi
for entry in xray-desktop xray-desktop-selftest; do
    sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@ENV@|$ENV_PREFIX|g" "$HERE/$entry.desktop.in" > "$APPS/$entry.desktop"
    chmod 644 "$APPS/$entry.desktop"
done
echo "Installed XRay Desktop in $PREFIX (menu entries in $APPS)."
echo "Check it: ${ENV_PREFIX}\"$PREFIX/xray-desktop-cli\" self-test"

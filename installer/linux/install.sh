#!/bin/sh
# Install XRay Desktop from the unpacked tarball.
#   sudo ./install.sh                   per-machine install in /opt/xray-desktop, menu entries for all users
#   ./install.sh                        per-user install in ~/.local/opt/xray-desktop
#   sudo MODELS_DIR=/var/lib/xray-desktop/models ./install.sh
#                                       also keep models in a folder outside the program (survives upgrades,
#                                       read-only for every account, writable by the group MODELS_GROUP: default
#                                       "xray-desktop", created if missing, when run as root; your primary group
#                                       otherwise) and point XRAY_DESKTOP_MODELS at it for every login and menu
#                                       entry. Upgrades register the models a new release ships that it lacks.
# Each operating-system account keeps its own data folder (~/.local/share/XRayDesktop: its own XRay Desktop
# accounts, history and audit log, owner-only); only the program and the models folder are shared.
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
GROUPADD=${GROUPADD:-groupadd --system}

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
    if [ -z "${MODELS_GROUP:-}" ]; then
        if [ "$(id -u)" = 0 ]; then MODELS_GROUP=xray-desktop; else MODELS_GROUP=$(id -gn); fi
    fi
    if ! getent group "$MODELS_GROUP" >/dev/null 2>&1; then
        $GROUPADD "$MODELS_GROUP"
        echo "Created the group $MODELS_GROUP: add the accounts that may import models (usermod -aG $MODELS_GROUP NAME)."
    fi
    mkdir -p "$MODELS_DIR"
    if [ ! -e "$MODELS_DIR/registry.json" ]; then  # first install: start from the shipped models
        cp -a "$PREFIX/_internal/models/." "$MODELS_DIR/"
    else  # upgrade: keep the folder as it is, but register the models this release ships that it lacks
        "$PREFIX/xray-desktop-cli" register-shipped "$MODELS_DIR" ||
            echo "warning: the shipped models could not all be registered in $MODELS_DIR (see above)" >&2
    fi
    chgrp -R "$MODELS_GROUP" "$MODELS_DIR"
    chmod -R u=rwX,g=rwX,o=rX "$MODELS_DIR"
    find "$MODELS_DIR" -type d -exec chmod g+s {} +  # files added later keep the group
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

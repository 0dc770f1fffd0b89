#!/usr/bin/env bash
# System packages needed to build tagstation's optional station features on Debian/Raspberry Pi OS.
#
#   default features  (tests, headless, software-rendered UI): fontconfig only
#   --features kiosk  (linuxkms + libinput + femtovg on a Pi):  libudev libinput xkbcommon gbm
#   --features desktop (a window through winit):                 xkbcommon, wayland/x11 are loaded at run time
#   --features gpio   (rppal):                                   nothing extra
#
# Usage: deploy/setup-build-deps.sh [kiosk|desktop|all]   (default: all)
set -euo pipefail
what="${1:-all}"
pkgs=(pkg-config libfontconfig-dev)
case "$what" in
  kiosk)   pkgs+=(libudev-dev libinput-dev libxkbcommon-dev libgbm-dev) ;;
  desktop) pkgs+=(libxkbcommon-dev) ;;
  all)     pkgs+=(libudev-dev libinput-dev libxkbcommon-dev libgbm-dev) ;;
  *) echo "usage: $0 [kiosk|desktop|all]" >&2; exit 2 ;;
esac
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "build dependencies already installed: ${pkgs[*]}"
  exit 0
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"

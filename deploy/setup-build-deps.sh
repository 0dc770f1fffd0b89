#!/usr/bin/env bash
# System packages needed to build tagstation's optional station features on Debian/Raspberry Pi OS.
#
#   default features  (tests, headless, software-rendered UI): fontconfig only
#   --features linuxkms (linuxkms + libinput + femtovg on a Pi): libudev libinput xkbcommon gbm
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
"$(dirname "$0")/apt-install" --no-install-recommends "${pkgs[@]}"
echo "build dependencies installed: ${pkgs[*]}"

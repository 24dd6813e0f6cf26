#!/bin/sh
# Builds the rescue media once for every VM test (ctest fixture vm_image).
set -eu
[ "$(id -u)" -eq 0 ] || { echo "skipped: building the rescue media needs root"; exit 77; }
WINRESCUE=$WINRESCUE WR_BUILD_DIR=$WR_BUILD WR_MEDIA_CACHE=$WR_BUILD/media-cache \
	"$WR_SOURCE/scripts/build-image" "$WR_IMAGE"

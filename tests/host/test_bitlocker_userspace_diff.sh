#!/bin/sh
# Differential: the plaintext winrescue's userspace BitLocker device reads (wr-bde,
# with winrescue's own key path) equals what dislocker decrypts independently
# (dislocker-fuse -r; -c for the clear-key image; -f for a .BEK), sector by sector,
# for every Windows-made image of ../shared/testdata/bitlk that dislocker opens.
set -eu
. "$WR_SOURCE/tests/host/lib.sh"
. "$WR_SOURCE/tests/tools/bitlk.sh"
if ! wr_bitlk_available; then
	echo "skipped: ../shared/testdata/bitlk not found"
	exit 77
fi
if [ ! -e /dev/fuse ] || ! command -v dislocker-fuse >/dev/null; then
	echo "skipped: dislocker-fuse or /dev/fuse not available"
	exit 77
fi
trap 'fusermount -u "$T/mnt" 2>/dev/null || true; wr_bitlk_cleanup; rm -rf "$T"' EXIT INT TERM
wr_bitlk_unpack
imgs=$WR_BITLK_CACHE/bitlk-images
mkdir "$T/mnt"

# same_as_dislocker IMAGE KEY DISLOCKER_KEY_OPTION...
same_as_dislocker() {
	_img=$imgs/$1.img _key=$2
	shift 2
	dislocker-fuse -r -V "$_img" "$@" -- "$T/mnt" >"$T/dislocker.log" 2>&1 || {
		cat "$T/dislocker.log"
		return 1
	}
	_diff=$(wr_bitlk_first_difference "$T/mnt/dislocker-file" "$WR_TOOLS/wr-bde" cat "$_img" "$_key" -)
	fusermount -u "$T/mnt"
	[ -z "$_diff" ] || {
		echo "  first differing sector: $_diff"
		return 1
	}
}

for name in bitlk-aes-xts-128 bitlk-aes-xts-256 bitlk-aes-cbc-128 bitlk-aes-cbc-256 \
	bitlk-aes-cbc-elephant-128 bitlk-aes-cbc-elephant-256 bitlk-aes-xts-128-4k \
	bitlk-aes-cbc-128-4k bitlk-aes-xts-128-new-entry; do
	rp=$(wr_bitlk_conf "$name" RP)
	check "$name: userspace device = dislocker" same_as_dislocker "$name" "$rp" -p"$rp"
done
check "bitlk-aes-xts-128-clearkey-only (suspended, no key): userspace device = dislocker -c" \
	same_as_dislocker bitlk-aes-xts-128-clearkey-only clear -c
bek=$imgs/4381F759-C4F8-4DE0-BB61-FC33A831BDA5.BEK
check "bitlk-aes-xts-128-startup-key (.BEK): userspace device = dislocker -f" \
	same_as_dislocker bitlk-aes-xts-128-startup-key "bek:$bek" -f"$bek"
finish

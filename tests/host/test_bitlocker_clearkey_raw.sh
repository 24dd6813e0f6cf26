#!/bin/sh
# The Windows-made clear-key (suspended) image as the archive holds it: scan opens it
# with no key through the userspace device and reports BitLocker suspended; its NTFS
# cannot be read because the archive blanked the data area (the README says so):
# MFT record 1 ($MFTMirr) is all zeros in the raw image, so it decrypts to noise for
# every reader (dislocker -c gives the same bytes, host/test_bitlocker_userspace_diff).
# The error must say that BitLocker opened and the NTFS inside is what fails, once,
# with exit 8. (A clear-key volume with a whole NTFS is scanned and fixed with no key
# in host/test_bitlocker_userspace_fix.)
. "$WR_SOURCE/tests/host/lib.sh"
. "$WR_SOURCE/tests/tools/bitlk.sh"
wr_bitlk_setup
img=$WR_BITLK_CACHE/bitlk-images/bitlk-aes-xts-128-clearkey-only.img

"$WR_TOOLS/wr-bde" cat "$img" clear "$T/plain"
# The MFT's place from the NTFS boot sector (cluster number at 0x30, cluster size
# from bytes per sector at 0x0b and sectors per cluster at 0x0d).
le() { od -An -tu"$3" -j"$2" -N"$3" "$1" | tr -d ' '; }
mft=$(($(le "$T/plain" 48 8) * $(le "$T/plain" 11 2) * $(le "$T/plain" 13 1)))
check "MFT record 0 decrypts to a FILE record" \
	test "$(dd if="$T/plain" bs=1 skip="$mft" count=4 2>/dev/null)" = FILE
check "MFT record 1 is blanked (all zeros) in the raw image" sh -c \
	"dd if='$img' bs=1024 skip=$((mft / 1024 + 1)) count=1 2>/dev/null | cmp -s - /dev/zero -n 1024"

wr scan --json "$img" >"$T/scan.json" 2>"$T/scan.err"
# shellcheck disable=SC2154 # rc is set by wr (tests/host/lib.sh)
check "scan exits 8 (the NTFS cannot be read)" test "$rc" -eq 8
check "opened with no key, through the userspace device, reported suspended" test \
	"$(jq -r '.volumes[0] | "\(.unlocked_with) \(.unlocked_via) \(.suspended)"' "$T/scan.json")" \
	= "clear_key userspace true"
check "the message says BitLocker opened and the NTFS inside is unreadable" sh -c \
	"jq -r '.volumes[0].message' '$T/scan.json' |
	 grep -q '^BitLocker opened this volume (suspended: with its clear key), but inside it: not a readable NTFS volume'"
finish

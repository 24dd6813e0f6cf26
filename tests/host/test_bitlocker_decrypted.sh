#!/bin/sh
# A fully decrypted BitLocker volume (BitLocker turned off, its metadata still there:
# state "decrypted") opens without a key, end to end on this host (no device-mapper).
# Built from bitlk-aes-xts-128: its header and metadata with every metadata copy set
# to state 1 (CRCs fixed, wr-bde set-state), a Windows-like NTFS stored as plaintext.
# The plaintext view is checked without winrescue's code: the raw image with the
# moved NTFS boot sectors copied back to the start and BitLocker's areas zeroed (dd,
# at the offsets cryptsetup bitlkDump gives) must equal the NTFS stored, before the
# fix, and pass ntfsfix -n with exactly the matching files gone after it.
. "$WR_SOURCE/tests/host/lib.sh"
. "$WR_SOURCE/tests/tools/bitlk.sh"
wr_bitlk_setup
img=$T/decrypted.img
expected_paths() { cut -f1 "$(wr_expect_file windows)" | LC_ALL=C sort; }

cp --sparse=always "$WR_BITLK_CACHE/bitlk-images/bitlk-aes-xts-128.img" "$img"
# Offsets (bytes) of the three metadata areas and of the moved header, and its size.
cryptsetup bitlkDump "$img" | awk '/Offset:/ { printf "%s ", $2 } /Volume header/ { h = 1 }
	h && /Size:/ { print $2; exit }' >"$T/areas"
read -r m0 m1 m2 hdr hsize <"$T/areas"
check "bitlkDump gives the areas" test "${hsize:-0}" -gt 0

# plain_view IMG OUT: the NTFS as a decrypted volume holds it, cut out with dd.
plain_view() {
	cp --sparse=always "$1" "$2" &&
		dd if="$1" of="$2" bs=512 skip=$((hdr / 512)) count=$((hsize / 512)) conv=notrunc 2>/dev/null &&
		dd if=/dev/zero of="$2" bs=512 seek=$((hdr / 512)) count=$((hsize / 512)) conv=notrunc 2>/dev/null &&
		for m in "$m0" "$m1" "$m2"; do
			dd if=/dev/zero of="$2" bs=512 seek=$((m / 512)) count=128 conv=notrunc 2>/dev/null || return 1
		done
}

check "every metadata copy set to decrypted" "$WR_TOOLS/wr-bde" set-state "$img" 1
wr_bitlk_make_plain "$img.plain" "$(stat -c %s "$img")" "$WR_SPECS/windows.spec" "$img"
check "NTFS stored as plaintext" "$WR_TOOLS/wr-bde" write "$img" none "$img.plain"
plain_view "$img" "$T/view"
check "the raw image is the NTFS in plaintext" cmp -s "$T/view" "$img.plain"
manifest "$T/view" >"$T/before"

wr scan --json "$img" >"$T/scan.json" 2>"$T/scan.err"
# shellcheck disable=SC2154 # rc is set by wr (tests/host/lib.sh)
check "scan with no key reads the NTFS (fix needed)" test "$rc" -eq 4
check "scan reports a decrypted volume read through the userspace device" test \
	"$(jq -r '.volumes[0] | "\(.conversion) \(.unlocked_via) \(.encrypted_percent)"' "$T/scan.json")" \
	= "decrypted userspace 0"
check "scan lists the matching files" test \
	"$(jq -r '.volumes[0].files | length' "$T/scan.json")" -eq "$(expected_paths | wc -l)"

wr fix --yes --no-prompt --report "$T/fix.json" --backup-dir "$T/bk" "$img" >"$T/out" 2>&1
check "fix with no key exits 1 (fixed)" test "$rc" -eq 1
check "the report says deleted for each file" test "$(report_actions "$T/fix.json")" = deleted
plain_view "$img" "$T/view"
manifest "$T/view" >"$T/after"
expected_paths >"$T/expected"
check "exactly the matching files are gone, every other file keeps its bytes" sh -c \
	"LC_ALL=C comm -23 '$T/before' '$T/after' | cut -f1 | cmp -s - '$T/expected' &&
	 test -z \"\$(LC_ALL=C comm -13 '$T/before' '$T/after')\""
check "ntfsfix -n finds the volume clean after the fix" sh -c "ntfsfix -n '$T/view' >/dev/null"
finish

#!/bin/sh
# BitLocker without device-mapper (this host has none): `winrescue fix` opens each
# kind through its userspace device and deletes exactly the matching files. Every
# volume is read back afterwards by an independent reader (dislocker-file): the
# matching files are gone, every other file keeps its bytes, ntfsfix -n is clean.
# Volumes: the fixture builder's (XTS-128/256, CBC-128/256, XTS with 4096-byte
# sectors), and, for the kinds it cannot build (Elephant, a suspended volume, a
# protector with an entry libcryptsetup 2.6.1 rejects), the plaintext stored through
# wr-bde and checked with dislocker before the fix. A suspended volume is scanned
# and fixed with no key at all.
. "$WR_SOURCE/tests/host/lib.sh"
. "$WR_SOURCE/tests/tools/bitlk.sh"
wr_bitlk_setup
spec=$WR_SPECS/windows.spec
expected_paths() { cut -f1 "$(wr_expect_file windows)" | LC_ALL=C sort; }

# decrypt VOLUME KEY_OPTION OUT: dislocker's plaintext (-p<RP>, -c, -f<BEK>).
decrypt() {
	rm -f "$3"
	dislocker-file -V "$1" "$2" "$3" >"$T/dislocker.log" 2>&1 && [ -s "$3" ] || {
		cat "$T/dislocker.log"
		return 1
	}
}

# fix_and_check NAME VOLUME DISLOCKER_KEY_OPTION [WINRESCUE KEY OPTIONS...]
fix_and_check() {
	name=$1 vol=$2 dkey=$3
	shift 3
	check "$name: dislocker reads the volume before the fix" decrypt "$vol" "$dkey" "$T/before.img"
	manifest "$T/before.img" >"$T/before"
	wr fix --yes --no-prompt --report "$T/$name.json" --backup-dir "$T/$name.bk" "$@" "$vol" >"$T/out" 2>&1
	# shellcheck disable=SC2154 # rc is set by wr (tests/host/lib.sh)
	check "$name: fix exits 1 (fixed)" test "$rc" -eq 1
	check "$name: opened through the userspace device" \
		test "$(jq -r '.volumes[0].unlocked_via' "$T/$name.json")" = userspace
	check "$name: the report says deleted for each file" \
		test "$(report_actions "$T/$name.json")" = deleted
	check "$name: dislocker reads the volume after the fix" decrypt "$vol" "$dkey" "$T/after.img"
	manifest "$T/after.img" >"$T/after"
	expected_paths >"$T/expected"
	check "$name: exactly the matching files are gone" sh -c \
		"LC_ALL=C comm -23 '$T/before' '$T/after' | cut -f1 | cmp -s '$T/expected' -"
	check "$name: every other file keeps its bytes" sh -c \
		"test -z \"\$(LC_ALL=C comm -13 '$T/before' '$T/after')\""
	# An NTFS smaller than its volume keeps its backup boot sector at its own end.
	[ -z "${NTFS_SIZE:-}" ] || truncate -s "$NTFS_SIZE" "$T/after.img"
	check "$name: ntfsfix -n finds the volume clean" sh -c "ntfsfix -n '$T/after.img' >/dev/null"
	rm -rf "$vol" "$vol.plain" "$T/before.img" "$T/after.img" "$T/$name.bk"
}

for template in bitlk-aes-xts-128 bitlk-aes-xts-256 bitlk-aes-cbc-128 bitlk-aes-cbc-256 \
	bitlk-aes-xts-128-4k; do
	wr_make_bitlocker_volume "$T/$template.img" "$spec" "$template"
	fix_and_check "$template" "$T/$template.img" -p"$WR_BITLK_RP" --recovery-key "$WR_BITLK_RP"
done

same_used_clusters() {
	ntfsclone -q -f -O "$T/c1" "$1" >/dev/null 2>&1 && ntfsclone -q -f -O "$T/c2" "$2" >/dev/null 2>&1 &&
		cmp -s "$T/c1" "$T/c2"
	_rc=$?
	rm -f "$T/c1" "$T/c2"
	return $_rc
}
# own_checked TEMPLATE KEY DISLOCKER_KEY_OPTION [NTFS_SIZE]: TEMPLATE's header and
# metadata around the Windows-like NTFS, stored by wr-bde (wr_bitlk_store_volume);
# dislocker must read back the plaintext's used clusters unchanged.
own_checked() {
	wr_bitlk_store_volume "$T/$1.img" "$1" "$2" "$spec" ${4:+"$4"} && decrypt "$T/$1.img" "$3" "$T/check.img" &&
		same_used_clusters "$T/$1.img.plain" "$T/check.img"
}

rp=$(wr_bitlk_conf bitlk-aes-cbc-elephant-128 RP)
check "Elephant-128: stored by wr-bde, read back by dislocker" \
	own_checked bitlk-aes-cbc-elephant-128 "$rp" -p"$rp" $((100 * 1048576))
NTFS_SIZE=$((100 * 1048576)) fix_and_check elephant-128 "$T/bitlk-aes-cbc-elephant-128.img" \
	-p"$rp" --recovery-key "$rp"

rp=$(wr_bitlk_conf bitlk-aes-xts-128-new-entry RP)
check "protector with an entry libcryptsetup 2.6.1 rejects: stored, read back by dislocker" \
	own_checked bitlk-aes-xts-128-new-entry "$rp" -p"$rp"
fix_and_check new-entry "$T/bitlk-aes-xts-128-new-entry.img" -p"$rp" --recovery-key "$rp"

name=bitlk-aes-xts-128-clearkey-only
check "suspended (clear key): stored by wr-bde, read back by dislocker -c" own_checked "$name" clear -c
wr scan --json "$T/$name.img" >"$T/scan.json" 2>"$T/scan.err"
check "suspended: scan with no key reads the NTFS (fix needed)" test "$rc" -eq 4
check "suspended: the report says BitLocker is suspended" \
	test "$(jq -r '.volumes[0].suspended' "$T/scan.json")" = true
check "suspended: the matching files are listed" sh -c \
	"test \"\$(jq -r '.volumes[0].files | length' '$T/scan.json')\" -eq $(expected_paths | wc -l)"
fix_and_check suspended "$T/$name.img" -c
finish

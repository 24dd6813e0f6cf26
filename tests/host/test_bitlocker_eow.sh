#!/bin/sh
# Encrypt-on-write (conversion in progress) and partially encrypted BitLocker volumes,
# built from the two Windows-made images (XTS-128 "eow", CBC-128 "partially
# encrypted"): their header, FVE metadata and moved NTFS boot sectors as Windows
# left them, a conversion map put back where their header says (the archive blanked
# it; wr-eow-map: every other 1 MiB chunk converted, the boot sectors' chunk in the
# form Windows left it), and a Windows-like NTFS stored through the userspace device.
# No other reader opens these kinds, so the layout is checked directly: sectors of
# unconverted chunks are plaintext in the raw image and read back unchanged, sectors
# of converted chunks are not plaintext; the decrypted NTFS passes ntfsfix -n and
# mounts; `winrescue fix` (on this host: no device-mapper) deletes exactly the
# matching files, and every sector it changed keeps the form of its chunk.
. "$WR_SOURCE/tests/host/lib.sh"
. "$WR_SOURCE/tests/tools/bitlk.sh"
wr_bitlk_setup
imgs=$WR_BITLK_CACHE/bitlk-images
spec=$WR_SPECS/windows.spec
mkdir "$T/mnt"

# map HEADER_CHUNK_CONVERTED: one character per 1 MiB chunk, even chunks converted;
# chunk 33 holds the moved NTFS boot sectors.
map() { awk -v h="$1" 'BEGIN { for (i = 0; i < 100; i++) printf "%d", i == 33 ? h : i % 2 == 0 }'; }
mounts_with_files() {
	ntfs-3g -o ro "$1" "$T/mnt" || return 1
	_n=$(find "$T/mnt/Windows/System32/drivers/CrowdStrike" -type f | wc -l)
	umount "$T/mnt"
	test "$_n" -gt 0
}

eow_case() {  # eow_case NAME IMAGE HEADER_CHUNK_CONVERTED
	name=$1 img=$T/$1.img m=$(map "$3")
	rp=$(wr_bitlk_conf "$2" RP)
	cp --sparse=always "$imgs/$2.img" "$img"
	check "$name: conversion map written" "$WR_TOOLS/wr-eow-map" write "$img" "$m"
	wr_bitlk_make_plain "$img.plain" "$(stat -c %s "$img")" "$spec" "$img"
	check "$name: Windows-like NTFS stored through the userspace device" \
		"$WR_TOOLS/wr-bde" write "$img" "$rp" "$img.plain"
	check "$name: unconverted chunks hold the plaintext, converted ones do not" \
		"$WR_TOOLS/wr-eow-map" forms "$img" "$img.plain" "$m"
	check "$name: the plaintext reads back unchanged" sh -c \
		"'$WR_TOOLS/wr-bde' cat '$img' '$rp' '$T/dec' && cmp -s '$img.plain' '$T/dec'"
	check "$name: ntfsfix -n finds the decrypted NTFS clean" sh -c "ntfsfix -n '$T/dec' >/dev/null"
	check "$name: the decrypted NTFS mounts with ntfs-3g" mounts_with_files "$T/dec"
	manifest "$T/dec" >"$T/before"
	cp --sparse=always "$img" "$T/raw-before"
	wr fix --yes --no-prompt --report "$T/$name.json" --backup-dir "$T/$name.bk" \
		--recovery-key "$rp" "$img" >"$T/out" 2>&1
	# shellcheck disable=SC2154 # rc is set by wr (tests/host/lib.sh)
	check "$name: fix exits 1 (fixed)" test "$rc" -eq 1
	check "$name: opened through the userspace device, conversion reported" test \
		"$(jq -r '.volumes[0] | "\(.unlocked_via) \(.encrypted_percent)"' "$T/$name.json")" \
		= "userspace $((50 + $3))"
	"$WR_TOOLS/wr-bde" cat "$img" "$rp" "$T/dec"
	manifest "$T/dec" >"$T/after"
	check "$name: exactly the matching files are gone, every other file keeps its bytes" sh -c \
		"LC_ALL=C comm -23 '$T/before' '$T/after' | cut -f1 | cmp -s - '$T/expected' &&
		 test -z \"\$(LC_ALL=C comm -13 '$T/before' '$T/after')\""
	check "$name: every sector the fix changed has the form of its chunk" \
		"$WR_TOOLS/wr-eow-map" forms "$img" "$T/dec" "$m" "$T/raw-before"
	check "$name: ntfsfix -n finds the volume clean after the fix" sh -c "ntfsfix -n '$T/dec' >/dev/null"
	rm -rf "$img" "$img.plain" "$T/dec" "$T/raw-before" "$T/$name.bk"
}

cut -f1 "$(wr_expect_file windows)" | LC_ALL=C sort >"$T/expected"
eow_case eow bitlk-aes-xts-128-eow 0
eow_case partially-encrypted bitlk-partially-encrypted-aes-cbc-128 1
finish

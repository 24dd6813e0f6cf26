#!/bin/sh
# The BitLocker fixtures are what they claim, as INDEPENDENT readers see them: cryptsetup
# (key check), dislocker-file (full decryption), bdeinfo (protectors, key check), ntfs-3g's
# tools on the decrypted volume. And wr-bitlk-fixture decrypts the Windows-made images to
# the SHA-256 sums their authors recorded.
set -eu

if [ ! -d "${WR_SHARED:-}/testdata/bitlk" ]; then
	echo "skipped: ../shared/testdata/bitlk not found"
	exit 77
fi
for tool in cryptsetup dislocker-file bdeinfo ntfscluster ntfsclone ntfsls ntfscat mkntfs; do
	command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed (scripts/install-deps)"; exit 1; }
done

. "$WR_SOURCE/tests/tools/bitlk.sh"
fixture="$WR_TOOLS/wr-bitlk-fixture"
tmp=$(mktemp -d)
trap 'wr_bitlk_cleanup; rm -rf "$tmp"' EXIT
failures=0

fail() {
	printf "FAIL: %s\n" "$*"
	failures=$((failures + 1))
}

now_ms() {
	date +%s%3N
}

# The Windows-like tree of tests/tools/specs, with the channel files it must show.
spec=$WR_SOURCE/tests/tools/specs/windows.spec
cut -f1,2 "${spec%.spec}.expect" >"$tmp/channel-files"

# "Offset SIZE" of each FVE metadata area and of the volume header, from cryptsetup.
reserved_areas() {
	cryptsetup bitlkDump "$1" | awk '/Offset:/ { off = $2 } /Size:/ && off != "" { print off, $2; off = "" }'
}

# Only the FVE2 placeholders may own clusters in an area that reads as zeros.
check_reserved_areas_owned() {
	reserved_areas "$1" >"$tmp/areas"
	[ "$(wc -l <"$tmp/areas")" -eq 4 ] || fail "$3: expected 3 metadata areas + volume header"
	while read -r off size; do
		first=$((off / 4096)) last=$(((off + size - 1) / 4096))
		ntfscluster -c "$first-$last" "$2" >"$tmp/owners" 2>&1
		grep '^Inode' "$tmp/owners" | grep -v ' /System Volume Information/FVE2\.' &&
			fail "$3: files other than the placeholders in clusters $first-$last"
		grep -q '^Inode.*/System Volume Information/FVE2\.' "$tmp/owners" ||
			fail "$3: no placeholder owns clusters $first-$last (BitLocker area at $off)"
	done <"$tmp/areas"
}

# Used clusters of two NTFS images, compared byte for byte (free space is noise by design).
same_used_clusters() {
	ntfsclone -q -f -O "$tmp/clone1" "$1" >/dev/null 2>&1 &&
		ntfsclone -q -f -O "$tmp/clone2" "$2" >/dev/null 2>&1 &&
		cmp -s "$tmp/clone1" "$tmp/clone2"
	rc=$?
	rm -f "$tmp/clone1" "$tmp/clone2"
	return $rc
}

check_channel_files() {
	tab=$(printf '\t')
	while IFS=$tab read -r winpath size; do
		path=$(printf '%s' "$winpath" | tr '\\' '/')
		ntfsls -p "$(dirname "$path")" "$1" 2>/dev/null | grep -qxF "$(basename "$path")" ||
			fail "$2: $winpath not listed by ntfsls"
		ntfscat "$1" "$path" >"$tmp/got" 2>/dev/null || fail "$2: ntfscat $winpath failed"
		ntfscat "$WR_BITLK_PLAIN" "$path" >"$tmp/want" 2>/dev/null
		cmp -s "$tmp/got" "$tmp/want" && [ "$(wc -c <"$tmp/got")" -eq "$size" ] ||
			fail "$2: $winpath differs from the plaintext or is not $size bytes"
	done <"$tmp/channel-files"
}

check_volume() {
	template=$1 enc=$tmp/$1.img
	start=$(now_ms)
	wr_make_bitlocker_volume "$enc" "$spec" "$template" || { fail "$template: build failed"; return; }
	echo "$template: built in $(($(now_ms) - start)) ms, $(du -k "$enc" | cut -f1) KiB on disk"
	timg=$WR_BITLK_CACHE/bitlk-images/$template.img

	check_reserved_areas_owned "$enc" "$WR_BITLK_PLAIN" "$template"
	cryptsetup bitlkDump "$timg" | tail -n +2 >"$tmp/dump.want"
	cryptsetup bitlkDump "$enc" | tail -n +2 >"$tmp/dump.got"
	cmp -s "$tmp/dump.want" "$tmp/dump.got" || fail "$template: BitLocker metadata changed"

	printf '%s' "$WR_BITLK_RP" | cryptsetup open --test-passphrase --type bitlk "$enc" ||
		fail "$template: cryptsetup refuses the recovery password"
	wr_bitlk_conf bitlk-aes-xts-256 RP | tr -d '\n' |
		cryptsetup open --test-passphrase --type bitlk "$enc" 2>/dev/null &&
		fail "$template: cryptsetup accepts a wrong recovery password"

	bdeinfo -r "$WR_BITLK_RP" "$enc" >"$tmp/bde" 2>&1 || true
	awk -v id="$WR_BITLK_KEYID" '$1 == "Identifier" { hit = ($3 == id) }
		hit && /Type/ && /Recovery password/ { found = 1 } END { exit !found }' "$tmp/bde" ||
		fail "$template: bdeinfo lists no recovery password protector $WR_BITLK_KEYID"
	grep -q 'Unable to unlock' "$tmp/bde" && fail "$template: bdeinfo cannot unlock with the key"

	wr_decrypt_bitlocker_volume "$enc" "$tmp/dislocker.img" "$WR_BITLK_RP" ||
		{ fail "$template: dislocker-file failed"; return; }
	same_used_clusters "$WR_BITLK_PLAIN" "$tmp/dislocker.img" ||
		fail "$template: dislocker's NTFS differs from the plaintext in its used clusters"
	"$fixture" decrypt --key "$WR_BITLK_RP" --in "$enc" --out - | cmp -s - "$tmp/dislocker.img" ||
		fail "$template: wr-bitlk-fixture decrypt and dislocker disagree"
	ntfsfix -n "$tmp/dislocker.img" >/dev/null 2>&1 || fail "$template: ntfsfix -n finds errors"
	check_channel_files "$tmp/dislocker.img" "$template"
	rm -f "$enc" "$WR_BITLK_PLAIN" "$tmp/dislocker.img"
}

# NTFS data where BitLocker keeps its metadata would read back as zeros: without the
# placeholders, a 60 MiB file lands there and encrypt refuses; with them it builds.
check_metadata_areas_protected() {
	printf 'file \\big.bin size=%s content=random\n' $((60 * 1048576)) >"$tmp/big.spec"
	timg=$WR_BITLK_CACHE/bitlk-images/bitlk-aes-xts-128.img
	wr_bitlk_make_plain "$tmp/big.plain" "$(stat -c %s "$timg")" "$tmp/big.spec" ||
		fail "cannot make the unprotected 60 MiB plaintext"
	if "$fixture" encrypt --template "$timg" --key "$(wr_bitlk_conf bitlk-aes-xts-128 RP)" \
		--plain "$tmp/big.plain" --out "$tmp/big.img" 2>"$tmp/big.err"; then
		fail "a volume with data in the FVE metadata areas was built"
	elif ! grep -q 'in use but lies in the BitLocker' "$tmp/big.err"; then
		fail "no clear refusal for data in the metadata areas: $(cat "$tmp/big.err")"
	fi
	[ ! -e "$tmp/big.img" ] || fail "a refused volume was left behind"
	wr_make_bitlocker_volume "$tmp/big.img" "$tmp/big.spec" ||
		fail "the placeholders did not keep the 60 MiB file out of the metadata areas"
	rm -f "$tmp/big.img" "$tmp/big.img.plain" "$tmp/big.plain"
}

# Same spec, same template: the same bytes (tests may compare hashes of fixtures).
check_reproducible() {
	wr_make_bitlocker_volume "$tmp/r1.img" "$spec" && wr_make_bitlocker_volume "$tmp/r2.img" "$spec" &&
		cmp -s "$tmp/r1.img" "$tmp/r2.img" || fail "two builds of the same volume differ"
	rm -f "$tmp/r1.img" "$tmp/r1.img.plain" "$tmp/r2.img" "$tmp/r2.img.plain"
}

# The sector rules (tweak/IV of the physical sector, 512 and 4096-byte sectors) against
# the SHA-256 of the plaintext that Windows' own volumes were recorded with.
check_known_decryptions() {
	for image in bitlk-aes-xts-128-4k bitlk-aes-cbc-128-4k bitlk-aes-xts-256; do
		sum=$("$fixture" decrypt --key "$(wr_bitlk_conf "$image" RP)" \
			--in "$WR_BITLK_CACHE/bitlk-images/$image.img" --out - | sha256sum | cut -d' ' -f1)
		[ "$sum" = "$(wr_bitlk_conf "$image" SHA256SUM)" ] ||
			fail "$image: decrypted volume has the wrong SHA-256"
	done
	"$fixture" decrypt --key "$(wr_bitlk_conf bitlk-aes-cbc-elephant-128 RP)" \
		--in "$WR_BITLK_CACHE/bitlk-images/bitlk-aes-cbc-elephant-128.img" \
		--out "$tmp/known.img" 2>"$tmp/eleph.err" && fail "Elephant decrypt not refused"
	grep -q 'not supported' "$tmp/eleph.err" || fail "Elephant refusal unclear"
}

wr_bitlk_unpack
check_volume bitlk-aes-xts-128
check_volume bitlk-aes-cbc-128
check_metadata_areas_protected
check_reproducible
check_known_decryptions

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all BitLocker fixture checks passed"

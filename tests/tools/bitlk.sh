# BitLocker test volumes with real NTFS contents, for host tests (POSIX sh).
# Source it:  . "$WR_SOURCE/tests/tools/bitlk.sh"
# Needs WR_TOOLS (wr-bitlk-fixture, wr-mkfixture, wr-bde) and WR_SHARED (testdata/bitlk).
#
#   wr_bitlk_available            true when the Windows-made images are there
#   wr_bitlk_setup                skip the test without them, else unpack them
#   wr_make_bitlocker_volume OUT SPEC [TEMPLATE]
#                                 OUT: the template's header + FVE metadata around an NTFS
#                                 made from SPEC; exports WR_BITLK_RP (recovery password),
#                                 WR_BITLK_KEYID (its Key ID), WR_BITLK_PLAIN (OUT.plain, the
#                                 plaintext it was made from). TEMPLATE: an image name from
#                                 images.conf, default bitlk-aes-xts-128 (AES-XTS-128, 512 B).
#   wr_decrypt_bitlocker_volume ENC OUT RP
#                                 OUT: the plaintext as dislocker (an independent reader) sees it
#   wr_bitlk_make_plain IMG SIZE_BYTES SPEC [TEMPLATE_IMG [NTFS_BYTES]]
#                                 the plaintext NTFS alone (see below); NTFS_BYTES: a
#                                 smaller NTFS at the start of the SIZE_BYTES image
#   wr_bitlk_store_volume OUT TEMPLATE KEY SPEC [NTFS_BYTES]
#                                 OUT: a copy of the Windows-made TEMPLATE image with an NTFS
#                                 made from SPEC (OUT.plain) stored through the userspace
#                                 device (wr-bde write), for the kinds the fixture builder
#                                 cannot make (Elephant); check it with an independent reader
#   wr_bitlk_conf TEMPLATE KEY    prints a value of images.conf (RP, RP_VMK_GUID, CIPHER...)
#   wr_bitlk_cleanup              removes the unpacked images (call from the test's trap)
#   wr_bitlk_first_difference FILE CMD...
#                                 the first 512-byte sector where CMD's output differs
#                                 from FILE ("size" when one is shorter), or nothing
#
# The BitLocker header and metadata areas read as zeros through BitLocker, so before SPEC
# is added they are given to placeholder files (\System Volume Information\FVE2.*, as on
# Windows). Only sectors NTFS uses (its $Bitmap, plus the backup boot sector) and non-zero sectors are
# encrypted: free zero sectors stay holes and decrypt to noise, so compare used clusters
# (ntfsclone -O) or whole decryptions by two readers, not OUT with the plaintext raw.

wr_bitlk_testdata="${WR_SHARED:-}/testdata/bitlk"

wr_bitlk_available() {
	[ -f "$wr_bitlk_testdata/bitlk-images.tar.xz" ]
}

# wr_bitlk_setup: for a test that needs the images: skips it (exit 77, saying so)
# without them, else unpacks them, removed with $T at exit.
wr_bitlk_setup() {
	if ! wr_bitlk_available; then
		echo "skipped: ../shared/testdata/bitlk not found"
		exit 77
	fi
	trap 'wr_bitlk_cleanup; rm -rf "$T"' EXIT INT TERM
	wr_bitlk_unpack
}

# Unpacks the images once per test run (into WR_BITLK_CACHE, kept for later calls).
wr_bitlk_unpack() {
	if [ -n "${WR_BITLK_CACHE:-}" ] && [ -d "$WR_BITLK_CACHE/bitlk-images" ]; then
		return 0
	fi
	WR_BITLK_CACHE=$(mktemp -d "${TMPDIR:-/tmp}/wr-bitlk.XXXXXX") || return 1
	export WR_BITLK_CACHE
	tar -xJf "$wr_bitlk_testdata/bitlk-images.tar.xz" -C "$WR_BITLK_CACHE" || {
		echo "bitlk.sh: cannot unpack $wr_bitlk_testdata/bitlk-images.tar.xz" >&2
		return 1
	}
}

wr_bitlk_cleanup() {
	if [ -n "${WR_BITLK_CACHE:-}" ]; then
		rm -rf "$WR_BITLK_CACHE"
	fi
	WR_BITLK_CACHE=
}

wr_bitlk_conf() {
	wr_bitlk_unpack || return 1
	awk -v section="[$1]" -v key="$2" '
		$0 == section { inside = 1; next }
		/^\[/ { inside = 0 }
		inside && index($0, key "=") == 1 { print substr($0, length(key) + 2); found = 1; exit }
		END { exit !found }' "$WR_BITLK_CACHE/bitlk-images/images.conf" || {
		echo "bitlk.sh: no $2 for $1 in images.conf" >&2
		return 1
	}
}

# wr_bitlk_make_plain IMG SIZE_BYTES SPEC [TEMPLATE_IMG [NTFS_BYTES]]: an NTFS made as fixtures.sh's
# wr_make_volume makes it (same mkntfs options, so reproducible), with TEMPLATE_IMG's BitLocker areas given to placeholder files
# (\System Volume Information\FVE2.*) before SPEC is added, so no file lands there.
wr_bitlk_make_plain() {
	_wb_img=$1
	rm -f "$_wb_img" && truncate -s "${5:-$2}" "$_wb_img" &&
		mkntfs -F -Q -q -T -s 512 -c 4096 -L WINDOWS "$_wb_img" >/dev/null 2>&1 &&
		truncate -s "$2" "$_wb_img" || return 1
	if [ -n "${4:-}" ]; then
		"$WR_TOOLS/wr-bitlk-fixture" placeholder-spec >"$_wb_img.placeholders" &&
			"$WR_TOOLS/wr-mkfixture" "$_wb_img" "$_wb_img.placeholders" &&
			"$WR_TOOLS/wr-bitlk-fixture" reserve --template "$4" --plain "$_wb_img" || {
			rm -f "$_wb_img.placeholders"
			return 1
		}
		rm -f "$_wb_img.placeholders"
	fi
	"$WR_TOOLS/wr-mkfixture" "$_wb_img" "$3"
}

wr_make_bitlocker_volume() {
	_wb_out=$1 _wb_spec=$2 _wb_template=${3:-bitlk-aes-xts-128}
	wr_bitlk_unpack || return 1
	_wb_timg="$WR_BITLK_CACHE/bitlk-images/$_wb_template.img"
	_wb_rp=$(wr_bitlk_conf "$_wb_template" RP) && _wb_keyid=$(wr_bitlk_conf "$_wb_template" RP_VMK_GUID) ||
		return 1
	wr_bitlk_make_plain "$_wb_out.plain" "$(stat -c %s "$_wb_timg")" "$_wb_spec" "$_wb_timg" || {
		echo "bitlk.sh: cannot make the plaintext NTFS from $_wb_spec" >&2
		return 1
	}
	"$WR_TOOLS/wr-bitlk-fixture" encrypt --template "$_wb_timg" --key "$_wb_rp" \
		--plain "$_wb_out.plain" --out "$_wb_out" || return 1
	WR_BITLK_RP=$_wb_rp WR_BITLK_KEYID=$_wb_keyid WR_BITLK_PLAIN=$_wb_out.plain
	export WR_BITLK_RP WR_BITLK_KEYID WR_BITLK_PLAIN
}

# wr_bitlk_store_volume OUT TEMPLATE KEY SPEC [NTFS_BYTES]: NTFS_BYTES, a smaller NTFS
# (default: the whole volume): the Elephant images' metadata would meet mkntfs' $LogFile
# in the middle of their 128 MiB.
wr_bitlk_store_volume() {
	wr_bitlk_unpack &&
		cp --sparse=always "$WR_BITLK_CACHE/bitlk-images/$2.img" "$1" &&
		wr_bitlk_make_plain "$1.plain" "$(stat -c %s "$1")" "$4" "$1" ${5:+"$5"} &&
		"$WR_TOOLS/wr-bde" write "$1" "$3" "$1.plain"
}

wr_decrypt_bitlocker_volume() {
	rm -f "$2"
	_wb_log=$(dislocker-file -V "$1" -p"$3" "$2" 2>&1) && [ -s "$2" ] || {
		printf 'bitlk.sh: dislocker-file failed on %s:\n%s\n' "$1" "$_wb_log" >&2
		return 1
	}
}

wr_bitlk_first_difference() {
	_wb_file=$1
	shift
	"$@" | cmp "$_wb_file" - 2>&1 | awk '/EOF/ { print "size"; exit }
		{ sub(",", "", $5); print int(($5 - 1) / 512); exit }'
}

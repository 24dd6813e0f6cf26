# Corrupt and hostile volumes: each must give a specific error or the correct
# result within a time bound, and change nothing it should not. scan must leave
# the image byte-identical; fix may delete only the real channel files (checked
# with wr-ntfs-manifest, libntfs-3g read directly). Writes a summary line to
# <build>/reliability-hostile.txt.
. "$WR_SOURCE/tests/host/lib.sh"
suppress_ntfs_mount_leaks
# A hang bound, not a speed check: 10,000 deletes in a sanitizer build on a
# loaded 2-core machine took over a minute.
BOUND=600
CS='\Windows\System32\drivers\CrowdStrike'
tried=0 crashes=0 hangs=0 changes=0

# run_bounded CMD...: like wr, with a time limit; counts crashes and hangs.
run_bounded() {
	tried=$((tried + 1))
	rc=0
	timeout -k 5 "$BOUND" "$WINRESCUE" "$@" >"$T/out" 2>&1 || rc=$?
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		hangs=$((hangs + 1)); echo "HANG (> ${BOUND}s): winrescue $*"; cat "$T/out"
	elif [ $rc -gt 32 ]; then
		crashes=$((crashes + 1)); echo "CRASH (exit $rc): winrescue $*"; cat "$T/out"
	fi
}

# expect_rc NAME WANTED...: the last run's exit code is one of WANTED.
expect_rc() {
	_name=$1; shift
	for _w; do [ "$rc" -eq "$_w" ] && { echo "ok: $_name (exit $rc)"; return 0; }; done
	echo "FAIL: $_name: exit $rc, expected one of: $*"; sed 's/^/  | /' "$T/out" | head -15
	failures=$((failures + 1))
}

# scan_unchanged NAME IMG WANTED_RC...: scan, then the image is byte-identical.
scan_unchanged() {
	_n=$1 _img=$2; shift 2
	_before=$(wr_sha256 "$_img")
	run_bounded scan --json "$_img"
	expect_rc "$_n: scan" "$@"
	if [ "$(wr_sha256 "$_img")" != "$_before" ]; then
		changes=$((changes + 1)); echo "FAIL: $_n: scan changed the image"
		failures=$((failures + 1))
	fi
}

# fix_only_matches NAME IMG DELETED_LIST WANTED_RC...: fix; afterwards the manifest
# equals the one before minus exactly the paths in DELETED_LIST (one per line).
fix_only_matches() {
	_n=$1 _img=$2 _del=$3; shift 3
	manifest "$_img" >"$T/before"
	# Lines are "PATH<TAB>..."; drop the deleted paths by their first field.
	awk -F '\t' 'FILENAME == ARGV[1] { gone[$0] = 1; next } !($1 in gone)' "$_del" "$T/before" \
		>"$T/expected"
	run_bounded fix --yes --no-backup --json "$_img"
	expect_rc "$_n: fix" "$@"
	manifest "$_img" >"$T/after" 2>/dev/null || true
	if ! cmp -s "$T/expected" "$T/after"; then
		changes=$((changes + 1)); echo "FAIL: $_n: fix changed what it should not:"
		diff "$T/expected" "$T/after" | head -10
		failures=$((failures + 1))
	else
		echo "ok: $_n: fix deleted exactly $(grep -c . "$_del" || true) file(s), nothing else changed"
	fi
}

spec() { cat >"$T/$1.spec"; }
nothing() { : >"$T/none"; echo "$T/none"; }

# ---- truncated images and a zeroed boot sector ------------------------------
spec small <<'EOF'
file \Windows\System32\ntoskrnl.exe size=16384 content=text:MZ
file \Windows\System32\drivers\CrowdStrike\C-00000291-00000000-00000032.sys size=40960 content=magic modified=2024-07-19T04:09:00Z
file \Windows\System32\drivers\CrowdStrike\CSAgent.sys size=8192 content=text:MZ
many \Users\admin\Documents\doc%03d.txt 200 size=3000 content=random
EOF
wr_make_volume "$T/small.img" 16 Small "$T/small.spec"
for cut in 8M 1M 64K 4K 100; do
	cp "$T/small.img" "$T/cut.img"
	truncate -s "$cut" "$T/cut.img"
	scan_unchanged "truncated to $cut" "$T/cut.img" 2 8
	if [ "$cut" = 8M ] && ! grep -q 'shorter than the NTFS volume' "$T/out"; then
		echo "FAIL: truncated to $cut: the error does not say the image is cut short"
		failures=$((failures + 1))
	fi
	before=$(wr_sha256 "$T/cut.img")
	run_bounded fix --yes --no-backup "$T/cut.img"
	expect_rc "truncated to $cut: fix" 2 8
	# A fix that could open a cut volume must not have touched anything but the match.
	if [ "$(wr_sha256 "$T/cut.img")" != "$before" ] && [ $rc -ne 1 ]; then
		changes=$((changes + 1)); failures=$((failures + 1))
		echo "FAIL: truncated to $cut: fix failed but changed the image"
	fi
done
cp "$T/small.img" "$T/zeroboot.img"
dd if=/dev/zero of="$T/zeroboot.img" bs=512 count=1 conv=notrunc status=none
scan_unchanged "zeroed boot sector" "$T/zeroboot.img" 2 8
before=$(wr_sha256 "$T/zeroboot.img")
run_bounded fix --yes --no-backup "$T/zeroboot.img"
expect_rc "zeroed boot sector: fix" 2 8
if [ "$(wr_sha256 "$T/zeroboot.img")" != "$before" ]; then
	changes=$((changes + 1)); failures=$((failures + 1))
	echo "FAIL: zeroed boot sector: fix changed the image"
fi

# ---- BitLocker with broken metadata -----------------------------------------
bitlk="$WR_SHARED/testdata/bitlk"
if [ -f "$bitlk/bitlk-images.tar.xz" ]; then
	tar -xJf "$bitlk/bitlk-images.tar.xz" -C "$T"
	img=$(ls "$T"/bitlk-images/bitlk-aes-xts-128*.img 2>/dev/null | head -n1)
	[ -n "$img" ] || img=$(ls "$T"/bitlk-images/*.img | head -n1)
	# The three metadata copies' offsets: 3 x le64 at byte 176 of the header.
	offs=$(od -An -t u8 -j 176 -N 24 "$img")
	n=0
	for off in $offs; do
		n=$((n + 1))
		# Flip bytes inside the metadata entries: this copy fails its CRC.
		printf '\377\377\377\377' | dd of="$img" bs=1 seek=$((off + 160)) conv=notrunc status=none
		if [ $n -eq 1 ]; then
			scan_unchanged "BitLocker, first metadata copy damaged" "$img" 0 2 4 8
			grep -q 'BitLocker' "$T/out" || { echo "FAIL: not recognised as BitLocker"; failures=$((failures + 1)); }
		fi
	done
	scan_unchanged "BitLocker, every metadata copy damaged" "$img" 8
	if grep -qi 'metadata' "$T/out"; then echo "ok: the error names the damaged metadata"
	else echo "FAIL: no word of the damaged metadata:"; cat "$T/out"; failures=$((failures + 1)); fi
	run_bounded fix --yes --no-prompt --recovery-key 111111-222222-333333-444444-555555-666666-000000-123453 "$img"
	expect_rc "BitLocker, every metadata copy damaged: fix" 8
	img2=$(ls "$T"/bitlk-images/*.img | sed -n 2p)
	# Fixed garbage (24 ASCII bytes), not random: the same case on every run.
	printf 'winrescue-hostile-offset' | dd of="$img2" bs=1 seek=176 count=24 conv=notrunc status=none
	scan_unchanged "BitLocker, metadata offsets garbage" "$img2" 8 0
else
	echo "skipped (BitLocker cases): ../shared/testdata/bitlk not found"
fi

# ---- links where the CrowdStrike folder should be ---------------------------
for kind in junction symlink; do
	spec "$kind" <<EOF
file \\Windows\\System32\\ntoskrnl.exe size=4096 content=text:MZ
file \\Users\\Public\\Elsewhere\\C-00000291-00000000-00000032.sys size=4096 content=magic modified=2024-07-19T04:09:00Z
file \\Users\\Public\\Elsewhere\\keep.txt size=100 content=text:keep
$kind $CS \\Users\\Public\\Elsewhere
EOF
	wr_make_volume "$T/$kind.img" 8 Link "$T/$kind.spec"
	scan_unchanged "CrowdStrike folder is a $kind" "$T/$kind.img" 32
	fix_only_matches "CrowdStrike folder is a $kind" "$T/$kind.img" "$(nothing)" 32
	grep -qi 'link\|junction' "$T/out" || { echo "FAIL: the refusal does not name the link"; failures=$((failures + 1)); }
done
# A link on a folder above it (drivers).
spec above <<'EOF'
file \Windows\System32\ntoskrnl.exe size=4096 content=text:MZ
file \Data\drivers\CrowdStrike\C-00000291-00000000-00000032.sys size=4096 content=magic modified=2024-07-19T04:09:00Z
junction \Windows\System32\drivers \Data\drivers
EOF
wr_make_volume "$T/above.img" 8 Link "$T/above.spec"
scan_unchanged "drivers folder is a junction" "$T/above.img" 32
fix_only_matches "drivers folder is a junction" "$T/above.img" "$(nothing)" 32

# ---- matches that are not regular files -------------------------------------
spec dirmatch <<EOF
file \\Windows\\System32\\ntoskrnl.exe size=4096 content=text:MZ
file $CS\\C-00000291-00000000-00000099.sys\\inside.sys size=4096 content=magic
file $CS\\C-00000291-00000000-00000097.sys\\C-00000291-00000000-00000032.sys size=4096 content=magic
junction $CS\\C-00000291-00000000-00000098.sys \\Windows\\System32
symlink $CS\\C-00000291-00000000-00000096.sys \\Windows\\System32\\ntoskrnl.exe
EOF
wr_make_volume "$T/dirmatch.img" 8 Dirs "$T/dirmatch.spec"
# Folders and a junction cannot be loaded as a driver file and stay; the file
# symlink would make Windows load ntoskrnl.exe: the link goes, its target stays.
echo "$CS\\C-00000291-00000000-00000096.sys" >"$T/dirmatch.del"
scan_unchanged "matches that are folders, a junction, a file symlink" "$T/dirmatch.img" 4
fix_only_matches "matches that are folders, a junction, a file symlink" "$T/dirmatch.img" "$T/dirmatch.del" 1

# ---- odd Unicode names ------------------------------------------------------
# Matches (compared as Windows compares, through the volume's $UpCase): lower
# case, a mixed-case extension, combining accents, a dotted capital I, Greek in
# the middle. Not matches: a full-width C, a Cyrillic Es for the C, a
# right-to-left override (shown as "...exe.sys", really ending in ".exe"), a
# zero-width joiner after ".sys", a Cyrillic dze for the s, a full-width S.
spec unicode <<EOF
file \\Windows\\System32\\ntoskrnl.exe size=4096 content=text:MZ
file $CS\\c-00000291-00000000-00000040.sys size=100 content=magic
file $CS\\C-00000291-00000000-00000041.SyS size=100 content=magic
file $CS\\C-00000291-é̂-00000042.sys size=100 content=magic
file $CS\\C-00000291-İstanbul.sys size=100 content=magic
file $CS\\C-00000291-Ωμέγα-K.sys size=100 content=magic
file $CS\\Ｃ-00000291-00000000-00000050.sys size=100 content=magic
file $CS\\С-00000291-00000000-00000051.sys size=100 content=magic
file $CS\\C-00000291-‮sys.exe size=100 content=magic
file $CS\\C-00000291-00000000-00000053.sys‍ size=100 content=magic
file $CS\\C-00000291-00000000-00000054.ѕys size=100 content=magic
file $CS\\C-00000291-00000000-00000055.Ｓys size=100 content=magic
EOF
wr_make_volume "$T/unicode.img" 8 Unicode "$T/unicode.spec"
cat >"$T/unicode.del" <<EOF
$CS\\c-00000291-00000000-00000040.sys
$CS\\C-00000291-00000000-00000041.SyS
$CS\\C-00000291-é̂-00000042.sys
$CS\\C-00000291-İstanbul.sys
$CS\\C-00000291-Ωμέγα-K.sys
EOF
scan_unchanged "odd Unicode names" "$T/unicode.img" 4
fix_only_matches "odd Unicode names" "$T/unicode.img" "$T/unicode.del" 1

# ---- an index entry that points back up (a loop) ----------------------------
# The index entry of "CrowdStrike" in drivers' index is patched to point at
# drivers itself: \...\drivers\CrowdStrike then *is* drivers, which holds a
# decoy C-00000291-*.sys that is outside the CrowdStrike folder and must stay.
spec loop <<EOF
file \\Windows\\System32\\ntoskrnl.exe size=4096 content=text:MZ
file \\Windows\\System32\\drivers\\C-00000291-00000000-00000036.sys size=4096 content=magic modified=2024-07-19T04:09:00Z
many \\Windows\\System32\\drivers\\drv%03d.sys 60 size=600 content=text:MZ
file $CS\\C-00000291-00000000-00000032.sys size=4096 content=magic modified=2024-07-19T04:09:00Z
EOF
wr_make_volume "$T/loop.img" 8 Loop "$T/loop.spec"
# drivers' own MFT record number, from ntfsinfo (an independent reader).
drivers=$(ntfsinfo -F '/Windows/System32/drivers' "$T/loop.img" 2>/dev/null | sed -n 's/^Dumping Inode \([0-9]*\).*/\1/p')
# The name in an index entry sits 82 bytes after the entry's start (16-byte entry
# header, 66 bytes of FILE_NAME before the name); the entry starts with the MFT
# reference (6-byte record number, 2-byte sequence). Only INDX blocks count.
patched=0
for at in $(LC_ALL=C grep -obUaP 'C\x00r\x00o\x00w\x00d\x00S\x00t\x00r\x00i\x00k\x00e\x00' "$T/loop.img" | cut -d: -f1); do
	entry=$((at - 82))
	[ "$(dd if="$T/loop.img" bs=1 skip=$((entry / 4096 * 4096)) count=4 status=none)" = INDX ] || continue
	printf "$(printf '\\%03o\\%03o\\%03o' $((drivers & 255)) $((drivers >> 8 & 255)) $((drivers >> 16 & 255)))" |
		dd of="$T/loop.img" bs=1 seek="$entry" conv=notrunc status=none
	patched=$((patched + 1))
done
if [ -n "$drivers" ] && [ "$patched" -eq 1 ]; then
	echo "ok: crafted a loop: drivers\\CrowdStrike's index entry points to drivers (record $drivers)"
	scan_unchanged "directory index loop" "$T/loop.img" 0 2 8 32
	fix_only_matches "directory index loop" "$T/loop.img" "$(nothing)" 0 2 8 32
else
	echo "FAIL: could not craft the index loop (drivers=$drivers, entries patched: $patched)"
	failures=$((failures + 1))
fi

# ---- 10,000 matching files --------------------------------------------------
wr_make_volume "$T/many.img" 64 Many "$WR_SPECS/many.spec"
scan_unchanged "10,000 matching files" "$T/many.img" 4
manifest "$T/many.img" | cut -f1 | grep -F "$CS\\C-00000291-00000001-" >"$T/many.del" || true
[ "$(wc -l <"$T/many.del")" -eq 10000 ] || { echo "FAIL: fixture has $(wc -l <"$T/many.del") matches"; failures=$((failures + 1)); }
fix_only_matches "10,000 matching files" "$T/many.img" "$T/many.del" 1

line="reliability: hostile inputs: $tried tried, crashes $crashes, hangs $hangs, unexpected changes $changes"
echo "$line"
echo "$line$([ "$failures" -eq 0 ] || echo " ($failures checks FAILED)")" >"$WR_TOOLS/../../reliability-hostile.txt"
finish

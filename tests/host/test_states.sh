# Volume states: scan reports them; fix refuses an unclean journal, Fast Startup,
# hibernation and a volume in use, changing nothing; the explicit options proceed
# and leave the volume marked for Windows' disk check.
. "$WR_SOURCE/tests/host/lib.sh"

cp -r "$WR_SPECS" "$T/specs"
state_volume() {  # state_volume STATE IMG
	printf 'include windows.spec\nstate %s\n' "$1" >"$T/specs/state-$1.spec"
	wr_make_volume "$2" 96 Windows "$T/specs/state-$1.spec"
}

# refused STATE REPORTED_STATE OPTION
refused() {
	img=$T/$1.img
	state_volume "$1" "$img"
	before=$(wr_sha256 "$img")
	wr scan --json "$img" >"$T/scan.json"
	check "$1: scan reports state $2" test "$(jq -r '.volumes[0].state' "$T/scan.json")" = "$2"
	check "$1: scan still lists the files" test "$(jq '.volumes[0].files | length' "$T/scan.json")" -eq 5
	wr fix --yes --report "$T/fix.json" "$img" >"$T/out"
	check "$1: fix exits 32 (refused)" test "$rc" -eq 32
	check "$1: the message names $3" grep -q -- "$3" "$T/out"
	check "$1: the report says refused" test "$(jq -r '.volumes[0].status' "$T/fix.json")" = refused
	check "$1: the report plans no action" test "$(report_actions "$T/fix.json")" = none
	check "$1: the image is byte-identical" test "$(wr_sha256 "$img")" = "$before"
}

# overridden STATE OPTION: the explicit option fixes it and marks the volume dirty.
overridden() {
	img=$T/$1.img
	# hiberfil.sys is meant to change with --discard-hibernation: checked on its own.
	manifest "$img" | grep -v '^\\hiberfil.sys	' >"$T/before"
	wr fix --yes --no-backup "$2" "$img" >"$T/out"
	check "$1 with $2: fix exits 1 (fixed)" test "$rc" -eq 1
	manifest "$img" | grep -v '^\\hiberfil.sys	' >"$T/after"
	check "$1 with $2: exactly the 5 matches are gone, nothing else changed" test \
		"$(LC_ALL=C comm -23 "$T/before" "$T/after" | wc -l)-$(LC_ALL=C comm -13 "$T/before" "$T/after" | wc -l)" = 5-0
	check "$1 with $2: the dirty flag is set for Windows' disk check" is_dirty "$img"
	wr scan --json "$img" >"$T/scan.json"
	check "$1 with $2: the volume is no longer $1 and opens" test \
		"$(jq -r '.volumes[0].state' "$T/scan.json")" = dirty
}

refused unclean unclean_journal --reset-journal
overridden unclean --reset-journal
refused fast_startup fast_startup --discard-fast-startup
overridden fast_startup --discard-fast-startup
refused hibernated hibernated --discard-hibernation
overridden hibernated --discard-hibernation
check "hibernated: hiberfil.sys no longer starts with hibr" sh -c \
	"! ntfscat -f '$T/hibernated.img' /hiberfil.sys | head -c 4 | grep -q hibr"

# A volume already marked dirty is fixed, and stays marked.
state_volume dirty "$T/dirty.img"
wr scan --json "$T/dirty.img" >"$T/scan.json"
check "dirty: scan reports state dirty" test "$(jq -r '.volumes[0].state' "$T/scan.json")" = dirty
wr fix --yes --no-backup "$T/dirty.img" >/dev/null
check "dirty: fix exits 1" test "$rc" -eq 1
check "dirty: still marked dirty" is_dirty "$T/dirty.img"

# In use: an image mounted through ntfs-3g (FUSE), and a disk image whose Windows
# partition is mounted through a loop device.
mounted_refused() {  # mounted_refused NAME TARGET IMAGE
	before=$(wr_sha256 "$3")
	wr fix --yes "$2" >"$T/out"
	check "$1: fix of a mounted volume exits 32" test "$rc" -eq 32
	check "$1: the message says it is mounted" grep -q "mounted at" "$T/out"
	umount "$T/mnt"
	check "$1: the image is byte-identical" test "$(wr_sha256 "$3")" = "$before"
}
mkdir "$T/mnt"
wr_make_volume "$T/fuse.img" 96 Windows "$WR_SPECS/windows.spec"
ntfs-3g -o ro "$T/fuse.img" "$T/mnt"
mounted_refused "ntfs-3g mount" "$T/fuse.img" "$T/fuse.img"
wr_make_windows_disk "$T/disk.img" gpt
loop=$(losetup -f --show -r -o "$(part_offset "$T/disk.img" 3)" \
	--sizelimit "$(part_size "$T/disk.img" 3)" "$T/disk.img")
detach_loop() {  # ntfs-3g lets go of the device a moment after umount returns
	umount "$T/mnt" 2>/dev/null || true
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		losetup -d "$loop" 2>/dev/null && break
		sleep 0.2
	done
	rm -rf "$T"
}
trap detach_loop EXIT INT TERM
ntfs-3g -o ro "$loop" "$T/mnt"
mounted_refused "loop-mounted partition" "$T/disk.img" "$T/disk.img"
finish

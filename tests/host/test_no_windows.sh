# No Windows found is its own result (no_windows, exit 2), never "nothing to fix":
# a blank disk, a disk with only a FAT partition, an NTFS volume without Windows.
# With a Windows volume beside them, the usual result.
. "$WR_SOURCE/tests/host/lib.sh"

truncate -s 64M "$T/blank.img"
truncate -s 64M "$T/fat.img"
printf 'label: dos\nstart=2048, type=c\n' | sfdisk -q "$T/fat.img"
mkfs.vfat -F 32 -s 1 --offset 2048 "$T/fat.img" $((62 * 1024)) >/dev/null
wr_make_volume "$T/data.img" 64 Data "$WR_SPECS/data.spec"
wr_make_volume "$T/win.img" 96 Windows "$WR_SPECS/windows.spec"
wr_make_volume "$T/clean.img" 96 Windows "$WR_SPECS/clean.spec"

for img in blank fat data; do
	before=$(wr_sha256 "$T/$img.img")
	for mode in scan "fix --dry-run" "fix --yes --no-backup"; do
		# shellcheck disable=SC2086
		wr $mode --json "$T/$img.img" >"$T/report.json"
		check "$img: $mode exits 2" test "$rc" -eq 2
		check "$img: $mode reports no_windows (result, exit_code)" test \
			"$(jq -r '"\(.result) \(.exit_code)"' "$T/report.json")" = "no_windows 2"
	done
	check "$img: nothing was written" test "$(wr_sha256 "$T/$img.img")" = "$before"
	wr scan "$T/$img.img" >"$T/table.txt"
	check "$img: the table says Windows was not found" \
		grep -q "Result: Windows not found on this machine" "$T/table.txt"
done

wr scan "$T/blank.img" "$T/fat.img" "$T/data.img" "$T/clean.img"
check "clean Windows beside them: nothing to fix (0)" test "$rc" -eq 0
wr scan --json "$T/blank.img" "$T/fat.img" "$T/data.img" "$T/win.img" >"$T/report.json"
check "Windows with the channel file beside them: fix needed (4)" test "$rc" -eq 4
check "... and the JSON says fix_needed" test "$(jq -r .result "$T/report.json")" = fix_needed
wr fix --yes --no-backup "$T/blank.img" "$T/data.img" "$T/win.img" >"$T/table.txt"
check "fix with Windows beside them: fixed (1)" test "$rc" -eq 1
finish

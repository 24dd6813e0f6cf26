# scan and fix --dry-run on every fixture: the image stays byte-identical and the
# report names exactly the expected files with their classes.
. "$WR_SOURCE/tests/host/lib.sh"

expect_of() {  # the expected "path size time content" lines of a spec, sorted
	LC_ALL=C sort "$(wr_expect_file "$1")"
}

# read_only_run IMAGE EXPECT_FILE EXPECT_RC: scan, then fix --dry-run
read_only_run() {
	img=$1 expected=$2 want_rc=$3 name=$(basename "$1")
	before=$(wr_sha256 "$img")
	for mode in "scan" "fix --dry-run"; do
		# shellcheck disable=SC2086
		wr $mode --json "$img" >"$T/report.json"
		check "$name: $mode exits $want_rc" test "$rc" -eq "$want_rc"
		check "$name: $mode leaves the image byte-identical" test "$(wr_sha256 "$img")" = "$before"
		report_files "$T/report.json" >"$T/found"
		check "$name: $mode reports exactly the expected files and classes" \
			same_text "$expected" "$T/found"
		if [ -s "$expected" ]; then
			check "$name: $mode plans would_delete for each" \
				test "$(report_actions "$T/report.json")" = would_delete
		fi
	done
}

for spec in windows clean nocs; do
	wr_make_volume "$T/$spec.img" 96 Windows "$WR_SPECS/$spec.spec"
	[ "$spec" = nocs ] && : >"$T/nocs.expect" || expect_of "$spec" >"$T/$spec.expect"
	want=4; [ -s "$T/$spec.expect" ] || want=0
	read_only_run "$T/$spec.img" "$T/$spec.expect" "$want"
done

expect_of windows >"$T/windows.expect"
for table in gpt mbr; do
	wr_make_windows_disk "$T/$table.img" "$table"
	read_only_run "$T/$table.img" "$T/windows.expect" 4
	wr scan --json "$T/$table.img" >"$T/report.json"
	check "$table: every partition is listed" test "$(jq '.volumes | length' "$T/report.json")" \
		-eq "$(sfdisk -J "$T/$table.img" | jq '.partitiontable.partitions | length')"
	check "$table: only the Windows volume holds Windows" test \
		"$(jq -c '[.volumes[] | select(.windows) | .label]' "$T/report.json")" = '["Windows"]'
	check "$table: the ESP is vfat, the recovery volume NTFS without Windows" test \
		"$(jq -r '[.volumes[] | .filesystem // "-"] | join(",")' "$T/report.json")" = \
		"$([ $table = gpt ] && echo vfat,-,ntfs,ntfs || echo vfat,ntfs,ntfs)"
	off=$(part_offset "$T/$table.img" "$([ $table = gpt ] && echo 3 || echo 2)")
	check "$table: the Windows volume's offset is the partition table's" test \
		"$(jq '.volumes[] | select(.windows) | .offset' "$T/report.json")" = "$off"
done

# A volume without Windows but with a CrowdStrike-like folder is not a Windows volume.
wr_make_volume "$T/data.img" 64 Data "$WR_SPECS/data.spec"
wr scan --json "$T/data.img" >"$T/report.json"
check "data volume: not Windows, Windows not found (2)" test "$rc" -eq 2
check "data volume: status not_windows" test \
	"$(jq -r '.volumes[0].status' "$T/report.json")" = not_windows
finish

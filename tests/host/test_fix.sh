# fix removes exactly the matching files: every other file keeps its bytes, the
# volume checks clean, the backups equal the deleted files, the report says so.
. "$WR_SOURCE/tests/host/lib.sh"

expected_paths() { cut -f1 "$(wr_expect_file windows)" | LC_ALL=C sort; }

# fix_and_check NAME DISK PARTNO (PARTNO 0: DISK is a bare volume)
fix_and_check() {
	name=$1 disk=$2 part=$3
	vol=$disk
	if [ "$part" -ne 0 ]; then
		vol=$T/$name.vol
		extract_partition "$disk" "$part" "$vol"
		outside_before=$(without_range "$disk" "$(part_offset "$disk" "$part")" \
			"$(part_size "$disk" "$part")")
	fi
	manifest "$vol" >"$T/before"
	check "$name: the 8.3 alias exists before" sh -c \
		"ntfsls -x -p /Windows/System32/drivers/CrowdStrike '$vol' | grep -qx 'C-0000~1.SYS'"

	wr fix --yes --report "$T/$name.json" --backup-dir "$T/$name.bk" "$disk" >"$T/out"
	check "$name: fix exits 1 (fixed)" test "$rc" -eq 1
	check "$name: the report's result is fixed" test "$(jq -r .result "$T/$name.json")" = fixed
	check "$name: the report says deleted for each file" \
		test "$(report_actions "$T/$name.json")" = deleted

	[ "$part" -eq 0 ] || extract_partition "$disk" "$part" "$vol"
	manifest "$vol" >"$T/after"
	LC_ALL=C comm -23 "$T/before" "$T/after" | cut -f1 >"$T/removed"
	LC_ALL=C comm -13 "$T/before" "$T/after" >"$T/added"
	expected_paths >"$T/expected"
	check "$name: exactly the matching files are gone" same_text "$T/expected" "$T/removed"
	check "$name: every other file keeps its bytes" test ! -s "$T/added"
	check "$name: the 8.3 alias went with its file" sh -c \
		"! ntfsls -x -p /Windows/System32/drivers/CrowdStrike '$vol' | grep -q '~'"
	check "$name: ntfsfix -n finds the volume clean" sh -c "ntfsfix -n '$vol' >/dev/null"
	check "$name: the dirty flag is not left set" test "$(volume_flags "$vol")" = 0x0000
	if [ "$part" -ne 0 ]; then
		check "$name: nothing outside the Windows partition changed" test \
			"$(without_range "$disk" "$(part_offset "$disk" "$part")" \
			"$(part_size "$disk" "$part")")" = "$outside_before"
	fi
	jq -r '.volumes[].files[] | [.path, .backup] | join("\t")' "$T/$name.json" >"$T/backups"
	while IFS="$(printf '\t')" read -r path backup; do
		want=$(grep -F "$path	" "$T/before" | cut -f4)
		check "$name: backup of ${path##*\\} equals the deleted file" \
			test "$(wr_sha256 "$backup")" = "$want"
	done <"$T/backups"
	wr scan "$disk" >/dev/null
	check "$name: a second scan finds nothing to fix" test "$rc" -eq 0
}

wr_make_volume "$T/bare.img" 96 Windows "$WR_SPECS/windows.spec"
fix_and_check bare "$T/bare.img" 0
wr_make_windows_disk "$T/gpt.img" gpt
fix_and_check gpt "$T/gpt.img" 3
wr_make_windows_disk "$T/mbr.img" mbr
fix_and_check mbr "$T/mbr.img" 2

# Without --backup-dir the backups go beside the report, in a folder per volume serial.
wr_make_volume "$T/default.img" 96 Windows "$WR_SPECS/windows.spec"
mkdir "$T/reports"
wr fix --yes --report "$T/reports/r.json" "$T/default.img" >/dev/null
serial=$(jq -r '.volumes[0].serial' "$T/reports/r.json")
check "default backup folder is beside the report, named after the volume serial" \
	test "$(ls "$T/reports/winrescue-backup/$serial" | wc -l)" -eq 5
# --no-backup deletes without copies.
wr_make_volume "$T/nobk.img" 96 Windows "$WR_SPECS/windows.spec"
(cd "$T" && "$WINRESCUE" fix --yes --no-backup --json nobk.img >nobk.json) || true
check "--no-backup: deleted, no backup recorded" test \
	"$(jq -r '[.volumes[].files[] | .backup] | unique | join(",")' "$T/nobk.json")" = ""
check "--no-backup: no backup folder made" test ! -e "$T/winrescue-backup"
finish

# The boot configuration store (issue 13): \EFI\Microsoft\Boot\BCD on a GPT disk's
# EFI partition and \Boot\BCD on a BIOS disk's NTFS system partition, built here
# (wr-mkhive + hivexsh) with safeboot minimal on the default entry. scan reports
# it, a dry run writes nothing, fix removes only that element after a verified
# backup, a second fix has nothing to do, --keep-safeboot leaves it; safe-mode and
# safe-mode --undo round trip. hivexget/hivexml are the independent readers.
. "$WR_SOURCE/tests/host/lib.sh"
. "$WR_SOURCE/tests/tools/hives.sh"
command -v hivexsh >/dev/null || { echo "SKIP: hivexsh (libhivex-bin) is not installed"; exit 77; }

SB=25000080
# store_out DISK KIND OUT: the store's bytes as they are on the disk now.
store_out() {
	case $2 in
	gpt) mcopy -n -i "$1@@$(part_offset "$1" 1)" ::/EFI/Microsoft/Boot/BCD "$3" ;;
	mbr) extract_partition "$1" 1 "$T/sys.vol" && ntfscat "$T/sys.vol" /Boot/BCD >"$3" ;;
	esac
}
# tree HIVE: every key and value, without where they lie in the file.
tree() { hivexml "$1" | sed 's/<byte_runs>\(<byte_run [^>]*\/>\)*<\/byte_runs>//g'; }

# make_disk KIND OUT: a Windows disk whose store has safeboot minimal.
make_disk() {
	wr_make_bcd "$T/BCD.$1" minimal
	if [ "$1" = gpt ]; then
		wr_make_windows_disk "$2" gpt "$WR_SPECS/clean.spec"
		mcopy -i "$2@@$(part_offset "$2" 1)" "$T/BCD.$1" ::/EFI/Microsoft/Boot/BCD
	else
		printf 'dir \\Boot\nfile \\Boot\\BCD size=16\n' >"$T/sysres.spec"
		wr_make_volume "$T/sysres.img" 40 "System Reserved" "$T/sysres.spec"
		ntfscp -f "$T/sysres.img" "$T/BCD.$1" /Boot/BCD >/dev/null
		wr_make_volume "$T/win.img" 96 Windows "$WR_SPECS/clean.spec"
		wr_make_disk "$2" mbr ntfs:"$T/sysres.img" ntfs:"$T/win.img"
	fi
}

for kind in gpt mbr; do
	disk=$T/$kind.img
	make_disk "$kind" "$disk"
	store_out "$disk" "$kind" "$T/before.$kind"
	check "$kind: hivexget sees safeboot on the default entry" test \
		"$(wr_bcd_value "$T/before.$kind" "$WR_LOADER_ID" $SB)" = '"Element"=hex(3):00,00,00,00,00,00,00,00'
	sum=$(wr_sha256 "$disk")

	wr scan --json "$disk" >"$T/scan.json"
	check "$kind: scan exits 4 (fix needed: Windows would start in Safe Mode)" test "$rc" -eq 4
	check "$kind: one boot store reported" test "$(jq '.boot_stores | length' "$T/scan.json")" = 1
	check "$kind: its path" test "$(jq -r '.boot_stores[0].path' "$T/scan.json")" = \
		"$([ $kind = gpt ] && echo '\EFI\Microsoft\Boot\BCD' || echo '\Boot\BCD')"
	check "$kind: the default entry, its description and safeboot minimal" test \
		"$(jq -r '.boot_stores[0].entries[] | select(.default) | "\(.id) \(.description) \(.safeboot)"' "$T/scan.json")" = \
		"$WR_LOADER_ID Windows 11 minimal"
	check "$kind: the other entry has none" test \
		"$(jq -r '.boot_stores[0].entries[] | select(.default|not) | "\(.description) \(.safeboot) \(.safebootalternateshell)"' "$T/scan.json")" = \
		"Windows 10 null null"
	check "$kind: action would_clear_safeboot" test "$(jq -r '.boot_stores[0].action' "$T/scan.json")" = would_clear_safeboot
	wr fix --dry-run --json "$disk" >/dev/null
	check "$kind: scan and dry run leave the disk byte-identical" test "$(wr_sha256 "$disk")" = "$sum"

	cp --sparse=always "$disk" "$T/keep.img"
	wr fix --yes --keep-safeboot --report "$T/keep.json" --backup-dir "$T/keep.bk" "$T/keep.img" >/dev/null
	check "$kind: --keep-safeboot: exit 0, action kept_safeboot" test \
		"$rc $(jq -r '.boot_stores[0].action' "$T/keep.json")" = "0 kept_safeboot"
	check "$kind: --keep-safeboot leaves the disk byte-identical" test "$(wr_sha256 "$T/keep.img")" = "$sum"

	wr fix --yes --report "$T/fix.json" --backup-dir "$T/bk.$kind" "$disk" >"$T/out"
	check "$kind: fix exits 1 (fixed)" test "$rc" -eq 1
	check "$kind: action cleared_safeboot" test "$(jq -r '.boot_stores[0].action' "$T/fix.json")" = cleared_safeboot
	backup=$(jq -r '.boot_stores[0].backup' "$T/fix.json")
	check "$kind: the backup is the store as it was" cmp -s "$backup" "$T/before.$kind"
	store_out "$disk" "$kind" "$T/after.$kind"
	check "$kind: hivexget: safeboot is gone" test -z "$(wr_bcd_value "$T/after.$kind" "$WR_LOADER_ID" $SB)"
	tree "$T/before.$kind" >"$T/tree.before"
	sed "s|<node name=\"$SB\"><value type=\"binary\" encoding=\"base64\" key=\"Element\" value=\"AAAAAAAAAAA=\"></value></node>||" \
		"$T/tree.before" >"$T/tree.expected"
	tree "$T/after.$kind" >"$T/tree.after"
	check "$kind: every other key and value is identical" same_text "$T/tree.expected" "$T/tree.after"
	check "$kind: (the old tree differed by exactly that element)" sh -c \
		"! cmp -s '$T/tree.before' '$T/tree.expected' && grep -q 'name=\"$SB\"' '$T/tree.before'"
	sum=$(wr_sha256 "$disk")
	wr fix --yes --json --backup-dir "$T/bk2.$kind" "$disk" >"$T/fix2.json"
	check "$kind: a second fix has nothing to do (exit 0, action none)" test \
		"$rc $(jq -r '.boot_stores[0].action' "$T/fix2.json")" = "0 none"
	check "$kind: and writes nothing" test "$(wr_sha256 "$disk")" = "$sum"

	wr safe-mode --json --backup-dir "$T/smbk.$kind" "$disk" >"$T/sm.json"
	store_out "$disk" "$kind" "$T/sm.$kind"
	check "$kind: safe-mode exits 1, action safe_mode_set" test \
		"$rc $(jq -r '.boot_stores[0].action' "$T/sm.json")" = "1 safe_mode_set"
	check "$kind: hivexget: safeboot minimal on the default entry" test \
		"$(wr_bcd_value "$T/sm.$kind" "$WR_LOADER_ID" $SB)" = '"Element"=hex(3):00,00,00,00,00,00,00,00'
	check "$kind: and not on the other" test -z "$(wr_bcd_value "$T/sm.$kind" "$WR_LOADER2_ID" $SB)"
	wr safe-mode --undo --json --backup-dir "$T/smbk.$kind" "$disk" >"$T/undo.json"
	store_out "$disk" "$kind" "$T/undo.$kind"
	check "$kind: safe-mode --undo exits 1, action restored" test \
		"$rc $(jq -r '.boot_stores[0].action' "$T/undo.json")" = "1 restored"
	tree "$T/undo.$kind" >"$T/tree.undo"
	check "$kind: after the round trip the store has the same keys and values" same_text "$T/tree.after" "$T/tree.undo"
done
finish

# A member disk of an Intel RST (IMSM) RAID set given as a target is reported and
# never written: scan and fix both say "member of an Intel RST (IMSM) RAID set that
# is not assembled: not written" (exit 8), and the image stays byte-identical.
. "$WR_SOURCE/tests/host/lib.sh"

wr_make_windows_disk "$T/member.img" gpt
# The IMSM anchor in the second-to-last sector, as the RST option ROM and mdadm write it.
size=$(stat -c %s "$T/member.img")
printf 'Intel Raid ISM Cfg Sig. 1.1.00' |
	dd of="$T/member.img" bs=1 seek=$((size - 1024)) conv=notrunc status=none
before=$(wr_sha256 "$T/member.img")
for mode in scan "fix --dry-run" "fix --yes --no-backup"; do
	# shellcheck disable=SC2086
	wr $mode --json "$T/member.img" >"$T/report.json"
	check "$mode: exit 8 (error: the set cannot be read)" test "$rc" -eq 8
	check "$mode: one entry, the member, with its type" test \
		"$(jq -r '[.volumes[] | "\(.filesystem) \(.status)"] | join(",")' "$T/report.json")" = \
		"isw_raid_member error"
	check "$mode: says it was not written" sh -c "jq -r '.volumes[0].message' '$T/report.json' |
		grep -q 'member of an Intel RST (IMSM) RAID set that is not assembled: not written'"
done
check "the member image is byte-identical" test "$(wr_sha256 "$T/member.img")" = "$before"
finish

# winrescue summary over reports made by real runs: a scan, a BitLocker fix (the
# real Windows-made volumes of ../shared/testdata/bitlk) and a disk without Windows,
# as three machines' sticks would hold them, plus a corrupt and a foreign file.
. "$WR_SOURCE/tests/host/lib.sh"
. "$WR_SOURCE/tests/tools/bitlk.sh"
trap 'wr_bitlk_cleanup; rm -rf "$T"' EXIT INT TERM

# as_machine REPORT UUID SERIAL TIME: the report as machine UUID/SERIAL would have
# written it at TIME (every run here happens on this one host).
as_machine() {
	jq --arg u "$2" --arg s "$3" --arg t "$4" \
		'.machine.uuid = $u | .machine.serial = $s | .time = $t' "$1" >"$1.tmp"
	mv "$1.tmp" "$1"
}

s1=$T/sticks/stick1/winrescue/reports s2=$T/sticks/stick2/winrescue/reports
mkdir -p "$s1" "$s2"
wr_make_windows_disk "$T/a.img" gpt
wr scan --report "$s1/A-20240719T0900Z.json" "$T/a.img" >/dev/null
check "scan of machine A: fix needed (exit 4)" test "$rc" -eq 4
as_machine "$s1/A-20240719T0900Z.json" 11111111-AAAA-4AAA-8AAA-111111111111 SER-A 2024-07-19T09:00:00Z

keyid=
if wr_bitlk_available; then
	wr_make_bitlocker_volume "$T/b.img" "$WR_SPECS/windows.spec"
	keyid=$(echo "$WR_BITLK_KEYID" | tr a-f A-F)
	printf 'KeyID,RecoveryKey\r\n{%s},%s\r\n' "$WR_BITLK_KEYID" "$WR_BITLK_RP" >"$T/keys.csv"
	wr fix --yes --no-backup --keys "$T/keys.csv" --report "$s2/B-20240719T1000Z.json" \
		"$T/b.img" >/dev/null 2>&1
	check "BitLocker fix of machine B: the key was accepted" \
		test "$(jq -r '.volumes[0].key_check' "$s2/B-20240719T1000Z.json")" = accepted
else
	echo "skipped: ../shared/testdata/bitlk not found (the BitLocker fix is a plain one)"
	wr_make_windows_disk "$T/b.img" gpt
	wr fix --yes --no-backup --report "$s2/B-20240719T1000Z.json" "$T/b.img" >/dev/null
fi
as_machine "$s2/B-20240719T1000Z.json" 22222222-BBBB-4BBB-8BBB-222222222222 SER-B 2024-07-19T10:00:00Z

wr_make_volume "$T/c.img" 16 DATA "$WR_SPECS/data.spec"
wr scan --report "$s2/C-20240719T1100Z.json" "$T/c.img" >/dev/null
as_machine "$s2/C-20240719T1100Z.json" 33333333-CCCC-4CCC-8CCC-333333333333 SER-C 2024-07-19T11:00:00Z
nowin=$(jq -r .result "$s2/C-20240719T1100Z.json")

head -c 300 "$s1/A-20240719T0900Z.json" >"$s1/cut-short.json"     # a stick pulled mid-write
echo '{"name": "not ours"}' >"$s2/other-tool.json"
echo 'not a report' >"$s2/notes.txt"                                # not *.json: ignored

wr summary --csv "$T/fleet.csv" "$T/sticks" >"$T/table"
check "summary exits 0 with skipped files" test "$rc" -eq 0
check "CSV: a header and 3 rows" test "$(wc -l <"$T/fleet.csv")" -eq 4
check "CSV: the header names the columns" sh -c \
	"head -n1 '$T/fleet.csv' | grep -q '^time,serial,uuid,computer_name,asset_tag,vendor,product,command,result,files_found,files_deleted,key_ids_used,message,file'"
check "CSV: machine A's scan row (fix needed, 5 found, 0 deleted)" grep -q \
	'^2024-07-19T09:00:00Z,SER-A,11111111-AAAA-4AAA-8AAA-111111111111,.*,scan,fix_needed,5,0,' "$T/fleet.csv"
check "CSV: machine C's row has its result ($nowin)" grep -q ",SER-C,.*,scan,$nowin," "$T/fleet.csv"
check "table: 3 machines, 2 files skipped" grep -q '^Machines: 3 (3 reports, 2 files skipped)' "$T/table"
check "table: the cut-short file is listed as skipped" grep -q "cut-short.json: not JSON" "$T/table"
check "table: the other tool's file is listed as skipped" grep -q "other-tool.json: not a winrescue report" "$T/table"
check "table: notes.txt is not read" sh -c "! grep -q notes.txt '$T/table'"
if [ -n "$keyid" ]; then
	check "keys to rotate: the Key ID of the BitLocker fix" sh -c \
		"sed -n '/^Recovery keys used: rotate these (1)/,\$p' '$T/table' | grep -q '^  $keyid  .*SER-B'"
	check "CSV: the fix's row names the Key ID used" grep -q ",SER-B,.*,$keyid," "$T/fleet.csv"
	check "the recovery key appears nowhere in the summary" sh -c \
		"! grep -q '$WR_BITLK_RP' '$T/table' '$T/fleet.csv'"
fi

# The same machine seen twice: a scan, then a fix on its second stick.
wr fix --yes --no-backup --report "$s2/A-20240719T1200Z.json" "$T/a.img" >/dev/null
as_machine "$s2/A-20240719T1200Z.json" 11111111-AAAA-4AAA-8AAA-111111111111 SER-A 2024-07-19T12:00:00Z
wr summary --json "$T/sticks" >"$T/fleet.json"
check "JSON: still 3 machines from 4 reports" \
	jq -e '(.machines | length) == 3 and .reports == 4 and (.skipped | length) == 2' "$T/fleet.json"
check "JSON: machine A's latest state is fixed, its history scan then fix" jq -e \
	'.machines[] | select(.serial == "SER-A") | .result == "fixed" and
	 ([.history[].result] == ["fix_needed", "fixed"]) and .time == "2024-07-19T12:00:00Z"' "$T/fleet.json"
check "JSON: the result counts are per machine, latest state" jq -e '.results.fixed >= 1' "$T/fleet.json"
wr summary "$T/sticks" >"$T/table2"
check "table: machine A's line shows its history" sh -c \
	"grep SER-A '$T/table2' | grep -q 'scan: fix needed, fix: fixed'"

wr summary "$T/sticks" "$T/no-such-folder" >"$T/table3"
check "a PATH that does not exist: exit 8, listed, the rest still summarised" sh -c \
	"test $rc -eq 8 && grep -q 'no-such-folder: No such file' '$T/table3' && grep -q '^Machines: 3' '$T/table3'"
wr summary
check "no PATH: usage error (16)" test "$rc" -eq 16

# The unattended stick's result screen for one report, with its QR code.
wr summary --screen --note "Report and log sent to http://server/reports/" "$s1/A-20240719T0900Z.json" >"$T/screen"
check "screen: the result in its bar, what to do next" sh -c \
	"grep -q 'NOT FIXED' '$T/screen' && grep -q 'A fix is needed but was not made' '$T/screen'"
check "screen: the one-line summary for the ticket" grep -q \
	'^winrescue;fix_needed;[^;]*;SER-A;11111111-AAAA-4AAA-8AAA-111111111111;5;0;2024-07-19T09:00:00Z$' "$T/screen"
check "screen: a QR code (half blocks) and the note" sh -c \
	"test \$(grep -c '█' '$T/screen') -ge 15 && grep -q 'sent to' '$T/screen'"
check "screen: fits an 80x25 console" sh -c \
	"test \$(wc -l <'$T/screen') -le 24 && test \$(sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' -e '/^winrescue;/d' '$T/screen' | LC_ALL=C.UTF-8 wc -L) -le 80"
wr summary --screen --no-qr "$s1/cut-short.json" >/dev/null 2>"$T/screen.err"
check "screen of a cut report: error 8, said once" sh -c "test $rc -eq 8 && grep -q 'cut short' '$T/screen.err'"
finish

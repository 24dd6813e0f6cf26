# The guided mode on a terminal (a pty driven by expect): one decision that defaults
# to the safe fix. A crashed machine's unclean journal is part of it ("Windows will
# check the disk once"): Enter fixes; "n" changes nothing. A hibernated disk is a
# question of its own that defaults to No. The screen ends with one plain result
# line and shows no exit code, command line or mapping count.
. "$WR_SOURCE/tests/host/lib.sh"
cp -r "$WR_SPECS" "$T/specs"
printf 'include windows.spec\nstate unclean\n' >"$T/specs/crashed.spec"
printf 'include windows.spec\nstate hibernated\n' >"$T/specs/hibernated.spec"

# guided IMAGE ANSWER_HIBERNATION ANSWER_FIX: runs the dialog, prints the transcript
guided() {
	cat >"$T/dialog.exp" <<EOF2
set timeout 60
spawn $WINRESCUE guided --reports-dir $T/reports $1
expect "looking for Windows"
expect {
	"Discard the hibernated session and fix this disk? \\\\\[y/N\\\\\] " { send "$2\r"; exp_continue }
	"Fix this PC now? \\\\\[Y/n\\\\\] " { send "$3\r"; exp_continue }
	timeout { exit 2 }
	eof
}
catch wait result
exit [lindex \$result 3]
EOF2
	run_dialog "$T/dialog.exp"
}
plain_words() {
	! tail -n +2 "$T/shown" | grep -qiE 'exit code|mapping|winrescue (fix|scan)|--[a-z]'
}

wr_make_volume "$T/a.img" 96 Windows "$T/specs/crashed.spec"
before=$(wr_sha256 "$T/a.img")
guided "$T/a.img" "" n
check "declined: exit 4 (fix needed), nothing written" sh -c \
	"test $rc -eq 4 && test '$(wr_sha256 "$T/a.img")' = '$before'"
check "the one decision names the journal reset and the disk check" sh -c \
	"grep -q 'reset the disk journal Windows left open' '$T/shown' && grep -q 'Windows will check the disk once' '$T/shown'"
check "declined: the last line says NOT FIXED in plain words" grep -q "NOT FIXED - you chose not to fix" "$T/shown"

guided "$T/a.img" "" ""
check "Enter at the one question fixes: exit 1" test "$rc" -eq 1
check "the final line says FIXED and what to do" grep -q "FIXED - remove the stick and restart the PC" "$T/shown"
check "no exit code, command line or mapping count on the screen" plain_words
check "no BitLocker warning on a machine without BitLocker" sh -c "! grep -q BitLocker '$T/shown'"
check "no 'Result:' line with command-line advice" sh -c "! grep -q '^Result:' '$T/shown'"
check "the volume is marked for Windows' disk check" is_dirty "$T/a.img"
wr scan "$T/a.img" >/dev/null
check "a scan afterwards finds nothing to fix" test "$rc" -eq 0
check "report and log are in the reports folder" sh -c "ls '$T'/reports/*.json '$T'/reports/*.log >/dev/null"
check "the 5 backups are in the reports folder" test "$(find "$T/reports" -iname 'C-00000291*' | wc -l)" -eq 5

wr_make_volume "$T/h.img" 96 Windows "$T/specs/hibernated.spec"
before=$(wr_sha256 "$T/h.img")
guided "$T/h.img" "" ""
check "hibernated: Enter keeps the session (refused, exit 32), nothing written" sh -c \
	"test $rc -eq 32 && test '$(wr_sha256 "$T/h.img")' = '$before'"
check "hibernated: the last line says NOT FIXED" grep -q "NOT FIXED - winrescue did not write" "$T/shown"
check "hibernated: the refusal says what to do in plain words" \
	grep -q "you chose to keep the hibernated Windows session" "$T/shown"
check "hibernated: no command-line option on the guided screen" sh -c "! grep -q -- '--discard' '$T/shown'"

wr_make_volume "$T/n.img" 96 Data "$WR_SPECS/data.spec"
guided "$T/n.img" "" ""
check "no Windows: the last line says WINDOWS NOT FOUND" grep -q "WINDOWS NOT FOUND - " "$T/shown"
finish

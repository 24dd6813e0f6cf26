# The guided mode on a terminal (a pty driven by expect): a crashed machine's
# unclean journal is explained and reset only on "y"; "n" at the delete question
# changes nothing; "y" fixes.
. "$WR_SOURCE/tests/host/lib.sh"
cp -r "$WR_SPECS" "$T/specs"
printf 'include windows.spec\nstate unclean\n' >"$T/specs/crashed.spec"

# guided IMAGE ANSWER_JOURNAL ANSWER_DELETE: runs the dialog, prints the transcript
guided() {
	cat >"$T/dialog.exp" <<EOF2
set timeout 60
spawn $WINRESCUE guided --reports-dir $T/reports $1
expect "looking for Windows volumes"
expect {
	"Reset the journal" { send "$2\r"; exp_continue }
	"Delete the 5 files" { send "$3\r"; exp_continue }
	timeout { exit 2 }
	eof
}
catch wait result
exit [lindex \$result 3]
EOF2
	rc=0
	expect "$T/dialog.exp" >"$T/transcript" 2>&1 || rc=$?
}

wr_make_volume "$T/a.img" 96 Windows "$T/specs/crashed.spec"
before=$(wr_sha256 "$T/a.img")
guided "$T/a.img" y n
check "declined: exit 4 (fix needed), nothing written" sh -c \
	"test $rc -eq 4 && test '$(wr_sha256 "$T/a.img")' = '$before'"
guided "$T/a.img" n y
check "the unclean journal is explained in plain words" grep -q "stopped without closing its disk journal" "$T/transcript"
check "journal reset refused: exit 32, nothing written" sh -c \
	"test $rc -eq 32 && test '$(wr_sha256 "$T/a.img")' = '$before'"

guided "$T/a.img" y y
check "journal reset and delete accepted: exit 1 (fixed)" test "$rc" -eq 1
check "the technician is told what to do next" grep -q "Remove the USB stick and restart" "$T/transcript"
check "the volume is marked for Windows' disk check" is_dirty "$T/a.img"
wr scan "$T/a.img" >/dev/null
check "a scan afterwards finds nothing to fix" test "$rc" -eq 0
check "report and log are in the reports folder" sh -c "ls '$T'/reports/*.json '$T'/reports/*.log >/dev/null"
check "the 5 backups are in the reports folder" test "$(find "$T/reports" -iname 'C-00000291*' | wc -l)" -eq 5
finish

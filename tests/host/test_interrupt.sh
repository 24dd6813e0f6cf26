# SIGINT and SIGTERM at moments spread over a CLI fix (700 channel files, with
# backups in a reports folder), 20 times. Each time: the process exits within
# the bound; no temporary file is left in the reports folder; the report is
# absent or complete JSON; no channel file is gone without its backup; every
# other file is unchanged; the volume still walks and ntfsfix -n accepts it or
# it is marked dirty. Writes a summary line to <build>/reliability-interruptions.txt.
# Every check holds under any schedule: a signal may land before the fix, during it,
# or after it ended (on a loaded machine the fix may even be over before the first
# signal); how many did which is counted in the summary line, never asserted. The
# hang bound follows the measured length of an uninterrupted fix.
. "$WR_SOURCE/tests/host/lib.sh"
suppress_ntfs_mount_leaks
RUNS=20
CS='\Windows\System32\drivers\CrowdStrike'
interrupted=0 finished=0 during=0 crashes=0 hangs=0 changes=0 lost=0

cat >"$T/spec" <<EOF
file \\Windows\\System32\\ntoskrnl.exe size=16384 content=text:MZ
file $CS\\CSAgent.sys size=8192 content=text:MZ
many \\Users\\admin\\Documents\\doc%03d.txt 100 size=3000 content=random
many $CS\\C-00000291-00000002-%08d.sys 700 size=300 content=random modified=2024-07-19T04:09:00Z
EOF
wr_make_volume "$T/template.img" 32 Interrupt "$T/spec"
manifest "$T/template.img" >"$T/before"
grep -F "$CS\\C-00000291-" "$T/before" >"$T/matches"
grep -vF "$CS\\C-00000291-" "$T/before" >"$T/others"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# spread_below N RUN: a moment in 0..N-1 ms chosen by the run number (the golden
# ratio's multiples spread the runs evenly): the same on every run of the suite.
spread_below() { echo $(($2 * 618034 % 1000000 * $1 / 1000000)); }

# How long an uninterrupted fix takes spreads the signals over all of it.
cp "$T/template.img" "$T/run.img"
start=$(now_ms)
wr fix --yes --reports-dir "$T/reports" "$T/run.img" >/dev/null 2>&1
span=$(($(now_ms) - start + 50))
check "an uninterrupted fix works (exit $rc, ${span} ms)" [ "$rc" -eq 1 ]
# A hang is a run that takes ten times as long as an uninterrupted one, and more
# than two minutes: a slow machine is not a hang.
BOUND=$((span * 10 / 1000 + 120))
rm -rf "$T/reports"

# check_no_loss: each channel file is still on the volume with its bytes, or a
# backup in the reports folder has them (same name, same SHA-256). Sets $gone.
check_no_loss() {
	manifest "$T/run.img" >"$T/after"
	find "$T/reports" -type f ! -name '*.json' ! -name '*.log' -exec sha256sum {} + \
		>"$T/backups" 2>/dev/null || true
	gone=$(grep -cvxFf "$T/after" "$T/matches" || true)
	awk -F '\t' '
		FILENAME == ARGV[1] { have[$0] = 1; next }
		FILENAME == ARGV[2] { n = substr($0, 67); sub(/.*\//, "", n); saved[n "\t" substr($0, 1, 64)] = 1; next }
		!($0 in have) { n = $1; sub(/.*\\/, "", n); if (!((n "\t" $4) in saved)) { print "lost: " $1; bad = 1 } }
		END { exit bad }' "$T/after" "$T/backups" "$T/matches"
}

others_intact() {
	grep -vF "$CS\\C-00000291-" "$T/after" | cmp -s "$T/others" -
}

volume_ok() {
	ntfsfix -n "$T/run.img" >/dev/null 2>&1 || is_dirty "$T/run.img"
}

report_absent_or_complete() {
	for r in "$T"/reports/*.json; do
		[ -e "$r" ] || continue
		jq -e '.result and (.volumes | length == 1)' "$r" >/dev/null || return 1
	done
}

no_temp_files() {
	[ -z "$(find "$T/reports" -name '*.tmp*' 2>/dev/null)" ]
}

i=0
while [ $i -lt $RUNS ]; do
	i=$((i + 1))
	sig=$([ $((i % 2)) -eq 0 ] && echo TERM || echo INT)
	cp "$T/template.img" "$T/run.img"
	rm -rf "$T/reports"
	delay=$(spread_below $((span * 3 / 4)) "$i")
	# timeout(1) passes the signal on to winrescue and kills it (exit 137) if
	# it has not ended BOUND seconds later: a hang.
	timeout -s KILL "$BOUND" "$WINRESCUE" fix --yes --reports-dir "$T/reports" "$T/run.img" \
		>"$T/out" 2>&1 &
	pid=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -"$sig" "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	case $rc in
	0 | 1 | 4 | 8) finished=$((finished + 1)) ;;
	130 | 143) interrupted=$((interrupted + 1)) ;;
	137) hangs=$((hangs + 1)); echo "HANG: run $i (SIG$sig after ${delay} ms)" ;;
	*) crashes=$((crashes + 1)); echo "CRASH: run $i exit $rc"; cat "$T/out" ;;
	esac
	what="run $i: SIG$sig after ${delay} ms (exit $rc)"
	check_no_loss || lost=$((lost + 1))
	[ "$gone" -eq 0 ] || during=$((during + 1))
	check "$what: no file lost" [ "$lost" -eq 0 ]
	others_intact || changes=$((changes + 1))
	check "$what: other files unchanged" others_intact
	check "$what: the volume is sound or marked dirty" volume_ok
	check "$what: the report is absent or complete" report_absent_or_complete
	check "$what: no temporary files" no_temp_files
done
check "no crash and no hang" [ $((crashes + hangs)) -eq 0 ]

line="reliability: interruptions: $RUNS signals (SIGINT, SIGTERM) during a fix: $interrupted stopped it, $finished came after it ended, in $during the fix had deleted files (signals wait until the volume is closed); crashes $crashes, hangs $hangs, runs with files lost $lost, unexpected changes $changes"
[ "$failures" -eq 0 ] || line="$line ($failures checks FAILED)"
echo "$line"
echo "$line" >"$WR_TOOLS/../../reliability-interruptions.txt"
finish

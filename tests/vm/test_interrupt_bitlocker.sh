#!/bin/sh
# SIGINT and SIGTERM at moments spread over a fix on a BitLocker PC (legacy BIOS,
# AHCI, one boot per run). SIGINT is a Ctrl-C typed on the serial console in guided
# mode: while the key is being derived, at the confirmation prompt, right after y.
# SIGTERM is sent from the stick's shell to a `winrescue fix` running in the
# background: while it writes, and at any moment. After each run the console shows
# no device-mapper mapping left, and outside the VM the volume decrypts (dislocker)
# and opens, its channel files are all there or all gone, no other file changed,
# and the dirty flag is clear (signals wait until the volume is closed, so a fix
# that began also completed). After a SIGTERM the report (--reports-dir, shown on
# the console) exists when the volume changed, and says "interrupted": "SIGTERM"
# only with exit code 143. The delays depend only on the run number (the same on every machine) and are printed.
. "$WR_SOURCE/tests/vm/vmlib.sh"
. "$WR_SOURCE/tests/vm/bitlocker-lib.sh"
. "$WR_SOURCE/tests/vm/interrupt-lib.sh"
vmi_init
vmi_prepare
sigint=0 sigterm=0 before_delete=0 after_fix=0 reports_interrupted=0

PROMPT="Fix this PC now\\? \\[Y/n\\]"

# dialog STEP...: the dialog file, one step an argument.
dialog() { printf '%s\n' "$@" >"$VM_TMP/dialog"; }

# guided_ctrl_c MOMENT MAX_MS: Ctrl-C 0..MAX_MS ms (spread by run number) after the moment.
guided_ctrl_c() {
	ms=$(vmi_spread_ms "$2")
	d=$(vmi_seconds "$ms")
	case $1 in
	derive) what="Ctrl-C $d s after the recovery key was typed"
		moment="sleep $d" ;;
	prompt) what="Ctrl-C $d s into the confirmation prompt"
		moment="expect $PROMPT
sleep $d" ;;
	confirm) what="Ctrl-C $d s after answering y"
		moment="expect $PROMPT
send y\\r
sleep $d" ;;
	esac
	dialog "expect press Enter to start" 'send \r' "expect Recovery key: " \
		"send $WR_BITLK_RP\\r" "$moment" 'send \003' \
		"expect Remove the stick and press Enter to restart" 'send \r'
	sigint=$((sigint + 1))
	interrupted_run "$what"
}

# shell_sigterm MOMENT MAX_MS: SIGTERM 0..MAX_MS ms (spread by run number) after the moment
# (writing: the volume was opened read-write; start: the command was typed).
shell_sigterm() {
	ms=$(vmi_spread_ms "$2")
	d=$(vmi_seconds "$ms")
	case $1 in
	writing) what="SIGTERM $d s after the volume was opened read-write"
		moment="expect opened read-write as
sleep $d" ;;
	start) what="SIGTERM $d s after the fix started"
		moment="sleep $d" ;;
	esac
	# The echoed command line must not match what the steps wait for: the quotes split it.
	dialog "expect press Enter to start" 'send s\r' "expect type exit to continue" \
		"send winrescue fix -v --yes --no-prompt --recovery-key $WR_BITLK_RP --reports-dir /tmp/r & pid=\$!\\r" \
		"$moment" \
		'send kill -TERM $pid; wait $pid; echo "exit ""code $?"; echo "device-mapper mappings ""left: $(ls /dev/mapper | grep -vc ^control$)"\r' \
		"expect device-mapper mappings left: [0-9]+" \
		'send echo "report ""interrupted: $(cat /tmp/r/*.json /tmp/r/*/*.json 2>/dev/null | grep -o "interrupted.: [^,]*" || echo none)"\r' \
		"expect report interrupted: [^\r]*(SIGTERM|null|none)" 'send exit\r' \
		"expect Remove the stick and press Enter to restart" 'send \r'
	sigterm=$((sigterm + 1))
	interrupted_run "$what"
	check_sigterm_report
}

# After a SIGTERM run: a volume that changed has a report, and a report that says
# "interrupted" comes with the signal's exit code (143).
check_sigterm_report() {
	[ "$VMI_GONE" -ge 0 ] || return 0  # the volume did not open: a violation already
	con=$(tr -d '\r' <"$VM_TMP/console.log")
	code=$(echo "$con" | sed -n 's/^exit code \([0-9]*\).*/\1/p' | tail -n1)
	said=$(echo "$con" | sed -n 's/^report interrupted: .*\(SIGTERM\|null\|none\).*/\1/p' | tail -n1)
	if [ "$VMI_GONE" -gt 0 ] && [ "$said" != SIGTERM ] && [ "$said" != null ]; then
		vmi_violation "the volume changed and no report was written (exit code $code)"
	elif [ "$said" = SIGTERM ] && [ "$code" != 143 ]; then
		vmi_violation "the report says interrupted by SIGTERM, the exit code is $code"
	else
		echo "ok: report: interrupted ${said:-not shown} (exit code $code)"
		[ "$said" = SIGTERM ] && reports_interrupted=$((reports_interrupted + 1))
	fi
	return 0
}

interrupted_run() {
	vmi_fresh_run
	# shellcheck disable=SC2154 # vmi_runs is counted by interrupt-lib.sh
	echo "--- run $vmi_runs: $1"
	vmi_boot bios ahci "$VM_TMP/dialog" 150
	tr -d '\r' <"$VM_TMP/console.log" | grep -E 'done, exit code|^exit code' | tail -n1
	vmi_check_mappings
	VMI_GONE=-1
	vmi_inspect_volume || return 0
	if [ "$VMI_GONE" -ne 0 ] && [ "$VMI_GONE" -ne "$VMI_TOTAL" ]; then
		vmi_violation "an interrupted fix left $VMI_GONE of $VMI_TOTAL channel files deleted"
	elif [ "$VMI_DIRTY" = yes ]; then
		vmi_violation "the dirty flag is set although the fix was complete or never began"
	elif [ "$VMI_GONE" -eq 0 ]; then
		before_delete=$((before_delete + 1))
	else
		after_fix=$((after_fix + 1))
	fi
}

guided_ctrl_c derive 6000
guided_ctrl_c prompt 1500
guided_ctrl_c confirm 1000
shell_sigterm writing 800
shell_sigterm start 10000

# shellcheck disable=SC2154 # vmi_mappings_left is counted by interrupt-lib.sh
vmi_summary "reliability: VM interruptions:" \
	"reliability: VM interruptions: $((sigint + sigterm)) signals during a BitLocker fix ($sigint SIGINT by Ctrl-C, $sigterm SIGTERM): in $before_delete no file was deleted, in $after_fix the fix completed first (signals wait until the volume is closed), mappings left $vmi_mappings_left, reports saying interrupted $reports_interrupted"

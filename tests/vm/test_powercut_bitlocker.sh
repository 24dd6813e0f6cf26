#!/bin/sh
# Power cuts (qemu killed) at moments spread over an unattended fix on a BitLocker PC
# (legacy BIOS, AHCI, auto.conf mode=auto, the key from winrescue/keys.csv). A first,
# uncut run measures how long the fix takes; the cuts then fall at moments chosen by run number,
# spread over it, denser towards its end, where the writes are. After each cut the
# volume decrypts (dislocker) and opens; if the partition was written but the fix
# is not complete (some channel files gone, or none gone), the volume is marked
# dirty so Windows checks the disk at its next boot; no other file ever changed.
. "$WR_SOURCE/tests/vm/vmlib.sh"
. "$WR_SOURCE/tests/vm/bitlocker-lib.sh"
. "$WR_SOURCE/tests/vm/interrupt-lib.sh"
# The Windows disk takes 1 write a second (4 KiB/s), so the writes of the fix reach
# it over seconds and cuts near the end of the fix land among them, not only before
# or after (WR_VM_SLOW_WRITES=0: full speed).
if [ "${WR_VM_SLOW_WRITES:-1}" = 1 ]; then
	VM_DISK_OPTS=throttling.iops-write=1,throttling.iops-write-max=1,throttling.bps-write=4096,throttling.bps-write-max=4096
	echo "writes to the Windows disk throttled: $VM_DISK_OPTS"
fi
vmi_init
vmi_prepare "mode=auto
delay=0
after=poweroff"
vm_put_keys_file "$VM_TMP/stick.orig"
cuts=0 unwritten=0 midway=0 complete=0 moments=

echo "--- run 1: no cut (measures the fix)"
vmi_fresh_run
printf '%s\n' "expect running winrescue fix" "expect done, exit code 1: fixed" \
	"expect device-mapper mappings left: 0" >"$VM_TMP/dialog"
vmi_boot bios ahci "$VM_TMP/dialog" 150
span=$(awk -v a="$(vmi_step_time 'running winrescue fix')" \
	-v b="$(vmi_step_time 'done, exit code 1: fixed')" 'BEGIN { printf "%d", (b - a) * 1000 }')
[ "$span" -gt 0 ] || vm_fail "could not measure the fix"
echo "the fix took $(vmi_seconds "$span") s from \"running winrescue fix\" to \"done\""
vmi_inspect_volume || vm_fail "the uncut fix left a volume that does not open"
[ "$VMI_GONE" -eq "$VMI_TOTAL" ] && [ "$VMI_DIRTY" = no ] ||
	vm_fail "the uncut fix did not delete every channel file and restore the dirty flag"

# power_cut FROM TO: a cut at a moment (spread by run number) between FROM and TO thousandths of
# the fix's span after "running winrescue fix".
power_cut() {
	ms=$(($1 * span / 1000 + $(vmi_spread_ms $((($2 - $1) * span / 1000)))))
	d=$(vmi_seconds "$ms")
	cuts=$((cuts + 1))
	moments="$moments${moments:+, }$d"
	vmi_fresh_run
	# shellcheck disable=SC2154 # vmi_runs is counted by interrupt-lib.sh
	echo "--- run $vmi_runs: power cut $d s after \"running winrescue fix\""
	printf '%s\n' "expect running winrescue fix" "sleep $d" kill >"$VM_TMP/dialog"
	vmi_boot bios ahci "$VM_TMP/dialog" 150
	if tr -d '\r' <"$VM_TMP/console.log" | grep 'done, exit code'; then
		echo "(the fix had ended before the cut)"
	fi
	vmi_inspect_volume || return 0
	if [ "$VMI_GONE" -eq "$VMI_TOTAL" ] && [ "$VMI_DIRTY" = no ]; then
		complete=$((complete + 1))
	elif [ "$VMI_WRITTEN" = no ]; then
		unwritten=$((unwritten + 1))
	elif [ "$VMI_DIRTY" = yes ]; then
		midway=$((midway + 1))
	else
		vmi_violation "the partition was written, $VMI_GONE of $VMI_TOTAL channel files are gone, and the volume is not marked dirty"
	fi
}

power_cut 0 500
power_cut 500 750
power_cut 750 850
power_cut 850 950
power_cut 950 1050

vmi_summary "reliability: VM power cuts:" \
	"reliability: VM power cuts: $cuts power cuts during an unattended BitLocker fix of $(vmi_seconds "$span") s (at $moments s): in $unwritten nothing had reached the disk, in $midway the fix was cut midway and the volume is marked dirty, in $complete the fix had completed"

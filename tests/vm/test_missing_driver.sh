#!/bin/sh
# The Windows disk sits behind a controller whose driver is withheld (qemu's
# megasas-gen2, a MegaRAID SAS 2108; modprobe.blacklist=megaraid_sas): guided mode must
# say Windows was not found (exit 2, never "nothing to fix"), name the controller
# without a driver, and tell the technician what to check; the report on the stick
# says the same, and the disk is untouched.
. "$WR_SOURCE/tests/vm/vmlib.sh"
vm_init
vm_make_windows_disk "$VM_TMP/disk.img"
sha256sum "$VM_TMP/disk.img" | cut -d' ' -f1 >"$VM_TMP/before.disk"
vm_make_stick "$VM_TMP/stick.img"
cat >"$VM_TMP/dialog" <<'STEPS'
expect press Enter to start
send \r
expect waiting until no more disks appear
expect \(PCI 1000:0079\): no driver
expect What to check next
expect SATA mode
expect no driver
expect WINDOWS NOT FOUND - nothing was checked or changed
expect press Enter to restart
send \r
STEPS
VM_APPEND=modprobe.blacklist=megaraid_sas \
VM_EXTRA="-drive if=none,id=win,format=raw,file=$VM_TMP/disk.img -device megasas-gen2,id=raid -device scsi-hd,drive=win,bus=raid.0" \
	vm_boot bios none "$VM_TMP/dialog" 400 kernel
if tr -d '\r' <"$VM_TMP/console.log" | grep -qi 'nothing to fix'; then
	vm_fail "the console says nothing to fix"
fi
vm_check_untouched
vm_check_reports
jq -e '.result == "no_windows" and .exit_code == 2' "$VM_TMP/report.json" >/dev/null ||
	vm_fail "the report's result is not no_windows (exit_code 2)"
jq -e '[.storage.controllers[] | select(.id == "1000:0079" and .driver == null)] | length == 1' \
	"$VM_TMP/report.json" >/dev/null || vm_fail "the report does not list the MegaRAID controller without a driver"
jq -e '[.storage.notes[] | select(test("1000:0079.*no driver"))] | length == 1' \
	"$VM_TMP/report.json" >/dev/null || vm_fail "no note names the controller without a driver"
echo "ok: no_windows (exit 2), the controller without a driver named in the report and on the screen"

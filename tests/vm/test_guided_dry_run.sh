#!/bin/sh
# Guided mode, the technician answers "n" at the confirmation (UEFI Secure Boot,
# NVMe disk): the Windows disk image must be byte-identical afterwards.
. "$WR_SOURCE/tests/vm/vmlib.sh"
vm_init
vm_make_windows_disk "$VM_TMP/disk.img"
vm_windows_snapshot before
vm_make_stick "$VM_TMP/stick.img"
cat >"$VM_TMP/dialog" <<'STEPS'
expect press Enter to start
send \r
expect C-00000291.*0000032\.sys
expect Fix this PC now\? \[Y/n\]
send n\r
expect Remove the stick and press Enter to restart
send \r
STEPS
vm_boot uefi-sb nvme "$VM_TMP/dialog" 240
vm_check_untouched
vm_check_reports

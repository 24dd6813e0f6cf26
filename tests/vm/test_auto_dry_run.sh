#!/bin/sh
# auto.conf dry_run=yes: the unattended run reports what it would delete and
# changes nothing: the Windows disk image is byte-identical, the report is on the stick.
. "$WR_SOURCE/tests/vm/vmlib.sh"
vm_init
vm_make_windows_disk "$VM_TMP/disk.img"
vm_windows_snapshot before
vm_make_stick "$VM_TMP/stick.img" "mode=auto
dry_run=yes
delay=0"
cat >"$VM_TMP/dialog" <<'STEPS'
expect running winrescue fix --dry-run
expect C-00000291.*0000032\.sys
expect done, exit code 4
expect powering off
STEPS
vm_boot bios virtio "$VM_TMP/dialog" 240
vm_check_untouched
vm_check_reports

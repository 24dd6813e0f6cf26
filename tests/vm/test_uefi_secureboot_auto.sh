#!/bin/sh
# UEFI with Secure Boot on and Microsoft's keys (OVMF secboot + ms vars): the stick
# boots through the signed chain and, told by winrescue/auto.conf, fixes the NVMe
# Windows disk with no questions, writes the report to the stick and powers off.
. "$WR_SOURCE/tests/vm/vmlib.sh"
vm_init
vm_make_windows_disk "$VM_TMP/disk.img"
vm_windows_snapshot before
vm_make_stick "$VM_TMP/stick.img" "mode=auto
after=poweroff
delay=0"
cat >"$VM_TMP/dialog" <<'STEPS'
expect firmware UEFI, Secure Boot on
expect mode auto
expect done, exit code 1: fixed
expect powering off
STEPS
vm_boot uefi-sb nvme "$VM_TMP/dialog" 240
vm_check_fixed
vm_check_reports with-backups

#!/bin/sh
# Legacy BIOS (SeaBIOS) boots the same stick (GRUB's i386-pc core after the MBR);
# the Windows disk is on AHCI; unattended fix, report on the stick, power off.
. "$WR_SOURCE/tests/vm/vmlib.sh"
vm_init
vm_make_windows_disk "$VM_TMP/disk.img"
vm_windows_snapshot before
vm_make_stick "$VM_TMP/stick.img" "mode=auto
delay=0"
cat >"$VM_TMP/dialog" <<'STEPS'
expect firmware BIOS
expect mode auto
expect done, exit code 1: fixed
expect powering off
STEPS
vm_boot bios ahci "$VM_TMP/dialog" 240
vm_check_fixed
vm_check_reports with-backups

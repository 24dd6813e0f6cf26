#!/bin/sh
# A PC that crashed in its boot loop leaves the NTFS journal unclean. Unattended,
# winrescue refuses it (disk unchanged, exit 32) until auto.conf says
# reset_journal=yes; then the files go and the volume is marked for chkdsk. BIOS, AHCI.
. "$WR_SOURCE/tests/vm/vmlib.sh"
vm_init
vm_make_crashed_disk "$VM_TMP/disk.img"
vm_windows_snapshot before

vm_make_stick "$VM_TMP/stick.img" "mode=auto
delay=0
after=poweroff"
cat >"$VM_TMP/dialog" <<'STEPS'
expect running winrescue fix
expect the NTFS journal is unclean
expect done, exit code 32: refused for safety
STEPS
vm_boot bios ahci "$VM_TMP/dialog" 240
vm_check_untouched

vm_make_stick "$VM_TMP/stick.img" "mode=auto
reset_journal=yes
delay=0
after=poweroff"
cat >"$VM_TMP/dialog" <<'STEPS'
expect running winrescue fix --reset-journal
expect done, exit code 1: fixed
STEPS
vm_boot bios ahci "$VM_TMP/dialog" 240
vm_check_fixed
vm_windows_volume
ntfsinfo -f -m "$VM_TMP/vol.img" 2>/dev/null | grep -q 'Volume Flags:.*DIRTY' ||
	vm_fail "the volume is not marked for Windows' disk check"
echo "ok: the journal was reset and the volume is marked for chkdsk"
vm_check_reports with-backups

#!/bin/sh
# Guided mode over the serial console on a PC that crashed in its boot loop (its
# NTFS journal left unclean), as a first-time technician on serial-over-LAN: Enter
# at every question fixes it. The one decision names the journal reset; the screen
# ends with the plain result line and shows no exit code or mapping count; the
# volume is marked for Windows' disk check. Disk on virtio, legacy BIOS.
. "$WR_SOURCE/tests/vm/vmlib.sh"
vm_init
vm_make_crashed_disk "$VM_TMP/disk.img"
vm_windows_snapshot before
vm_make_stick "$VM_TMP/stick.img"
cat >"$VM_TMP/dialog" <<'STEPS'
expect press Enter to start
send \r
expect C-00000291.*0000032\.sys
expect Windows will check the disk once
expect Fix this PC now\? \[Y/n\]
send \r
expect 5 faulty files deleted
expect FIXED - remove the stick and restart the PC
expect Remove the stick and press Enter to restart
send \r
STEPS
vm_boot bios virtio "$VM_TMP/dialog" 240
vm_check_fixed
vm_windows_volume
ntfsinfo -f -m "$VM_TMP/vol.img" 2>/dev/null | grep -q 'Volume Flags:.*DIRTY' ||
	vm_fail "the volume is not marked for Windows' disk check"
echo "ok: the journal was reset and the volume is marked for chkdsk"
sed -n '/press Enter to start/,$p' "$VM_TMP/console.log" >"$VM_TMP/screen"
! grep -qiE 'exit code|mappings left|winrescue (fix|scan)|^Result:' "$VM_TMP/screen" ||
	vm_fail "the guided screen shows an exit code, a mapping count or command-line advice"
echo "ok: the screen ends with the plain result line, no exit code"
vm_check_reports with-backups

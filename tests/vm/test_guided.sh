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
cat >"$VM_TMP/dialog" <<STEPS
expect press Enter to start
send \r
expect C-00000291.*0000032\.sys
expect Windows will check the disk once
expect $VM_ASK_FIX
send \r
expect 5 faulty files deleted
expect $VM_FIXED
expect $VM_END_PROMPT
send \r
STEPS
vm_boot bios virtio "$VM_TMP/dialog" 240
vm_check_fixed
vm_windows_volume
vm_check_marked_dirty
sed -n '/press Enter to start/,$p' "$VM_TMP/console.log" >"$VM_TMP/screen"
vm_check_plain_words "$VM_TMP/screen"
vm_check_reports with-backups

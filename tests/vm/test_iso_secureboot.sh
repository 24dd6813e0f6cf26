#!/bin/sh
# The hybrid ISO as a CD (server virtual media) under UEFI with Secure Boot on:
# guided fix with no stick, so the report stays in memory; the shell offered at
# the end shows it. Disk on virtio.
. "$WR_SOURCE/tests/vm/vmlib.sh"
vm_init
vm_make_windows_disk "$VM_TMP/disk.img"
vm_windows_snapshot before
cat >"$VM_TMP/dialog" <<'STEPS'
expect firmware UEFI, Secure Boot on
expect press Enter to start
send \r
expect Fix this PC now\? \[Y/n\]
send y\r
expect 5 faulty files deleted
expect FIXED - remove the stick and restart the PC
expect Remove the stick and press Enter to restart \(s \+ Enter: shell\)
send s\r
expect / #
send ls /run/reports; poweroff -f\r
expect WRVM-0001-[0-9TZ]+\.json
STEPS
vm_boot uefi-sb virtio "$VM_TMP/dialog" 240 iso
vm_check_fixed

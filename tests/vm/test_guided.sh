#!/bin/sh
# Guided mode over the serial console, as a technician on serial-over-LAN: Enter
# at the start prompt, the dry-run table and "Delete ...? [y/N]", answer y, the
# result, "Remove the stick and press Enter", Enter restarts. Disk on virtio.
. "$WR_SOURCE/tests/vm/vmlib.sh"
vm_init
vm_make_windows_disk "$VM_TMP/disk.img"
vm_windows_snapshot before
vm_make_stick "$VM_TMP/stick.img"
cat >"$VM_TMP/dialog" <<'STEPS'
expect press Enter to start
send \r
expect C-00000291-00000000-00000032.sys
expect Delete the 5 files marked 'would delete' above\? \[y/N\]
send y\r
expect Done: 5 files deleted
expect Remove the stick and press Enter to restart
send \r
STEPS
vm_boot bios virtio "$VM_TMP/dialog" 240
vm_check_fixed
vm_check_reports with-backups

#!/bin/sh
# Network boot with Secure Boot on: the firmware's PXE loads shimx64.efi from the
# built netboot/ folder (qemu's TFTP), shim the signed grubx64.efi, GRUB
# grub/grub.cfg, the signed kernel and the initrd. The technician declines the
# fix: the disk (AHCI) must be byte-identical.
. "$WR_SOURCE/tests/vm/vmlib.sh"
vm_init
vm_make_windows_disk "$VM_TMP/disk.img"
vm_windows_snapshot before
cat >"$VM_TMP/dialog" <<'STEPS'
expect firmware UEFI, Secure Boot on
expect press Enter to start
send \r
expect Fix this PC now\? \[Y/n\]
send n\r
expect Remove the stick and press Enter to restart
send \r
STEPS
vm_boot uefi-sb ahci "$VM_TMP/dialog" 240 net
vm_check_untouched

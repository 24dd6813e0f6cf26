#!/bin/sh
# The hybrid ISO as a CD (server virtual media) under UEFI with Secure Boot on:
# guided fix with no stick, so the report stays in memory; the shell offered at
# the end shows it, and an exFAT USB drive plugged in then gets a copy. Disk on
# virtio. No stick to wait for on a CD: the boot goes to the prompt without waiting
# for one or printing probe errors.
. "$WR_SOURCE/tests/vm/vmlib.sh"
vm_init
vm_make_windows_disk "$VM_TMP/disk.img"
vm_windows_snapshot before
truncate -s 64M "$VM_TMP/exfat.img"
mkfs.exfat -L USBDRIVE "$VM_TMP/exfat.img" >/dev/null || vm_fail "mkfs.exfat failed"
cat >"$VM_TMP/dialog" <<STEPS
expect firmware UEFI, Secure Boot on
expect press Enter to start
send \r
expect $VM_ASK_FIX
send y\r
expect 5 faulty files deleted
expect $VM_FIXED
expect reports are in memory only. Plug in a USB drive \\(FAT or exFAT\\)
expect $VM_END_PROMPT \\(s \+ Enter: shell\)
monitor drive_add 0 if=none,id=later,format=raw,file=$VM_TMP/exfat.img
monitor device_add usb-storage,drive=later,bus=xhci.0
expect reports saved to /dev/sd[a-z]+ \\(winrescue/reports/\\): it can be removed
send s\r
expect / #
send ls /run/reports; poweroff -f\r
expect WRVM-0001-[0-9TZ]+\.json
STEPS
VM_MONITOR=yes VM_EXTRA="-device qemu-xhci,id=xhci" vm_boot uefi-sb virtio "$VM_TMP/dialog" 360 iso
tr -d '\r' <"$VM_TMP/console.log" | sed -n '/loading drivers/,/press Enter to start/p' >"$VM_TMP/boot"
grep -q 'no stick with a winrescue/ folder found' "$VM_TMP/boot" || vm_fail "the boot did not say it found no stick"
! grep -q 'waiting for the USB stick' "$VM_TMP/boot" || vm_fail "the CD boot waited for a USB stick"
! grep -qiE 'error|fat-fs|exfat|mount|invalid' "$VM_TMP/boot" || vm_fail "the CD boot printed probe errors"
echo "ok: the CD boot went to the prompt without waiting for a stick or probe errors"
vm_check_fixed
fsck.exfat -n "$VM_TMP/exfat.img" >/dev/null 2>&1 || vm_fail "the exFAT drive is not consistent after the copy"
grep -aq 'WRVM-0001' "$VM_TMP/exfat.img" || vm_fail "the report is not on the exFAT drive"
echo "ok: the report was copied to the exFAT drive plugged in after the fix"

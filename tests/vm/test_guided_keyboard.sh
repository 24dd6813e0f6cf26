#!/bin/sh
# Guided mode at the crashed PC itself: its own keyboard (qemu's sendkey on the
# emulated PS/2 keyboard) and screen (the VGA text read from video memory), the
# stick plugged in ~20 s after power-on while /init waits for it, its auto.conf
# asking for the French layout. Two disks: a plain Windows disk whose journal was
# left unclean by the crash, and a BitLocker one. The technician presses Enter at
# every question; a wrong (well-formed) recovery key is refused and asked again
# without rebooting; the right key is typed with F1-F10, the keypad and the number
# row of the French layout (the prompt reads keycodes); the screen ends with the
# plain result line, no exit code. Both disks are checked from outside afterwards.
. "$WR_SOURCE/tests/vm/vmlib.sh"
. "$WR_SOURCE/tests/vm/bitlocker-lib.sh"
vm_bitlocker_case "keymap=fr"
cp -r "$VM_SPECS" "$VM_TMP/specs"
printf 'include windows.spec\nstate unclean\n' >"$VM_TMP/specs/crashed.spec"
wr_make_windows_disk "$VM_TMP/plain.img" gpt "$VM_TMP/specs/crashed.spec" ||
	vm_fail "could not make the disk"
VM_DISK=$VM_TMP/plain.img vm_windows_snapshot before

# qemu key names for the digits of $2: f (F1-F10, F10 = 0), kp (keypad), row (number row).
keys() {
	echo "$2" | tr -d - | sed 's/./& /g' | tr ' ' '\n' | awk -v style="$1" 'NF {
		if (style == "f") printf "f%d ", $1 == 0 ? 10 : $1
		else if (style == "kp") printf "kp_%d ", $1
		else printf "%d ", $1 }'
}
# Another Windows-made volume's key: every block valid, not this volume's key.
wrong=404558-436711-420860-678557-638220-018909-039941-695321
right=$(keys f "$(echo "$WR_BITLK_RP" | cut -d- -f1-3)")$(keys kp "$(echo "$WR_BITLK_RP" | cut -d- -f4-6)")$(keys row "$(echo "$WR_BITLK_RP" | cut -d- -f7-8)")
cat >"$VM_TMP/dialog" <<STEPS
expect waiting for the USB stick
sleep 12
monitor drive_add 0 if=none,id=stick,format=raw,file=$VM_TMP/stick.img
monitor device_add usb-storage,drive=stick,bus=xhci.0
expect still waiting for the stick
expect stick found after
expect settings from winrescue/auto.conf
expect keyboard layout fr
expect press Enter to start
key ret
screen the first 8 characters: ${VM_BL_KEYID%%-*}
screen Recovery key:\$
key $(keys row "$wrong") ret
screen does not open this disk.*Recovery key:\$
key $right
screen Recovery key: $WR_BITLK_RP\$
key ret
screen $VM_ASK_FIX\$
key ret
screen $VM_FIXED.*$VM_END_PROMPT
key ret
STEPS
VM_MONITOR=yes VM_STICK_LATER=yes VM_APPEND="console=tty0 no-scroll" \
	VM_EXTRA="-drive if=none,id=plain,format=raw,file=$VM_TMP/plain.img -device virtio-blk-pci,drive=plain" \
	vm_boot bios ahci "$VM_TMP/dialog" 600 kernel
vm_check_plain_words "$VM_TMP/monitor.screen"
VM_DISK=$VM_TMP/plain.img vm_check_fixed
VM_DISK=$VM_TMP/plain.img vm_windows_volume
vm_check_marked_dirty
vm_check_bitlocker_fixed
vm_check_reports with-backups
vm_check_bitlocker_report typed

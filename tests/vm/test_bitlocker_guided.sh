#!/bin/sh
# Guided mode on a BitLocker PC over the serial console (legacy BIOS, AHCI), as
# typed from an xterm-like terminal: the Key ID is shown as the Windows recovery
# screen shows it; a wrong (well-formed) key is refused by the volume and asked
# again without rebooting; the right key typed with F1-F10 (F10 = 0, xterm escape
# sequences) opens it; Enter at the one question fixes it.
. "$WR_SOURCE/tests/vm/vmlib.sh"
. "$WR_SOURCE/tests/vm/bitlocker-lib.sh"
vm_bitlocker_case
# Another Windows-made volume's key: every block valid, not this volume's key.
wrong=404558-436711-420860-678557-638220-018909-039941-695321
# F1-F4: ESC O P..S; F5: ESC [15~; F6-F10: ESC [17~..[21~ (expect's send understands \033).
fkeys=$(echo "$WR_BITLK_RP" | tr -d - | sed 's/./&\n/g' | awk 'NF {
	if ($1 >= 1 && $1 <= 4) printf "\\033O%c", 79 + $1
	else if ($1 == 5) printf "\\033[15~"
	else printf "\\033[%d~", $1 == 0 ? 21 : $1 + 11 }')
cat >"$VM_TMP/dialog" <<STEPS
expect press Enter to start
send \\r
expect the first 8 characters: ${VM_BL_KEYID%%-*}
expect Entra ID or Intune
expect Recovery key: 
send $wrong\\r
expect Checking the key
expect That recovery key does not open this disk
expect Recovery key: 
send $fkeys\\r
expect $WR_BITLK_RP
expect $VM_ASK_FIX
send \\r
expect 5 faulty files deleted
expect If BitLocker asks for the recovery key once
expect $VM_FIXED
expect $VM_END_PROMPT
send \\r
STEPS
vm_boot bios ahci "$VM_TMP/dialog" 540
vm_check_bitlocker_fixed
vm_check_reports with-backups
vm_check_bitlocker_report typed
! grep -q 'mappings left: [1-9]' "$VM_TMP/console.log" || vm_fail "device-mapper mappings were left"

#!/bin/sh
# Guided mode on a BitLocker PC over the serial console (legacy BIOS, AHCI): the
# Key ID is shown, the technician types the recovery key with a typo in block 3
# first (caught before any slow work, asked again), then the right key, confirms.
. "$WR_SOURCE/tests/vm/vmlib.sh"
. "$WR_SOURCE/tests/vm/bitlocker-lib.sh"
vm_bitlocker_case
# One digit of block 3 off by one: no longer a multiple of 11.
typo=$(echo "$WR_BITLK_RP" | awk -F- '{
	d = substr($3, 6, 1); $3 = substr($3, 1, 5) ((d + 1) % 10)
	out = $1; for (i = 2; i <= NF; i++) out = out "-" $i; print out }')
block3=$(echo "$typo" | cut -d- -f3)
cat >"$VM_TMP/dialog" <<STEPS
expect press Enter to start
send \\r
expect Key ID: $VM_BL_KEYID
expect Recovery key \\(48 digits
send $typo\\r
expect block 3 \\($block3\\) is not valid: check it
expect Recovery key \\(48 digits
send $WR_BITLK_RP\\r
expect Delete the 5 files marked 'would delete' above\\? \\[y/N\\]
send y\\r
expect Done: 5 files deleted
expect device-mapper mappings left: 0
expect Remove the stick and press Enter to restart
send \\r
STEPS
vm_boot bios ahci "$VM_TMP/dialog" 280
vm_check_bitlocker_fixed
vm_check_reports with-backups
vm_check_bitlocker_report typed

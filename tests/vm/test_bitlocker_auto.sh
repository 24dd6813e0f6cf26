#!/bin/sh
# Unattended fleet mode on a BitLocker-encrypted Windows volume: UEFI with Secure
# Boot, the key found by Key ID in winrescue/keys.csv on the stick, disk on NVMe.
. "$WR_SOURCE/tests/vm/vmlib.sh"
. "$WR_SOURCE/tests/vm/bitlocker-lib.sh"
vm_bitlocker_case "mode=auto
delay=0
after=poweroff"
vm_put_keys_file "$VM_TMP/stick.img"
cat >"$VM_TMP/dialog" <<'STEPS'
expect recovery keys from winrescue/keys.csv
expect running winrescue fix
expect done, exit code 1: fixed
expect device-mapper mappings left: 0
STEPS
vm_boot uefi-sb nvme "$VM_TMP/dialog" 280
vm_check_bitlocker_fixed
vm_check_reports with-backups
vm_check_bitlocker_report
vm_check_no_mappings

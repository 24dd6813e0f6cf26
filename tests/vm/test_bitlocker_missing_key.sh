#!/bin/sh
# Fleet mode on a machine whose key is not in the export: reported (locked, with the
# Key ID an admin must look up) and left untouched, no mapping left. UEFI Secure Boot.
. "$WR_SOURCE/tests/vm/vmlib.sh"
. "$WR_SOURCE/tests/vm/bitlocker-lib.sh"
vm_bitlocker_case "mode=auto
delay=0
after=poweroff"
printf 'KeyID,RecoveryKey\r\n{0B5C2E4F-1111-4222-8333-444455556666},%s\r\n' \
	"111111-222222-333333-444444-555555-666666-777777-888888" >"$VM_TMP/keys.csv"
mcopy -i "$VM_TMP/stick.img@@$VM_STICK_OFFSET" "$VM_TMP/keys.csv" ::/winrescue/keys.csv
cat >"$VM_TMP/dialog" <<STEPS
expect running winrescue fix
expect $VM_BL_KEYID
expect done, exit code 4
expect device-mapper mappings left: 0
STEPS
vm_boot uefi-sb nvme "$VM_TMP/dialog" 280
vm_check_untouched
vm_check_reports
jq -e --arg id "$VM_BL_KEYID" '.volumes[] | select(.encryption == "bitlocker") |
	.status == "locked" and any(.key_ids[]; . == $id)' "$VM_TMP/report.json" >/dev/null ||
	vm_fail "the report does not show the volume locked with its Key ID"
echo "ok: the report shows the volume locked, naming Key ID $VM_BL_KEYID"

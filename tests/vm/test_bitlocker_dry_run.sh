#!/bin/sh
# Unattended dry run of a BitLocker volume (keys file on the stick): it is unlocked
# read-only, the plan is reported, and the disk image stays byte-identical. BIOS.
. "$WR_SOURCE/tests/vm/vmlib.sh"
. "$WR_SOURCE/tests/vm/bitlocker-lib.sh"
vm_bitlocker_case "mode=auto
dry_run=yes
delay=0
after=poweroff"
vm_put_keys_file "$VM_TMP/stick.img"
cat >"$VM_TMP/dialog" <<'STEPS'
expect running winrescue fix --dry-run
expect C-00000291.*0000032\.sys
expect done, exit code 4
expect device-mapper mappings left: 0
STEPS
vm_boot bios virtio "$VM_TMP/dialog" 280
vm_check_untouched
vm_check_reports
vm_check_bitlocker_report
jq -e '[.volumes[].files[].action] | unique == ["would_delete"]' "$VM_TMP/report.json" >/dev/null ||
	vm_fail "the dry-run report does not plan would_delete for every file"
echo "ok: the dry-run report plans would_delete for each file"
vm_check_no_mappings

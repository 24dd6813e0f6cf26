#!/bin/sh
# Legacy BIOS (SeaBIOS) boots the same stick (GRUB's i386-pc core after the MBR);
# the Windows disk is on AHCI; unattended fix, report on the stick, power off.
# Its SYSTEM hive has Windows' AHCI driver (storahci) disabled, as on a PC set up
# in RAID/RST mode: the report warns of INACCESSIBLE_BOOT_DEVICE (issue 13).
. "$WR_SOURCE/tests/vm/vmlib.sh"
. "$WR_SOURCE/tests/tools/hives.sh"
vm_init
vm_make_windows_disk "$VM_TMP/disk.img"
wr_make_system_hive "$VM_TMP/SYSTEM" WR-BIOS-AHCI 4 || vm_fail "could not make the SYSTEM hive"
vm_windows_volume
ntfscp -f "$VM_TMP/vol.img" "$VM_TMP/SYSTEM" /Windows/System32/config/SYSTEM >/dev/null
dd if="$VM_TMP/vol.img" of="$VM_TMP/disk.img" bs=1M seek="$VM_WIN_START" conv=notrunc,sparse status=none
vm_windows_snapshot before
vm_make_stick "$VM_TMP/stick.img" "mode=auto
delay=0"
cat >"$VM_TMP/dialog" <<'STEPS'
expect firmware BIOS
expect mode auto
expect done, exit code 1: fixed
expect powering off
STEPS
vm_boot bios ahci "$VM_TMP/dialog" 240
vm_check_fixed
vm_check_reports with-backups
jq -e '.volumes[] | select(.windows) | .windows_info |
	.computer_name == "WR-BIOS-AHCI" and .controller == "ahci" and
	.storage_drivers.storahci == "disabled" and (.warning | test("INACCESSIBLE_BOOT_DEVICE"))' \
	"$VM_TMP/report.json" >/dev/null || {
	jq '.volumes[] | select(.windows) | .windows_info, .storage' "$VM_TMP/report.json"
	jq '.storage' "$VM_TMP/report.json"
	vm_fail "the report lacks the AHCI warning"
}
echo "ok: disk on AHCI, storahci disabled: the report warns of INACCESSIBLE_BOOT_DEVICE"

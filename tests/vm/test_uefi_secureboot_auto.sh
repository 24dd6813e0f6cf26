#!/bin/sh
# UEFI with Secure Boot on and Microsoft's keys (OVMF secboot + ms vars): the stick
# boots through the signed chain and, told by winrescue/auto.conf, fixes the NVMe
# Windows disk with no questions, writes the report to the stick and powers off.
# The disk's boot configuration (ESP \EFI\Microsoft\Boot\BCD) was left in Safe Mode
# by an earlier manual repair: the unattended fix removes it too (issue 13).
. "$WR_SOURCE/tests/vm/vmlib.sh"
. "$WR_SOURCE/tests/tools/hives.sh"
vm_init
vm_make_windows_disk "$VM_TMP/disk.img"
wr_make_bcd "$VM_TMP/BCD" minimal || vm_fail "could not make the BCD store"
mcopy -i "$VM_TMP/disk.img@@1048576" "$VM_TMP/BCD" ::/EFI/Microsoft/Boot/BCD
vm_windows_snapshot before
vm_make_stick "$VM_TMP/stick.img" "mode=auto
after=poweroff
delay=0"
cat >"$VM_TMP/dialog" <<'STEPS'
expect firmware UEFI, Secure Boot on
expect mode auto
expect done, exit code 1: fixed
expect powering off
STEPS
vm_boot uefi-sb nvme "$VM_TMP/dialog" 240
vm_check_fixed
vm_check_reports with-backups
mcopy -n -i "$VM_TMP/disk.img@@1048576" ::/EFI/Microsoft/Boot/BCD "$VM_TMP/BCD.after"
[ -z "$(wr_bcd_value "$VM_TMP/BCD.after" "$WR_LOADER_ID" 25000080)" ] ||
	vm_fail "safeboot is still set in the ESP's BCD store"
[ -n "$(wr_bcd_value "$VM_TMP/BCD.after" "$WR_LOADER_ID" 12000004)" ] ||
	vm_fail "the BCD store lost its default entry's description"
jq -e '.boot_stores[0].action == "cleared_safeboot" and (.boot_stores[0].backup | test("boot/"))' \
	"$VM_TMP/report.json" >/dev/null || vm_fail "the report does not show the safeboot cleanup"
echo "ok: the unattended fix removed safeboot from the ESP's BCD (hivexget), backup on the stick"

#!/bin/sh
# Guided mode on a BitLocker PC whose recovery key is lost (UEFI Secure Boot, NVMe):
# the technician skips the key prompt, winrescue offers the keyless path, and on
# "y" sets Safe Mode on the default entry of the ESP's BCD store (backup on the
# stick). The encrypted volume is never written. Read back with hivexget (issue 13).
. "$WR_SOURCE/tests/vm/vmlib.sh"
. "$WR_SOURCE/tests/vm/bitlocker-lib.sh"
. "$WR_SOURCE/tests/tools/hives.sh"
vm_bitlocker_case
wr_make_bcd "$VM_TMP/BCD" none || vm_fail "could not make the BCD store"
mcopy -i "$VM_TMP/disk.img@@1048576" "$VM_TMP/BCD" ::/EFI/Microsoft/Boot/BCD
enc_before=$(dd if="$VM_TMP/disk.img" bs=1M skip="$VM_BL_START" count="$VM_BL_MIB" status=none | sha256sum)
cat >"$VM_TMP/dialog" <<STEPS
expect press Enter to start
send \\r
expect the first 8 characters: ${VM_BL_KEYID%%-*}
expect Recovery key: 
send \\r
expect No key: start Windows in Safe Mode instead\\? \\[y/N\\]
send y\\r
expect Windows will start in Safe Mode
expect Remove the stick and press Enter to restart
send \\r
STEPS
vm_boot uefi-sb nvme "$VM_TMP/dialog" 280
mcopy -n -i "$VM_TMP/disk.img@@1048576" ::/EFI/Microsoft/Boot/BCD "$VM_TMP/BCD.after"
[ "$(wr_bcd_value "$VM_TMP/BCD.after" "$WR_LOADER_ID" 25000080)" = \
	'"Element"=hex(3):00,00,00,00,00,00,00,00' ] ||
	vm_fail "safeboot minimal is not set on the default entry"
[ -z "$(wr_bcd_value "$VM_TMP/BCD.after" "$WR_LOADER2_ID" 25000080)" ] ||
	vm_fail "safeboot was set on an entry that is not the default"
echo "ok: hivexget: safeboot minimal on the default entry only"
[ "$(dd if="$VM_TMP/disk.img" bs=1M skip="$VM_BL_START" count="$VM_BL_MIB" status=none | sha256sum)" = \
	"$enc_before" ] || vm_fail "the BitLocker volume changed"
echo "ok: the locked BitLocker volume is byte-identical"
vm_check_reports
jq -e '.boot_stores[0].action == "safe_mode_set" and
	any(.volumes[]; .status == "locked")' "$VM_TMP/report.json" >/dev/null ||
	vm_fail "the report does not show the volume locked and Safe Mode set"
echo "ok: the report shows the locked volume and safe_mode_set"

#!/bin/sh
# Netboot that reports back: OVMF's PXE (Secure Boot on) loads the signed shim,
# GRUB and kernel from qemu's TFTP; the shipped unattended netboot entry runs with
# the site's keys_url= and report_url= pointing at a web server on the host (qemu's
# user network maps 10.0.2.2 to the host). 1) The BitLocker volume is fixed with
# the key fetched from keys_url, the report and log arrive by HTTP PUT and carry
# the VM's SMBIOS UUID. 2) The server is down: the result screen says the report
# was not sent and is kept in memory, and the machine waits instead of powering off.
. "$WR_SOURCE/tests/vm/vmlib.sh"
. "$WR_SOURCE/tests/vm/bitlocker-lib.sh"
command -v python3 >/dev/null || vm_fail "python3 is not installed (scripts/install-deps)"
vm_init
vm_bitlocker_init
vm_make_bitlocker_disk "$VM_TMP/disk.img"
trap 'kill "$(cat "$VM_TMP/server.pid" 2>/dev/null)" 2>/dev/null || :; wr_bitlk_cleanup; vm_cleanup' EXIT

mkdir -p "$VM_TMP/www/reports"
vm_put_keys_file_to() { # the same export vm_put_keys_file puts on a stick
	printf 'KeyID,RecoveryKey\r\n{0B5C2E4F-1111-4222-8333-444455556666},%s\r\n{%s},%s\r\n' \
		"111111-222222-333333-444444-555555-666666-777777-888888" "$WR_BITLK_KEYID" "$WR_BITLK_RP" >"$1"
}
vm_put_keys_file_to "$VM_TMP/www/keys.csv"
python3 "$VM_HERE/http-server.py" "$VM_TMP/www" "$VM_TMP/port" 2>"$VM_TMP/server.log" &
echo $! >"$VM_TMP/server.pid"
i=0
while [ ! -s "$VM_TMP/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$VM_TMP/port") || vm_fail "the web server did not start"
url=http://10.0.2.2:$port

# The built netboot folder with its own unattended entry chosen and the site's URLs.
cp -r "$WR_IMAGE/netboot" "$VM_TMP/netboot"
VM_NETBOOT=$VM_TMP/netboot
sed -e 's/^set default=0/set default=1/' \
	-e "/winrescue.mode=auto/s|\$| winrescue.delay=0 winrescue.keys_url=$url/keys.csv winrescue.report_url=$url/reports/|" \
	"$WR_IMAGE/netboot/grub/grub.cfg" >"$VM_NETBOOT/grub/grub.cfg"
grep -q "report_url=$url/reports/" "$VM_NETBOOT/grub/grub.cfg" ||
	vm_fail "the netboot grub.cfg has no unattended entry to set the URLs in"

cat >"$VM_TMP/dialog" <<STEPS
expect network eth0: 10.0.2.
expect recovery keys from $url/keys.csv
expect done, exit code 1: fixed
expect Report and log sent to $url/reports/
expect FIXED
expect winrescue;fixed;
STEPS
vm_boot uefi-sb nvme "$VM_TMP/dialog" 420 net
! grep -q 'waiting for the USB stick' "$VM_TMP/console.log" || vm_fail "the network boot waited for a USB stick"
vm_check_bitlocker_fixed
json=$(ls "$VM_TMP/www/reports/"*.json 2>/dev/null | head -n1)
[ -n "$json" ] || vm_fail "no report arrived on the web server"
[ -s "${json%.json}.log" ] || vm_fail "no log arrived beside the report"
cp "$json" "$VM_TMP/report.json"
jq -e --arg u "$VM_UUID" '.machine.uuid == $u and .machine.serial == "WRVM-0001"' \
	"$VM_TMP/report.json" >/dev/null || vm_fail "the report does not carry the VM's SMBIOS UUID and serial"
jq -e --arg id "$VM_BL_KEYID" '.result == "fixed" and
	any(.volumes[]; .unlocked_key_id == $id)' "$VM_TMP/report.json" >/dev/null ||
	vm_fail "the report sent is not the fix with Key ID $VM_BL_KEYID"
! grep -q "$WR_BITLK_RP" "$VM_TMP/report.json" "${json%.json}.log" "$VM_TMP/console.log" ||
	vm_fail "the recovery key appears in the report, log or console"
echo "ok: fixed with the key from keys_url; report and log PUT to the server, with UUID $VM_UUID and Key ID $VM_BL_KEYID"

# 2) The server is down: no keys, no upload; the screen says so and stays.
kill "$(cat "$VM_TMP/server.pid")"
wait 2>/dev/null || true
cat >"$VM_TMP/dialog" <<STEPS
expect could not fetch the keys from $url/keys.csv
expect done, exit code 4
expect REPORT NOT SENT to $url/reports/
expect NOT FIXED
expect kept in memory only
expect press Enter to restart
send \r
STEPS
vm_boot uefi-sb nvme "$VM_TMP/dialog" 420 net
echo "ok: with the server down the result screen says the report was not sent and stays until Enter"

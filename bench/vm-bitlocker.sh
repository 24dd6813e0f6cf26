#!/bin/sh
# bench/vm-bitlocker.sh RUNS CONSOLE_LOG: section 5 of bench/run --vm. Boots benchmark
# media (WR_IMAGE, built with WR_IMAGE_EXTRA="cryptsetup ntfs-3g dislocker-fuse") once,
# under SeaBIOS with the disk on virtio, into a shell, and runs bench/vm-bitlocker-guest.sh
# there on a BitLocker volume made from a Windows-made one around bench/specs/bitlocker.spec
# (the three target files have 8.3 aliases, which ntfs-3g's rm needs). The console
# transcript, with one "wr-bench case=..." line a run, goes to CONSOLE_LOG.
# Environment as for tests/vm: WR_SOURCE, WR_TOOLS, WR_IMAGE, WR_SHARED.
. "$WR_SOURCE/tests/vm/vmlib.sh"
. "$WR_SOURCE/tests/vm/bitlocker-lib.sh"
runs=$1 log=$2

vm_init
vm_bitlocker_init
wr_make_bitlocker_volume "$VM_TMP/win.enc" "$WR_SOURCE/bench/specs/bitlocker.spec" ||
	vm_fail "could not make the BitLocker volume"
wr_make_disk "$VM_TMP/disk.img" gpt ntfs:"$VM_TMP/win.enc" || vm_fail "could not make the disk"
rm -f "$VM_TMP/win.enc" "$WR_BITLK_PLAIN"
vm_make_stick "$VM_TMP/stick.img" "mode=shell"
printf '%s' "$WR_BITLK_RP" >"$VM_TMP/rp"
mcopy -i "$VM_TMP/stick.img@@$VM_STICK_OFFSET" "$VM_TMP/rp" \
	"$WR_SOURCE/bench/vm-bitlocker-guest.sh" ::/winrescue/
# The echo is typed as wr-bench-""end so that only its output matches.
cat >"$VM_TMP/dialog" <<STEPS
expect Press Enter for a shell
send \r
expect shell on
sleep 1
send mkdir -p /m && mount -o ro \$(findfs LABEL=WINRESCUE) /m && cp /m/winrescue/rp /m/winrescue/vm-bitlocker-guest.sh /tmp/ && umount /m && sh /tmp/vm-bitlocker-guest.sh $runs /dev/vda1 /tmp/rp; echo wr-bench-""end; poweroff -f\r
expect wr-bench-end
STEPS
status=0
(vm_boot bios virtio "$VM_TMP/dialog" $((120 + runs * 150))) || status=$?
tr -d '\r' <"$VM_TMP/console.log" >"$log"
exit $status

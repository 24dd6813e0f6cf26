#!/bin/sh
# Three software RAID1 sets holding the Windows disk, made inside the VM in boot 1
# (mdadm; IMSM_NO_PLATFORM=1: qemu has no RST option ROM): an Intel RST (IMSM) set
# (m1, m2), a second IMSM set (g1, g2) and a DDF set (f1, f2). Boot 2, unattended,
# with g2 left out (the second set is degraded): every set is assembled and fixed;
# afterwards, read from the host, m1, m2, f1 and f2 carry the same Windows volume
# with exactly the channel files gone, g1 is fixed too and g2 did not change by one
# byte; the report names the degraded set (table and JSON). Boot 3, the first set
# as before the fix with assembly prevented (the raid1 personality withheld): both
# members are reported ("member of an Intel RST (IMSM) RAID set ... not written"),
# exit 8, and neither member changed by one byte.
. "$WR_SOURCE/tests/vm/vmlib.sh"
vm_init
vm_make_windows_disk "$VM_TMP/disk.img"
# Each set's members have their own size, so that the shell in boot 1 tells them
# apart: 400, 401 and 448 MiB (DDF keeps 32 MiB of metadata at the end).
for m in m1 m2; do truncate -s 400M "$VM_TMP/$m.img"; done
for m in g1 g2; do truncate -s 401M "$VM_TMP/$m.img"; done
for m in f1 f2; do truncate -s 448M "$VM_TMP/$m.img"; done
# On AHCI (six ports) with serial numbers: IMSM records each member's serial (mdadm
# reads it by SCSI inquiry, which virtio-blk does not answer).
member() {  # NAME PORT
	echo "-drive if=none,id=$1,format=raw,file=$VM_TMP/$1.img -device ide-hd,drive=$1,bus=ide.$2,serial=WRRAID$1"
}
members="$(member m1 1) $(member m2 2)"
others="$(member g1 3) $(member f1 5) $(member f2 0)"

vm_make_stick "$VM_TMP/stick.img" "mode=shell"
cat >"$VM_TMP/dialog" <<'STEPS'
expect Press Enter for a shell
send \r
expect # 
send sized() { for d in /sys/block/sd*; do [ $(cat $d/size) = $1 ] && echo /dev/${d##*/}; done; }; echo "DEFINED$(echo OK)"\r
expect DEFINEDOK
send mdadm --create /dev/md/imsm0 -e imsm -n 2 $(sized 819200) --run && mdadm --create /dev/md/vol0 -l 1 -n 2 /dev/md/imsm0 --assume-clean --run && dd if=/dev/nvme0n1 of=/dev/md/vol0 bs=1M conv=fsync && echo "CREATED-$(echo A)"\r
expect CREATED-A
send mdadm --create /dev/md/imsm1 -e imsm -n 2 $(sized 821248) --run && mdadm --create /dev/md/vol1 -l 1 -n 2 /dev/md/imsm1 --assume-clean --run && dd if=/dev/nvme0n1 of=/dev/md/vol1 bs=1M conv=fsync && echo "CREATED-$(echo B)"\r
expect CREATED-B
send mdadm --create /dev/md/ddf0 -e ddf -n 2 $(sized 917504) --run && mdadm --create /dev/md/vol2 -l 1 -n 2 /dev/md/ddf0 --assume-clean --run && dd if=/dev/nvme0n1 of=/dev/md/vol2 bs=1M conv=fsync && echo "CREATED-$(echo C)"\r
expect CREATED-C
send mdadm --wait-clean --scan; mdadm --stop --scan; echo "STOP$(echo PED)"\r
expect STOPPED
send poweroff -f\r
STEPS
VM_APPEND=IMSM_NO_PLATFORM=1 VM_EXTRA="$members $others $(member g2 4)" \
	vm_boot bios nvme "$VM_TMP/dialog" 600 kernel
for m in m1 m2 g1 g2 f1 f2; do
	case $m in f*) type=ddf_raid_member ;; *) type=isw_raid_member ;; esac
	blkid -p -o value -s TYPE "$VM_TMP/$m.img" | grep -qx "$type" || vm_fail "boot 1 made no $type on $m"
done
for m in m1 m2; do cp --sparse=always "$VM_TMP/$m.img" "$VM_TMP/$m.orig"; done
sha256sum "$VM_TMP/g2.img" | cut -d' ' -f1 >"$VM_TMP/g2.sum"
VM_DISK=$VM_TMP/m1.img vm_windows_snapshot before
echo "ok: boot 1 made two IMSM RAID1 sets and a DDF RAID1 set holding the Windows disk"

vm_make_stick "$VM_TMP/stick.img" "mode=auto
after=poweroff
delay=0"
cat >"$VM_TMP/dialog" <<'STEPS'
expect assembling software RAID sets \(mdadm\)
expect member of RAID set md
expect RAID set md[0-9]+ is degraded: 1 member missing
expect done, exit code 1: fixed
expect powering off
STEPS
VM_APPEND=IMSM_NO_PLATFORM=1 VM_EXTRA="$members $others" vm_boot bios none "$VM_TMP/dialog" 600 kernel
for m in m1 m2 g1 f1 f2; do
	echo "--- member $m:"
	VM_DISK=$VM_TMP/$m.img vm_check_fixed
done
windows_of() { dd if="$VM_TMP/$1.img" bs=1M skip="$VM_WIN_START" count="$VM_WIN_MIB" status=none; }
for set in m f; do
	windows_of "${set}1" >"$VM_TMP/w1"
	windows_of "${set}2" >"$VM_TMP/w2"
	cmp -s "$VM_TMP/w1" "$VM_TMP/w2" || vm_fail "the Windows volumes of ${set}1 and ${set}2 differ"
done
rm -f "$VM_TMP/w1" "$VM_TMP/w2"
echo "ok: both members of the IMSM set and of the DDF set carry the same fixed Windows volume (byte-identical)"
[ "$(sha256sum "$VM_TMP/g2.img" | cut -d' ' -f1)" = "$(cat "$VM_TMP/g2.sum")" ] ||
	vm_fail "the missing member g2 changed"
vm_check_reports
jq -e '[.storage.disks[] | select(.transport == "md" and .degraded == 1)] | length == 1' \
	"$VM_TMP/report.json" >/dev/null || vm_fail "the JSON report names no degraded set"
jq -e '[.storage.notes[] | select(test("is degraded: 1 member missing"))] | length == 1' \
	"$VM_TMP/report.json" >/dev/null || vm_fail "the JSON report's notes do not name the degraded set"
grep -q 'Storage seen by winrescue' "$VM_TMP/console.log" || vm_fail "the table shows no storage block"
echo "ok: the degraded set was fixed through its surviving member, the missing member is unchanged, the report names the set as degraded"

for m in m1 m2; do
	mv "$VM_TMP/$m.orig" "$VM_TMP/$m.img"
	sha256sum "$VM_TMP/$m.img" | cut -d' ' -f1 >"$VM_TMP/$m.sum"
done
vm_make_stick "$VM_TMP/stick.img" "mode=auto
after=poweroff
delay=0"
cat >"$VM_TMP/dialog" <<'STEPS'
expect member of an Intel RST \(IMSM\) RAID set that is not assembled: not written
expect done, exit code 8
expect powering off
STEPS
VM_APPEND="IMSM_NO_PLATFORM=1 modprobe.blacklist=raid1" VM_EXTRA=$members \
	vm_boot bios none "$VM_TMP/dialog" 400 kernel
for m in m1 m2; do
	[ "$(sha256sum "$VM_TMP/$m.img" | cut -d' ' -f1)" = "$(cat "$VM_TMP/$m.sum")" ] ||
		vm_fail "member $m changed although its set was not assembled"
done
vm_check_reports
jq -e '.exit_code == 8 and ([.volumes[] | select(.filesystem == "isw_raid_member" and .status == "error")] | length == 2)' \
	"$VM_TMP/report.json" >/dev/null || vm_fail "the report does not name both members as not written"
echo "ok: assembly prevented: both members reported, neither written"

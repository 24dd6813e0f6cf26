#!/bin/sh
# An Intel RST (IMSM) RAID1 of two disks holding the Windows disk. Boot 1 makes the
# set inside the VM (mdadm, IMSM_NO_PLATFORM=1: qemu has no RST option ROM) and
# copies the Windows disk onto it. Boot 2, unattended: the set is assembled and
# fixed; afterwards both member disks, read from the host, carry the same Windows
# volume with exactly the channel files gone. Boot 3, the same set as before the fix
# with assembly prevented (the raid1 personality withheld): both members are reported
# ("member of an Intel RST (IMSM) RAID set ... not written"), exit 8, and neither
# member changed by one byte.
. "$WR_SOURCE/tests/vm/vmlib.sh"
vm_init
vm_make_windows_disk "$VM_TMP/disk.img"
for m in m1 m2; do truncate -s 400M "$VM_TMP/$m.img"; done
# On AHCI with serial numbers: IMSM records each member's serial (mdadm reads it by
# SCSI inquiry, which virtio-blk does not answer).
members="-drive if=none,id=m1,format=raw,file=$VM_TMP/m1.img -device ide-hd,drive=m1,bus=ide.1,serial=WRIMSM1
	-drive if=none,id=m2,format=raw,file=$VM_TMP/m2.img -device ide-hd,drive=m2,bus=ide.2,serial=WRIMSM2"

vm_make_stick "$VM_TMP/stick.img" "mode=shell"
cat >"$VM_TMP/dialog" <<'STEPS'
expect Press Enter for a shell
send \r
expect # 
send M=$(for d in /sys/block/sd*; do [ $(cat $d/size) = 819200 ] && echo /dev/${d##*/}; done); mdadm --create /dev/md/imsm0 -e imsm -n 2 $M --run && mdadm --create /dev/md/vol0 -l 1 -n 2 /dev/md/imsm0 --assume-clean --run && dd if=/dev/nvme0n1 of=/dev/md/vol0 bs=1M conv=fsync && echo "CREATED-$(echo OK)"\r
expect CREATED-OK
send mdadm --wait-clean --scan; mdadm --stop --scan; echo "STOP$(echo PED)"\r
expect STOPPED
send poweroff -f\r
STEPS
VM_APPEND=IMSM_NO_PLATFORM=1 VM_EXTRA=$members vm_boot bios nvme "$VM_TMP/dialog" 400 kernel
blkid -p -o value -s TYPE "$VM_TMP/m1.img" | grep -qx isw_raid_member || vm_fail "boot 1 made no IMSM member"
for m in m1 m2; do cp --sparse=always "$VM_TMP/$m.img" "$VM_TMP/$m.orig"; done
VM_DISK=$VM_TMP/m1.img vm_windows_snapshot before
echo "ok: boot 1 made an IMSM RAID1 of two disks holding the Windows disk"

vm_make_stick "$VM_TMP/stick.img" "mode=auto
after=poweroff
delay=0"
cat >"$VM_TMP/dialog" <<'STEPS'
expect assembling software RAID sets \(mdadm\)
expect member of RAID set md
expect done, exit code 1: fixed
expect powering off
STEPS
VM_APPEND=IMSM_NO_PLATFORM=1 VM_EXTRA=$members vm_boot bios none "$VM_TMP/dialog" 400 kernel
for m in m1 m2; do
	echo "--- member $m:"
	VM_DISK=$VM_TMP/$m.img vm_check_fixed
done
dd if="$VM_TMP/m1.img" of="$VM_TMP/w1" bs=1M skip="$VM_WIN_START" count="$VM_WIN_MIB" status=none
dd if="$VM_TMP/m2.img" of="$VM_TMP/w2" bs=1M skip="$VM_WIN_START" count="$VM_WIN_MIB" status=none
cmp -s "$VM_TMP/w1" "$VM_TMP/w2" || vm_fail "the two members' Windows volumes differ"
echo "ok: both members carry the same fixed Windows volume (byte-identical)"
rm -f "$VM_TMP/w1" "$VM_TMP/w2"

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

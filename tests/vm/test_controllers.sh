#!/bin/sh
# One boot, eleven Windows disks, each behind another storage controller qemu 7.2
# emulates: NVMe (512-byte and 4096-byte logical blocks, the latter with a
# 4096-byte-sector NTFS), AHCI, virtio-blk, virtio-scsi, MegaRAID SAS (megasas-gen2),
# LSI SAS1068 (mptsas1068), VMware PVSCSI, LSI 53C895A, USB mass storage and an SD
# card on SDHCI. The stick, unattended, must find and fix every one; each disk is
# then read from the host: exactly the channel files are gone, the rest intact.
# The SAS disk needs a wwn: qemu gives the attached device that SAS address (0 by
# default), and Linux's mptsas ignores a phy whose device has address 0. A real SAS
# disk always has one.
. "$WR_SOURCE/tests/vm/vmlib.sh"
vm_init

# name  qemu devices (DRIVE stands for the disk's drive id)
cat >"$VM_TMP/controllers" <<'LIST'
nvme        -device nvme,drive=DRIVE,serial=WRNVME512
nvme4k      -device nvme,drive=DRIVE,serial=WRNVME4K,logical_block_size=4096,physical_block_size=4096
ahci        -device ide-hd,drive=DRIVE,bus=ide.1
virtioblk   -device virtio-blk-pci,drive=DRIVE
virtioscsi  -device virtio-scsi-pci,id=c_virtioscsi -device scsi-hd,drive=DRIVE,bus=c_virtioscsi.0
megasas     -device megasas-gen2,id=c_megasas -device scsi-hd,drive=DRIVE,bus=c_megasas.0
mptsas      -device mptsas1068,id=c_mptsas -device scsi-hd,drive=DRIVE,bus=c_mptsas.0,wwn=0x5000c50015ea71ac
pvscsi      -device pvscsi,id=c_pvscsi -device scsi-hd,drive=DRIVE,bus=c_pvscsi.0
lsi         -device lsi53c895a,id=c_lsi -device scsi-hd,drive=DRIVE,bus=c_lsi.0
usb         -device usb-storage,drive=DRIVE
sd          -device sdhci-pci -device sd-card,drive=DRIVE
LIST

# A 4Kn disk: GPT in 4096-byte sectors, one Windows NTFS with 4096-byte sectors at 1 MiB.
make_4kn_disk() {
	truncate -s "${VM_WIN_MIB}M" "$VM_TMP/vol4k.img"
	mkntfs -F -Q -q -T -s 4096 -c 4096 -L Windows "$VM_TMP/vol4k.img" >/dev/null 2>&1 ||
		vm_fail "mkntfs -s 4096 failed"
	"$WR_TOOLS/wr-mkfixture" "$VM_TMP/vol4k.img" "$VM_SPECS/windows.spec" ||
		vm_fail "could not fill the 4096-byte-sector volume"
	truncate -s $((VM_WIN_MIB + 2))M "$1"
	# Debian 12's sfdisk has no --sector-size: a loop device with 4096-byte blocks has them.
	loop=$(losetup -b 4096 -f --show "$1") || vm_fail "no loop device for the 4Kn disk"
	printf 'label: gpt\nstart=256, size=%d, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n' \
		$((VM_WIN_MIB * 256)) | sfdisk -q --no-reread --no-tell-kernel "$loop" >/dev/null
	sf=$?
	losetup -d "$loop"
	[ $sf -eq 0 ] || vm_fail "sfdisk on the 4096-byte loop device failed"
	dd if="$VM_TMP/vol4k.img" of="$1" bs=1M seek=1 conv=notrunc,sparse status=none
	rm -f "$VM_TMP/vol4k.img"
}

win_start() { [ "$1" = nvme4k ] && echo 1 || echo "$VM_WIN_START"; }

# Each copy gets its own NTFS serial (boot sector offset 0x48), as real disks have.
set_serial() {  # IMG START_MIB N
	printf %b "\\0$(printf %o "$3")" | dd of="$1" bs=1 seek=$(($2 * 1048576 + 72)) conv=notrunc status=none
}

vm_make_windows_disk "$VM_TMP/template.img"
extra=
while read -r name devices; do
	img=$VM_TMP/$name.img
	if [ "$name" = nvme4k ]; then
		make_4kn_disk "$img"
	else
		cp --sparse=always "$VM_TMP/template.img" "$img"
	fi
	# An SD card's size must be a power of two; the GPT backup moves to the new end.
	if [ "$name" = sd ]; then
		truncate -s 512M "$img"
		sfdisk -q --relocate gpt-bak-std "$img" >/dev/null 2>&1 || vm_fail "sfdisk --relocate failed"
	fi
	n=$((${n:-0} + 1))
	set_serial "$img" "$(win_start "$name")" "$n"
	# The copies hold the same files: one listing for them, one for the 4Kn disk.
	if [ "$name" = nvme ] || [ "$name" = nvme4k ]; then
		VM_DISK=$img VM_WIN_START=$(win_start "$name") vm_windows_snapshot "before-$name"
	fi
	extra="$extra -drive if=none,id=d_$name,format=raw,file=$img $(echo "$devices" | sed "s/DRIVE/d_$name/")"
done <"$VM_TMP/controllers"
rm -f "$VM_TMP/template.img"

vm_make_stick "$VM_TMP/stick.img" "mode=auto
after=poweroff
delay=0"
cat >"$VM_TMP/dialog" <<'STEPS'
expect mode auto
expect waiting until no more disks appear
expect done, exit code 1: fixed
expect powering off
STEPS
VM_EXTRA=$extra vm_boot bios none "$VM_TMP/dialog" 600 kernel
vm_check_reports
jq -e '.result == "fixed" and .exit_code == 1' "$VM_TMP/report.json" >/dev/null ||
	vm_fail "the report's result is not fixed"
while read -r name devices; do
	ref=nvme
	[ "$name" = nvme4k ] && ref=nvme4k
	for f in list sums; do cp "$VM_TMP/before-$ref.$f" "$VM_TMP/before.$f"; done
	echo "--- $name:"
	VM_DISK=$VM_TMP/$name.img VM_WIN_START=$(win_start "$name") vm_check_fixed
done <"$VM_TMP/controllers"
echo "ok: all $(wc -l <"$VM_TMP/controllers") disks found and fixed"

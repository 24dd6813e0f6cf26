#!/bin/sh
# winrescue's userspace BitLocker device against the kernel's dm-crypt, in one boot
# (SeaBIOS, kernel and initramfs given to qemu, four virtio disks; the stick's shell
# runs tests/vm/bitlocker-dm-guest.sh). dm-crypt is set up by libcryptsetup with the
# volume key libcryptsetup itself unwraps on the host (wr-dm-bitlk), not by winrescue.
# Volumes: the fixture builder's XTS-128, XTS-256, CBC-128, CBC-256 and XTS with
# 4096-byte sectors (a Windows-made header and metadata around the Windows-like NTFS),
# an Elephant-128 volume (AES-CBC + diffuser, which the fixture builder cannot make: the
# same NTFS stored through wr-bde into a copy of the Windows-made image, as
# host/test_bitlocker_userspace_fix makes it), a suspended volume (clear key: the same,
# in a copy of the Windows-made clear-key image), and every Windows-made image of
# ../shared/testdata/bitlk that dm-crypt maps.
# - Differential: the whole plaintext dm-crypt decrypts in the VM equals, sector by
#   sector, what the userspace device reads on the host (wr-bde cat).
# - userspace -> dm-crypt: each fixture (Elephant and the suspended volume included),
#   fixed on the host with --bitlocker-io userspace (no key for the suspended one), read
#   back through dm-crypt: exactly the channel files are gone, every other file is
#   identical (the differential above reads these fixed volumes). libcryptsetup 2.6.1
#   refuses to activate a suspended volume or give its key, so that one is mapped with a
#   table: libcryptsetup's layout (bitlkDump) and the FVEK dislocker unwraps.
# - dm-crypt -> userspace: each fixture but the suspended one, fixed in the VM with --bitlocker-io dm (one
#   winrescue run, keys file), read back on the host through the userspace device: the same.
#   The suspended volume is mapped read-write in the VM with its table, and winrescue
#   fixes the NTFS that dm-crypt shows; read back here through the userspace device.
. "$WR_SOURCE/tests/vm/vmlib.sh"
. "$WR_SOURCE/tests/vm/bitlocker-lib.sh"
vm_init
vm_bitlocker_init
wr_bitlk_unpack || vm_fail "cannot unpack the BitLocker images"
imgs=$WR_BITLK_CACHE/bitlk-images
fixtures="bitlk-aes-xts-128 bitlk-aes-xts-256 bitlk-aes-cbc-128 bitlk-aes-cbc-256 bitlk-aes-xts-128-4k"
elephant=bitlk-aes-cbc-elephant-128
elephant_ntfs=$((100 * 1048576))  # as in host/test_bitlocker_userspace_fix
suspended=bitlk-aes-xts-128-clearkey-only
nfix=$(($(echo "$fixtures" | wc -w) + 1))
# Left out: the Windows-made suspended (clear-key; its data area is blanked in the
# archive, and the suspended volume above is a copy of it), encrypt-on-write and
# partially encrypted images (no dm-crypt mapping of them is independent of winrescue)
# and To Go (FAT inside; winrescue refuses it).
windows="bitlk-aes-xts-128 bitlk-aes-xts-256 bitlk-aes-cbc-128 bitlk-aes-cbc-256
bitlk-aes-cbc-elephant-128 bitlk-aes-cbc-elephant-256 bitlk-aes-xts-128-4k bitlk-aes-cbc-128-4k
bitlk-aes-xts-128-crc bitlk-aes-xts-128-first-recovery bitlk-aes-xts-128-new-entry
bitlk-aes-xts-128-smart-card bitlk-aes-xts-128-startup-key bitlk-aes-xts-128-startup-key-win11
bitlk-aes-xts-128-two-recovery bitlk-aes-xts-128-unicode"
guest=$VM_TMP/dm
mkdir "$guest"
cp "$WR_TOOLS/wr-dm-bitlk" "$VM_HERE/bitlocker-dm-guest.sh" "$guest/"
printf '\357\273\277KeyID,RecoveryKey\r\n' >"$guest/keys.csv"

# volumes: one line per volume the VM decrypts: PART NAME FILE RP SEEK_MIB MIB [NTFS_BYTES]
: >"$VM_TMP/volumes"
add_volume() {  # add_volume NAME FILE RP [NTFS_BYTES]; RP "clear": suspended
	n=$(($(wc -l <"$VM_TMP/volumes") + 1))
	mib=$(($(stat -c %s "$2") / 1048576))
	seek=$(awk '{ s += $6 } END { print s + 0 }' "$VM_TMP/volumes")
	if [ "$3" = clear ]; then
		vm_bitlk_suspended_table "$2" >"$guest/$n.table" ||
			vm_fail "$1: no dm-crypt table from bitlkDump and dislocker's key"
	else
		"$WR_TOOLS/wr-dm-bitlk" key "$2" "$3" >"$guest/$n.key" || vm_fail "$1: libcryptsetup gives no volume key"
	fi
	echo "$n $1 $2 $3 $seek $mib ${4:-}" >>"$VM_TMP/volumes"
	echo "$n $1 $seek" >>"$guest/plan"
}

# before NAME: the manifest of the volume $VM_TMP/NAME.u just made, from its plaintext
# NAME.u.plain.
before() {
	"$WR_TOOLS/wr-ntfs-manifest" "$VM_TMP/$1.u.plain" | LC_ALL=C sort >"$VM_TMP/$1.before"
	rm -f "$VM_TMP/$1.u.plain"
}

# fix_userspace NAME RP [NTFS_BYTES]: NAME.u fixed here through the userspace device
# (with no key for RP "clear"), to be read back by dm-crypt in the VM.
fix_userspace() {
	key=
	[ "$2" = clear ] || key=$2
	rc=0
	"$WINRESCUE" fix --yes --no-prompt --no-backup --bitlocker-io userspace ${key:+--recovery-key "$key"} \
		--report "$VM_TMP/$1.json" "$VM_TMP/$1.u" >"$VM_TMP/out" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] && jq -e '.volumes[0].unlocked_via == "userspace"' "$VM_TMP/$1.json" >/dev/null ||
		{ cat "$VM_TMP/out"; vm_fail "$1: the fix through the userspace device did not run (exit $rc)"; }
	add_volume "$1-fixed-userspace" "$VM_TMP/$1.u" "$2" ${3:+"$3"}
}

# round_trip NAME RP KEY_ID [NTFS_BYTES]: the volume $VM_TMP/NAME.u just made twice:
# fixed here through the userspace device (read back by dm-crypt in the VM), and as made
# (NAME.d, fixed in the VM through dm-crypt, read back here). pairs: one line per volume
# fixed in the VM: NAME RP [NTFS_BYTES].
dm_parts=
round_trip() {
	before "$1"
	cp --sparse=always "$VM_TMP/$1.u" "$VM_TMP/$1.d"
	echo "$1 $2 ${4:-}" >>"$VM_TMP/pairs"
	printf '{%s},%s\r\n' "$3" "$2" >>"$guest/keys.csv"
	dm_parts="$dm_parts ntfs:$VM_TMP/$1.d"
	fix_userspace "$1" "$2" ${4:+"$4"}
}
for t in $fixtures; do
	wr_make_bitlocker_volume "$VM_TMP/$t.u" "$VM_SPECS/windows.spec" "$t" ||
		vm_fail "could not make the $t volume"
	round_trip "$t" "$WR_BITLK_RP" "$WR_BITLK_KEYID"
done
rp=$(wr_bitlk_conf "$elephant" RP) && keyid=$(wr_bitlk_conf "$elephant" RP_VMK_GUID) &&
	wr_bitlk_store_volume "$VM_TMP/$elephant.u" "$elephant" "$rp" "$VM_SPECS/windows.spec" "$elephant_ntfs" ||
	vm_fail "could not make the $elephant volume"
round_trip "$elephant" "$rp" "$keyid" "$elephant_ntfs"
wr_bitlk_store_volume "$VM_TMP/$suspended.u" "$suspended" clear "$VM_SPECS/windows.spec" ||
	vm_fail "could not make the suspended volume"
before "$suspended"
cp --sparse=always "$VM_TMP/$suspended.u" "$VM_TMP/sus.img"
vm_bitlk_suspended_table "$VM_TMP/sus.img" >"$guest/sus.table" ||
	vm_fail "$suspended: no dm-crypt table from bitlkDump and dislocker's key"
fix_userspace "$suspended" clear
jq -e '.volumes[0].suspended == true' "$VM_TMP/$suspended.json" >/dev/null ||
	vm_fail "$suspended: the report of the fix does not say BitLocker is suspended"
echo "ok: the $((nfix + 1)) volumes fixed on the host through the userspace device (the suspended one with no key)"
for w in $windows; do
	add_volume "$w" "$imgs/$w.img" "$(wr_bitlk_conf "$w" RP)"
done

# shellcheck disable=SC2046,SC2086 # one argument per partition
wr_make_disk "$VM_TMP/src.img" gpt $(awk '{ print "ntfs:" $3 }' "$VM_TMP/volumes") &&
	wr_make_disk "$VM_TMP/dm.img" gpt $dm_parts || vm_fail "could not make the disks"
truncate -s "$(awk '{ s += $6 } END { print s }' "$VM_TMP/volumes")M" "$VM_TMP/out.img"
vm_make_stick "$VM_TMP/stick.img" "mode=shell"
mcopy -s -i "$VM_TMP/stick.img@@$VM_STICK_OFFSET" "$guest" ::/winrescue/

disk() {  # disk NAME [readonly]: a virtio disk whose serial number is NAME
	echo "-drive if=none,id=$1,format=raw,file=$VM_TMP/$1.img${2:+,readonly=on}" \
		"-device virtio-blk-pci,drive=$1,serial=wr$1"
}
# The echo is typed as wr-dm-""end so that only its output matches.
cat >"$VM_TMP/dialog" <<'STEPS'
expect Press Enter for a shell
send \r
expect shell on
sleep 1
send mkdir -p /m && mount $(findfs LABEL=WINRESCUE) /m && cp -r /m/winrescue/dm /tmp/ && sh /tmp/dm/bitlocker-dm-guest.sh /tmp/dm; cp /tmp/dm/fix.json /m/winrescue/dm/; umount /m; echo wr-dm-""end; poweroff -f\r
expect wr-dm fix rc=
expect wr-dm-end
STEPS
# -cpu max: AES-NI, as rescued PCs have (dm-crypt under TCG decrypts about twice as fast).
VM_EXTRA="-cpu max $(disk src readonly) $(disk dm) $(disk out) $(disk sus)" vm_boot bios none "$VM_TMP/dialog" 1400 kernel
tr -d '\r' <"$VM_TMP/console.log" | grep '^wr-dm '

# Differential, and the userspace-written fixtures as dm-crypt reads them.
while read -r n name file rp seek mib ntfs; do
	grep -q "^wr-dm read $name rc=0 " "$VM_TMP/console.log" || vm_fail "$name: dm-crypt did not read it in the VM"
	dd if="$VM_TMP/out.img" of="$VM_TMP/dm.plain" bs=1M skip="$seek" count="$mib" status=none
	diff=$(wr_bitlk_first_difference "$VM_TMP/dm.plain" "$WR_TOOLS/wr-bde" cat "$file" "$rp" -)
	[ -z "$diff" ] || vm_fail "$name: the userspace device and dm-crypt differ first at sector $diff"
	case $file in
	*.u) vm_check_plain_fixed "$VM_TMP/dm.plain" "${file%.u}.before" \
		"$name: written through the userspace device, read back through dm-crypt" ${ntfs:+"$ntfs"} ;;
	esac
done <"$VM_TMP/volumes"
echo "ok: every volume reads the same through the userspace device and through dm-crypt, sector by sector"

# The volumes winrescue fixed in the VM through dm-crypt, read back here through the
# userspace device.
s="$VM_TMP/stick.img@@$VM_STICK_OFFSET"
grep -q '^wr-dm fix rc=1 ' "$VM_TMP/console.log" || vm_fail "winrescue fix --bitlocker-io dm did not exit 1 (fixed) in the VM"
mcopy -n -i "$s" ::/winrescue/dm/fix.json "$VM_TMP/fix.json" || vm_fail "no report of the fix in the VM"
jq -e --argjson n "$nfix" '.result == "fixed" and
	([.volumes[] | select(.encryption == "bitlocker" and .unlocked_via == "dm-crypt")] | length) == $n' \
	"$VM_TMP/fix.json" >/dev/null || vm_fail "the report does not show every volume opened through dm-crypt"
start=1
while read -r t rp ntfs; do
	mib=$(($(stat -c %s "$VM_TMP/$t.d") / 1048576))
	dd if="$VM_TMP/dm.img" of="$VM_TMP/$t.d" bs=1M skip="$start" count="$mib" status=none
	start=$((start + mib))
	"$WR_TOOLS/wr-bde" cat "$VM_TMP/$t.d" "$rp" "$VM_TMP/user.plain" ||
		vm_fail "$t: the userspace device cannot read the volume fixed through dm-crypt"
	vm_check_plain_fixed "$VM_TMP/user.plain" "$VM_TMP/$t.before" \
		"$t: written through dm-crypt, read back through the userspace device" ${ntfs:+"$ntfs"}
done <"$VM_TMP/pairs"
tr -d '\r' <"$VM_TMP/console.log" | grep -q '^wr-dm sus rc=1$' ||
	vm_fail "$suspended: winrescue did not fix the NTFS dm-crypt shows (mapped with its table) in the VM"
"$WR_TOOLS/wr-bde" cat "$VM_TMP/sus.img" clear "$VM_TMP/user.plain" ||
	vm_fail "$suspended: the userspace device cannot read the volume fixed through dm-crypt"
vm_check_plain_fixed "$VM_TMP/user.plain" "$VM_TMP/$suspended.before" \
	"$suspended: written through dm-crypt, read back through the userspace device (no key)"

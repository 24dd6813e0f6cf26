#!/bin/sh
# tests/vm/bitlocker-dm-guest.sh DIR: runs inside the VM of test_bitlocker_dm.sh (the
# rescue media's shell, busybox), from DIR (a copy of the stick's winrescue/dm folder):
# 1. each line "PART NAME SEEK_MIB" of DIR/plan: partition PART of the disk "wrsrc" is
#    mapped read-only through dm-crypt (wr-dm-bitlk, volume key in DIR/PART.key, or the
#    table in DIR/PART.table for a suspended volume) and its
#    whole plaintext copied to the disk "wrout" at SEEK_MIB MiB, for the host to compare;
# 2. winrescue fixes every partition of the disk "wrdm" through dm-crypt
#    (--bitlocker-io dm, keys from DIR/keys.csv), report in DIR/fix.json;
# 3. the suspended volume of the disk "wrsus", which libcryptsetup does not activate,
#    is mapped read-write with the table DIR/sus.table and winrescue fixes the NTFS
#    dm-crypt shows (winrescue opens no BitLocker there: dm-crypt does the writing).
# Disks are found by the virtio serial numbers the host gave them. One line per step:
#   wr-dm read NAME rc=RC s=SECONDS / wr-dm fix rc=RC s=SECONDS / wr-dm sus rc=RC
dir=$1
PATH=$dir:$PATH

disk() {
	for b in /sys/block/vd*; do
		[ "$(cat "$b/serial" 2>/dev/null)" = "$1" ] && { echo "/dev/${b##*/}"; return 0; }
	done
	echo "wr-dm: no disk with serial $1" >&2
	return 1
}

seconds() { cut -d' ' -f1 /proc/uptime; }

since() { echo "$(seconds) $1" | awk '{ printf "%.1f", $1 - $2 }'; }

# table NAME DEV TABLE [rw]: the table TABLE (device @DEV@) on DEV as /dev/mapper/NAME.
table() {
	sed "s|@DEV@|$2|g" "$3" >"/tmp/$1.table" && wr-dm-bitlk table "$1" "/tmp/$1.table" ${4:+"$4"}
}

# map DEV BASE: DEV as /dev/mapper/wrdiff, with libcryptsetup and the volume key in
# BASE.key, or with the table in BASE.table (a volume libcryptsetup does not activate).
map() {
	if [ -f "$2.table" ]; then
		table wrdiff "$1" "$2.table"
	else
		wr-dm-bitlk open "$1" wrdiff "$2.key"
	fi
}

src=$(disk wrsrc) out=$(disk wrout) dm=$(disk wrdm) || exit 1
while read -r part name seek; do
	t0=$(seconds)
	rc=0
	map "$src$part" "$dir/$part" &&
		dd if=/dev/mapper/wrdiff of="$out" bs=4M iflag=direct oflag=direct,seek_bytes \
			seek=$((seek * 1048576)) conv=fsync 2>/dev/null || rc=1
	[ ! -e /dev/mapper/wrdiff ] || wr-dm-bitlk close wrdiff || rc=1
	echo "wr-dm read $name rc=$rc s=$(since "$t0")"
done <"$dir/plan"

t0=$(seconds)
# shellcheck disable=SC2046 # one argument per partition
winrescue fix --yes --no-prompt --no-backup --bitlocker-io dm --keys "$dir/keys.csv" \
	--report "$dir/fix.json" $(ls "$dm"?*) >"$dir/fix.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || cat "$dir/fix.out"
echo "wr-dm fix rc=$rc s=$(since "$t0")"

rc=0
sus=$(disk wrsus) && table wrsus "$sus" "$dir/sus.table" rw || rc=2
[ "$rc" -ne 0 ] || winrescue fix --yes --no-prompt --no-backup /dev/mapper/wrsus >"$dir/sus.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || cat "$dir/sus.out"
sync
[ ! -e /dev/mapper/wrsus ] || wr-dm-bitlk close wrsus || rc=3
echo "wr-dm sus rc=$rc"

#!/bin/sh
# tests/vm/bitlocker-dm-guest.sh DIR: runs inside the VM of test_bitlocker_dm.sh (the
# rescue media's shell, busybox), from DIR (a copy of the stick's winrescue/dm folder):
# 1. each line "PART NAME SEEK_MIB" of DIR/plan: partition PART of the disk "wrsrc" is
#    mapped read-only through dm-crypt (wr-dm-bitlk, volume key in DIR/PART.key) and its
#    whole plaintext copied to the disk "wrout" at SEEK_MIB MiB, for the host to compare;
# 2. winrescue fixes every partition of the disk "wrdm" through dm-crypt
#    (--bitlocker-io dm, keys from DIR/keys.csv), report in DIR/fix.json.
# Disks are found by the virtio serial numbers the host gave them. One line per step:
#   wr-dm read NAME rc=RC s=SECONDS / wr-dm fix rc=RC s=SECONDS
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

src=$(disk wrsrc) out=$(disk wrout) dm=$(disk wrdm) || exit 1
while read -r part name seek; do
	t0=$(seconds)
	rc=0
	wr-dm-bitlk open "$src$part" wrdiff "$dir/$part.key" &&
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

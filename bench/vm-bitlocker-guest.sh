#!/bin/sh
# bench/vm-bitlocker-guest.sh RUNS PART KEYFILE: runs inside the benchmark VM (started by
# bench/vm-bitlocker.sh, media built with WR_IMAGE_EXTRA). RUNS rounds, each timing once:
# winrescue's start (--version), the key derivation alone, winrescue's unlock + fix
# through dm-crypt and through its userspace device (the same volume), and the peers' two
# pipelines, on the BitLocker partition PART, which is restored from a copy in RAM before
# each run that writes, with the page cache dropped before every run. One line a run:
#   wr-bench case=NAME run=N ms=MS rc=RC left=FILES
# (left: Channel File 291 files still on the volume afterwards; "-" where not checked).
# Times come from /proc/uptime, in 10 ms steps: runs take seconds under TCG.
runs=$1 part=$2 keyfile=$3
rp=$(cat "$keyfile")
cs=Windows/System32/drivers/CrowdStrike
mkdir -p /mnt/ntfs /mnt/fve

# Centiseconds since boot.
now() {
	read -r up _ </proc/uptime
	echo $((${up%.*} * 100 + 1${up#*.} - 100))
}

cold() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

fresh() {
	dd if=/tmp/pristine of="$part" bs=1M conv=fsync 2>/dev/null
	cold
}

# The glob also meets the decoy folder named like a channel file: only files count.
count_left() {
	n=0
	for f in "$1"/$cs/C-00000291*.sys; do [ -f "$f" ] && n=$((n + 1)); done
	echo "$n"
}

# A FUSE mount of a regular file is gone from the mount table before its daemon
# has written everything back; the work is done when the daemon has exited.
wait_exit() {
	while pidof "$1" >/dev/null; do sleep 0.05; done
}

report() { echo "wr-bench case=$1 run=$2 ms=$(($3 * 10)) rc=$4 left=$5"; }

# What is left on the volume, seen through cryptsetup and ntfs-3g (untimed).
left_on_volume() {
	cryptsetup open --readonly --type bitlk --key-file "$keyfile" "$part" wrcheck &&
		ntfs-3g -o ro /dev/mapper/wrcheck /mnt/ntfs || { echo "?"; return; }
	count_left /mnt/ntfs
	umount /mnt/ntfs
	wait_exit ntfs-3g
	cryptsetup close wrcheck
}

# What starting the tool costs under TCG (16 shared libraries to map and relocate).
time_start() {
	t0=$(now)
	winrescue --version >/dev/null
	rc=$?
	report start "$1" $(($(now) - t0)) $rc -
}

time_kdf() {
	cold
	t0=$(now)
	cryptsetup open --test-passphrase --type bitlk --key-file "$keyfile" "$part"
	rc=$?
	report kdf "$1" $(($(now) - t0)) $rc -
}

# time_winrescue CASE RUN IO: winrescue's unlock + fix with --bitlocker-io IO (dm: the
# kernel's dm-crypt; userspace: its own decrypting device, libcrypto, no device-mapper).
time_winrescue() {
	fresh
	t0=$(now)
	winrescue fix --yes --no-backup --no-prompt --bitlocker-io "$3" --recovery-key "$rp" "$part" \
		>/tmp/winrescue.out 2>&1
	rc=$?
	t=$(($(now) - t0))
	left=-
	[ "$2" -eq 1 ] && left=$(left_on_volume)
	[ "$rc" -eq 1 ] || cat /tmp/winrescue.out
	report "$1" "$2" "$t" "$rc" "$left"
}

# peers_run NAME RUN OPEN MOUNTED_FILE CLOSE: OPEN unlocks, ntfs-3g mounts MOUNTED_FILE,
# rm deletes, then unmount and CLOSE; the count of what is left is not timed.
peers_run() {
	fresh
	t0=$(now)
	rc=0
	{ eval "$3" && ntfs-3g "$4" /mnt/ntfs; } >/tmp/peers.out 2>&1 || rc=$?
	rm -f /mnt/ntfs/$cs/C-00000291*.sys 2>/dev/null
	t1=$(now)
	left=$(count_left /mnt/ntfs)
	t2=$(now)
	umount /mnt/ntfs
	wait_exit ntfs-3g
	eval "$5"
	t3=$(now)
	[ "$rc" -eq 0 ] || cat /tmp/peers.out
	report "$1" "$2" $((t1 - t0 + t3 - t2)) "$rc" "$left"
}

dd if="$part" of=/tmp/pristine bs=1M 2>/dev/null || { echo "wr-bench: cannot read $part"; exit 1; }
i=1
while [ "$i" -le "$runs" ]; do
	time_start "$i"
	time_kdf "$i"
	time_winrescue winrescue "$i" dm
	time_winrescue winrescue-userspace "$i" userspace
	peers_run cryptsetup "$i" \
		'cryptsetup open --type bitlk --key-file "$keyfile" "$part" wrbench' /dev/mapper/wrbench \
		'cryptsetup close wrbench'
	peers_run dislocker "$i" \
		'dislocker-fuse -V "$part" -p"$rp" -- /mnt/fve' /mnt/fve/dislocker-file \
		'umount /mnt/fve; wait_exit dislocker-fuse'
	i=$((i + 1))
done

# What an adversarial run found (issue 10), one case per defect: device nodes
# and links given as the report, disks cut short, unreadable disks, images
# attached to loop devices, the same volume twice, outputs that cannot be
# written, FIFOs as inputs, dirty flags left behind, 4Kn disk images.
# Fixtures are made with mkntfs, an ntfs-3g (FUSE) mount, sfdisk, losetup,
# truncate and dd, never with winrescue's own tools; the checks read them with
# ntfsinfo, ntfsls and jq. Writes a summary line to <build>/reliability-adversarial.txt.
. "$WR_SOURCE/tests/host/lib.sh"
. "$WR_SOURCE/tests/host/adversarial_lib.sh"

# mbr_disk DISK MIB VOLUME: an MBR disk with VOLUME as partition 1 at 1 MiB (sfdisk, dd).
mbr_disk() {
	rm -f "$1"; truncate -s "$2M" "$1"
	echo 'start=2048, type=7' | sfdisk -q "$1" >/dev/null
	dd if="$3" of="$1" bs=1M seek=1 conv=notrunc,sparse status=none
}

ntfs_windows "$T/pristine.img" 16
[ "$(channel_files "$T/pristine.img")" -eq 1 ] || fail "fixture: no channel file"
fresh() { cp --sparse=always "$T/pristine.img" "$T/vol.img"; }   # each case on its own copy
fresh

# ---- 1. the report given as a device node, a FIFO, a link -------------------
mknod "$T/null" c 1 3
run_bounded scan --report "$T/null" "$T/vol.img"
expect_rc "report to a character device" 4
[ -c "$T/null" ] && echo "ok: the character device is still one" || fail "the character device was replaced"
mkfifo "$T/fifo"
exec 3<>"$T/fifo"   # a reader that is there before winrescue writes (no race)
run_bounded scan --report "$T/fifo" "$T/vol.img"
dd iflag=nonblock bs=1M count=1 <&3 >"$T/fifo.out" 2>/dev/null || true
exec 3<&-
expect_rc "report to a FIFO" 4
[ -p "$T/fifo" ] && jq -e '.exit_code == 4' "$T/fifo.out" >/dev/null &&
	echo "ok: the report went through the FIFO, which stays" || fail "report to a FIFO: replaced or not read"
run_bounded scan --report "$T/fifo" "$T/vol.img"
expect_rc "report to a FIFO nobody reads (an error, no wait)" 8
echo old >"$T/real.json"; ln -s real.json "$T/link.json"
run_bounded scan --report "$T/link.json" "$T/vol.img"
expect_rc "report to a symbolic link" 4
[ -L "$T/link.json" ] && jq -e '.exit_code == 4' "$T/real.json" >/dev/null &&
	echo "ok: the link stays, its target holds the report" || fail "report to a symbolic link: link replaced"
ln -s null "$T/nulllink"
run_bounded scan --report "$T/nulllink" "$T/vol.img"
expect_rc "report to a link to a character device" 4
[ -L "$T/nulllink" ] && [ -c "$T/null" ] && echo "ok: link and device stay" || fail "link to a device replaced"
mkdir "$T/adir"
run_bounded scan --report "$T/adir" "$T/vol.img"
expect_rc "report to a folder" 8
[ -d "$T/adir" ] && echo "ok: the folder stays" || fail "the folder was replaced"
sha=$(wr_sha256 "$T/vol.img")
run_bounded fix --yes --no-backup --report "$T/adir" "$T/vol.img"
expect_rc "fix with a folder as the report" 8
unchanged "fix with a folder as the report" "$T/vol.img" "$sha"

# ---- 2. a disk image cut short: the partition runs past its end -------------
ntfs_windows "$T/big.img" 40
for cut in 25 40; do
	mbr_disk "$T/cut.img" 42 "$T/big.img"
	truncate -s "${cut}M" "$T/cut.img"     # 40: the last MiB of the volume is missing
	sha=$(wr_sha256 "$T/cut.img")
	run_bounded fix --yes --no-backup "$T/cut.img"
	expect_rc "partition past the end of a disk cut at $cut MiB: fix" 8
	grep -q 'shorter than the NTFS volume' "$T/out" "$T/err" || fail "cut at $cut MiB: the message does not say so"
	unchanged "cut at $cut MiB" "$T/cut.img" "$sha"
	[ "$(stat -c %s "$T/cut.img")" -eq $((cut * 1048576)) ] || fail "cut at $cut MiB: written past the end"
done

# ---- 3. a disk that cannot be read is an error, never "not Windows" ---------
# A loop device (direct I/O) on an image inside an ntfs-3g mount whose driver is
# then killed: every read of the loop device fails with EIO.
mkdir -p "$T/box"
rm -f "$T/box.img"; truncate -s 48M "$T/box.img"; mkntfs -F -Q -q "$T/box.img" >/dev/null 2>&1
ntfs-3g "$T/box.img" "$T/box" && cp "$T/vol.img" "$T/box/disk.img" && umount "$T/box"
ntfs-3g -o no_detach "$T/box.img" "$T/box" >/dev/null 2>&1 &
driver=$!
# Wait for the mount itself, not a fixed time: a loaded machine may take long.
_w=0
while ! mountpoint -q "$T/box" && [ $_w -lt 600 ]; do sleep 0.1; _w=$((_w + 1)); done
if loop=$(losetup -f --show --direct-io=on "$T/box/disk.img" 2>/dev/null); then
	kill -9 $driver; wait $driver 2>/dev/null || true
	if dd if="$loop" of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null; then
		echo "skipped (unreadable disk): reads of $loop still succeed"
	else
		run_bounded scan --json "$loop"
		expect_rc "a disk whose every read fails (EIO): scan" 8
		jq -e --arg d "$loop" '.volumes[0].device == $d and .volumes[0].status == "error"' "$T/out" \
			>/dev/null && grep -q 'Input/output error' "$T/out" &&
			echo "ok: the error names $loop and the I/O error" || fail "unreadable disk: not named as an error"
		run_bounded fix --yes --no-backup --json "$loop"
		expect_rc "a disk whose every read fails (EIO): fix" 8
	fi
	losetup -d "$loop"
else
	kill -9 $driver; wait $driver 2>/dev/null || true
	echo "skipped (unreadable disk): losetup cannot attach here"
fi
umount -l "$T/box" 2>/dev/null || true
# No targets: a disk that cannot be opened (a block node on a nodev mount, in a
# private mount namespace with a made-up /sys/class/block) is an error, exit 8.
if unshare -m true 2>/dev/null; then
	tried=$((tried + 1))
	rc=0
	unshare -m sh -c 'mount -t tmpfs none /sys/class/block && mkdir /sys/class/block/wrfake &&
		echo 2048 >/sys/class/block/wrfake/size && mount -t tmpfs -o nodev none /dev &&
		mknod /dev/wrfake b 7 250 && exec "$0" scan --json' "$WINRESCUE" >"$T/out" 2>"$T/err" || rc=$?
	expect_rc "no targets, a disk that cannot be opened: scan" 8
	jq -e '.volumes[] | select(.device == "/dev/wrfake") | .status == "error"' "$T/out" >/dev/null &&
		echo "ok: the unopenable disk is named as an error" || fail "the unopenable disk is not named"
else
	echo "skipped (unopenable disk): no private mount namespace here"
fi

# ---- 4. an image attached to a loop device ----------------------------------
fresh
if loop=$(losetup -f --show "$T/vol.img" 2>/dev/null); then
	sha=$(wr_sha256 "$T/vol.img")
	run_bounded fix --yes --no-backup "$T/vol.img"
	losetup -d "$loop"
	expect_rc "image attached to $loop: fix refused" 32
	grep -q "attached to $loop" "$T/out" || fail "the refusal does not name $loop"
	unchanged "image attached to a loop device" "$T/vol.img" "$sha"
	mbr_disk "$T/disk.img" 18 "$T/vol.img"
	sha=$(wr_sha256 "$T/disk.img")
	loop=$(losetup -f --show -o 1048576 "$T/disk.img")
	run_bounded fix --yes --no-backup "$T/disk.img"
	losetup -d "$loop"
	expect_rc "partition attached to a loop device (offset 1 MiB): fix refused" 32
	unchanged "partition attached to a loop device" "$T/disk.img" "$sha"
	loop=$(losetup -f --show --sizelimit 512 "$T/disk.img")
	run_bounded fix --yes --no-backup "$T/disk.img"
	losetup -d "$loop"
	expect_rc "only the partition table attached: the volume is free, fixed" 1
else
	echo "skipped (loop devices): losetup cannot attach here"
fi

# ---- 5. the same volume twice -----------------------------------------------
ntfs_windows "$T/twice.img" 16 2
run_bounded fix --yes --no-backup --json "$T/twice.img" "$T/twice.img"
expect_rc "the same target twice: fixed once" 1
[ "$(jq '.volumes | length' "$T/out")" -eq 1 ] || fail "the same target twice: listed $(jq '.volumes | length' "$T/out") times"
is_dirty "$T/twice.img" && fail "the same target twice: left dirty" || echo "ok: not left dirty"
ntfs_windows "$T/v2.img" 16 2
mbr_disk "$T/twoentries.img" 18 "$T/v2.img"
# Partition entry 2 = entry 1 (16 bytes at 446 copied to 462).
dd if="$T/twoentries.img" bs=1 skip=446 count=16 status=none |
	dd of="$T/twoentries.img" bs=1 seek=462 conv=notrunc status=none
[ "$(sfdisk -J "$T/twoentries.img" | jq '.partitiontable.partitions | length')" -eq 2 ] ||
	fail "fixture: sfdisk does not see two entries"
run_bounded fix --yes --no-backup --json "$T/twoentries.img"
expect_rc "two partition entries, one volume: fixed once" 1
[ "$(channel_files "$T/twoentries.img" 1048576)" -eq 0 ] || fail "two entries: files left"

# ---- 6. report or backups that cannot be written: nothing changes -----------
fresh
sha=$(wr_sha256 "$T/vol.img")
run_bounded fix --yes --report "$T/missing/folder/r.json" --json "$T/vol.img"
expect_rc "report in a missing folder: fix" 8
unchanged "report in a missing folder" "$T/vol.img" "$sha"
echo notafolder >"$T/afile"
run_bounded fix --yes --backup-dir "$T/afile/b" "$T/vol.img"
expect_rc "backups under a regular file: fix" 8
unchanged "backups under a regular file" "$T/vol.img" "$sha"
grep -q 'nothing was changed' "$T/err" || fail "the error does not say nothing was changed"
mkdir -p "$T/ro"
if mount -t tmpfs -o ro,size=64k none "$T/ro" 2>/dev/null; then
	run_bounded fix --yes --report "$T/ro/r.json" --backup-dir "$T/b" --json "$T/vol.img"
	umount "$T/ro"
	expect_rc "report on a read-only mount: fix" 8
	unchanged "report on a read-only mount" "$T/vol.img" "$sha"
else
	echo "skipped (read-only mount): mount -t tmpfs not allowed here"
fi

# ---- 7. SIGTERM in the middle of a fix: the volume in hand is finished, the
# report is written and says so, the next volume is left alone --------------
# gdb stops winrescue at its first delete and sends SIGTERM from inside it: a
# fixed moment, no timing.
if command -v gdb >/dev/null; then
	ntfs_windows "$T/sig1.img" 16 5
	ntfs_windows "$T/sig2.img" 16 2
	tried=$((tried + 1))
	timeout -k 5 "$BOUND" gdb -q -batch -ex 'set breakpoint pending on' \
		-ex 'handle SIGTERM nostop noprint pass' -ex 'break wr_ntfs_unlink' -ex run \
		-ex 'call (int)kill((int)getpid(), 15)' -ex delete -ex continue \
		--args "$WINRESCUE" fix --yes --backup-dir "$T/sigbk" --report "$T/sig.json" \
		"$T/sig1.img" "$T/sig2.img" >"$T/out" 2>&1 || true
	grep -q 'terminated with signal SIGTERM' "$T/out" && echo "ok: SIGTERM mid-fix: the process ended by it" ||
		fail "SIGTERM mid-fix: the process did not end by the signal"
	if jq -e '.interrupted == "SIGTERM" and .exit_code == 143' "$T/sig.json" >/dev/null 2>&1; then
		echo "ok: SIGTERM mid-fix: the report is written, marked interrupted, exit_code 143"
	else
		fail "SIGTERM mid-fix: no report marked interrupted"
	fi
	[ "$(channel_files "$T/sig1.img")" -eq 0 ] && [ "$(ls "$T"/sigbk/*/ | wc -l)" -eq 5 ] &&
		echo "ok: the volume in hand was finished (5 deleted, 5 backups)" || fail "SIGTERM mid-fix: volume 1 not finished"
	[ "$(channel_files "$T/sig2.img")" -eq 2 ] && ! is_dirty "$T/sig2.img" &&
		jq -e '.volumes[1].message | test("interrupted")' "$T/sig.json" >/dev/null 2>&1 &&
		echo "ok: the next volume is untouched and the report says why" || fail "SIGTERM mid-fix: volume 2"
else
	echo "skipped (SIGTERM mid-fix): gdb not installed"
fi

# ---- 8. FIFOs given as key inputs: refused at once, never a wait ------------
# (60 s: far more than a refusal takes even in a sanitizer build under load.)
mkfifo "$T/keyfifo"
for opt in --keys --password-file --bek; do
	BOUND=60 run_bounded scan "$opt" "$T/keyfifo" "$T/vol.img"
	expect_rc "$opt naming a FIFO: refused" 16
	grep -q 'not a regular file' "$T/err" || fail "$opt naming a FIFO: the error does not say why"
done

# ---- 9. a keys file of 32 MiB of blank lines: memory follows the valid rows --
{ echo 'KeyID,RecoveryKey'; yes '' | head -c 33554432; } >"$T/blank.csv"
tried=$((tried + 1))
rc=0
/usr/bin/time -f '%M' -o "$T/rss" "$WINRESCUE" scan --keys "$T/blank.csv" "$T/vol.img" >"$T/out" 2>"$T/err" || rc=$?
expect_rc "keys file of 32 MiB of blank lines: scan" 4
# Peak RSS in KiB: main took 2.5 GiB here; the file is mapped and given back as read.
if [ "$(tail -n1 "$T/rss")" -lt 65536 ]; then echo "ok: peak memory $(tail -n1 "$T/rss") KiB (< 64 MiB)"
else fail "keys file of blank lines: peak memory $(tail -n1 "$T/rss") KiB"; fi

# ---- 10. a channel file compressed by Windows (WOF, compact /EXE) -----------
# Written through ntfs-3g: an empty file, a WofCompressedData stream, and the
# WOF reparse point (tag 0x80000017, provider 2 = file, XPRESS4K).
if command -v setfattr >/dev/null; then
	cp --sparse=always "$T/pristine.img" "$T/wof.img"
	ntfs-3g "$T/wof.img" "$T/mnt"
	wof="$T/mnt/$CS/C-00000291-00000000-00000040.sys"
	: >"$wof"
	setfattr -n user.WofCompressedData -v 0xAAAAAAAA0102 "$wof"
	setfattr -n system.ntfs_reparse_data -v 0x170000801000000001000000020000000100000000000000 "$wof"
	umount "$T/mnt"
	run_bounded scan --json "$T/wof.img"
	expect_rc "WOF-compressed channel file: scan" 4
	[ "$(jq '[.volumes[].files[]] | length' "$T/out")" -eq 2 ] && echo "ok: the WOF file is listed" ||
		fail "the WOF-compressed file is not listed"
	run_bounded fix --yes --backup-dir "$T/wofbk" --json "$T/wof.img"
	expect_rc "WOF-compressed channel file, with backups: the fix says it is kept" 8
	[ "$(channel_files "$T/wof.img")" -eq 1 ] && grep -q 'WOF' "$T/out" &&
		echo "ok: the WOF file is kept, with the reason" || fail "WOF with backups: not kept or not said"
	run_bounded fix --yes --no-backup --json "$T/wof.img"
	expect_rc "WOF-compressed channel file, --no-backup: deleted" 1
	[ "$(channel_files "$T/wof.img")" -eq 0 ] || fail "WOF --no-backup: the file is still there"
else
	echo "skipped (WOF-compressed file): setfattr (package attr) is not installed"
fi

# ---- 11. a fix that deletes nothing leaves the dirty flag as it was ---------
fresh
mkdir -p "$T/full"
if mount -t tmpfs -o size=16k none "$T/full" 2>/dev/null; then
	run_bounded fix --yes --backup-dir "$T/full" --json "$T/vol.img"
	umount "$T/full"
	expect_rc "backup medium full: nothing deleted" 8
	[ "$(channel_files "$T/vol.img")" -eq 1 ] || fail "backup medium full: a file was deleted"
	if is_dirty "$T/vol.img"; then fail "backup medium full: the volume was left marked dirty"
	else echo "ok: backup medium full: the dirty flag is as it was (clear)"; fi
else
	echo "skipped (full backup medium): mount -t tmpfs not allowed here"
fi

# ---- 12. a GPT disk image of a 4096-byte-sector drive (4Kn) ----------------
rm -f "$T/4kn.img"; truncate -s 24M "$T/4kn.img"
if loop=$(losetup -b 4096 -f --show "$T/4kn.img" 2>/dev/null); then
	printf 'label: gpt\nstart=256, size=4096, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n' |
		sfdisk -q "$loop" >/dev/null 2>&1 || true
	losetup -d "$loop"
	dd if="$T/pristine.img" of="$T/4kn.img" bs=1M seek=1 conv=notrunc status=none
	run_bounded scan --json "$T/4kn.img"
	expect_rc "4Kn GPT image: scan finds the volume" 4
	[ "$(jq '[.volumes[] | select(.filesystem == "ntfs") | .offset] | first' "$T/out")" = 1048576 ] &&
		echo "ok: the partition is read at 256 x 4096 bytes" || fail "4Kn GPT: partition not found at 1 MiB"
	run_bounded fix --yes --no-backup "$T/4kn.img"
	expect_rc "4Kn GPT image: fix" 1
	[ "$(channel_files "$T/4kn.img" 1048576)" -eq 0 ] && echo "ok: 4Kn: the channel file is gone" ||
		fail "4Kn: channel file still there"
else
	echo "skipped (4Kn image): losetup -b 4096 cannot attach here"
fi

adversarial_summary "adversarial cases" reliability-adversarial.txt
finish

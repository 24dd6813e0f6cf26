# What the adversarial run found, second part (issue 10): links named like
# channel files, the dirty flag after a failed delete, read-only images, odd
# things in the backup folder, long names and relative backup folders.
# Fixtures are made with mkntfs, an ntfs-3g (FUSE) mount (ln -s, setfattr),
# mkfifo and mount, never with winrescue's own tools; the checks read them
# with ntfsls, ntfscat, ntfsinfo and jq. Writes a summary line to
# <build>/reliability-adversarial-links.txt.
. "$WR_SOURCE/tests/host/lib.sh"
. "$WR_SOURCE/tests/host/adversarial_lib.sh"

ntfs_windows "$T/pristine.img" 16
fresh() { cp --sparse=always "$T/pristine.img" "$T/vol.img"; }
CHANNEL=C-00000291-00000000-00000032.sys
# ls_cs IMG: the names in the CrowdStrike folder (ntfsls).
ls_cs() { ntfsls -f -p /$CS "$1" 2>/dev/null | grep -v '^\.\.\?$' | sort; }
# reparse HEX FILE: sets a reparse point through the ntfs-3g mount.
reparse() { setfattr -n system.ntfs_reparse_data -v "$1" "$2"; }
# utf16 TEXT: TEXT as UTF-16LE in hex (for reparse data).
utf16() { printf '%s' "$1" | iconv -f UTF-8 -t UTF-16LE | od -An -tx1 -v | tr -d ' \n'; }
le16() { printf '%02x%02x' $(($1 & 255)) $(($1 >> 8)); }
# symlink_data TARGET: a Windows symbolic link's reparse data (tag 0xA000000C,
# substitute and print names both TARGET, relative flag 1).
symlink_data() {
	_n=$(utf16 "$1"); _l=$((${#_n} / 2))
	echo "0x0c0000a0$(le16 $((12 + 2 * _l)))0000$(le16 0)$(le16 $_l)$(le16 $_l)$(le16 $_l)01000000$_n$_n"
}
# junction_data TARGET: a mount point (junction), tag 0xA0000003.
junction_data() {
	_n=$(utf16 "$1"); _l=$((${#_n} / 2))
	echo "0x030000a0$(le16 $((8 + 2 * _l + 4)))0000$(le16 0)$(le16 $_l)$(le16 $((_l + 2)))0000${_n}0000${_n}0000"
}

# ---- links named like channel files: the link goes, never its target --------
if command -v setfattr >/dev/null; then
	fresh
	ntfs-3g "$T/vol.img" "$T/mnt"
	ln -s ../../ntoskrnl.exe "$T/mnt/$CS/C-00000291-00000000-00000050.sys"   # ntfs-3g's own (Interix) link
	: >"$T/mnt/$CS/C-00000291-00000000-00000051.sys"
	reparse "$(symlink_data '..\..\ntoskrnl.exe')" "$T/mnt/$CS/C-00000291-00000000-00000051.sys"
	mkdir "$T/mnt/$CS/C-00000291-00000000-00000052.sys"                       # a folder: stays
	echo inside >"$T/mnt/$CS/C-00000291-00000000-00000052.sys/C-00000291-inside.sys"
	umount "$T/mnt"
	run_bounded scan --json "$T/vol.img"
	expect_rc "links named like channel files: scan lists them" 4
	[ "$(jq '[.volumes[0].files[] | select(.link != null)] | length' "$T/out")" = 2 ] &&
		jq -e '[.volumes[0].files[].link] | index("../../ntoskrnl.exe") and index("..\\..\\ntoskrnl.exe")' \
			"$T/out" >/dev/null && echo "ok: both links listed with where they point" ||
		fail "links named like channel files: not listed as links"
	run_bounded fix --yes --backup-dir "$T/lbk" "$T/vol.img"
	expect_rc "links named like channel files: fix" 1
	[ "$(ls_cs "$T/vol.img")" = C-00000291-00000000-00000052.sys ] &&
		[ "$(ntfscat "$T/vol.img" /Windows/System32/ntoskrnl.exe)" = 'MZ kernel' ] &&
		ntfsls -f -p /$CS/C-00000291-00000000-00000052.sys "$T/vol.img" | grep -q inside &&
		echo "ok: the links and the channel file are gone; ntoskrnl.exe and the folder stay" ||
		fail "links: wrong files removed: $(ls_cs "$T/vol.img" | tr '\n' ' ')"
	[ "$(grep -c 'the link itself was removed' "$T/out")" -eq 2 ] &&
		echo "ok: the report says each link itself was removed" || fail "links: the report does not say"
	[ "$(ls "$T"/lbk/*/ | wc -l)" -eq 1 ] && echo "ok: one backup (the real file); a link has none of its own" ||
		fail "links: backups: $(ls "$T"/lbk/*/)"
	is_dirty "$T/vol.img" && fail "links: left dirty" || true

	# The CrowdStrike folder itself a link (a Windows symlink on a folder, and
	# ntfs-3g's link): refused, the files where it points stay.
	for kind in windows interix; do
		fresh
		ntfs-3g "$T/vol.img" "$T/mnt"
		mv "$T/mnt/$CS" "$T/mnt/Windows/System32/drivers/Elsewhere"
		if [ $kind = windows ]; then
			mkdir "$T/mnt/$CS"
			reparse "$(junction_data '\??\C:\Windows\System32\drivers\Elsewhere')" "$T/mnt/$CS"
		else
			ln -s Elsewhere "$T/mnt/$CS"
		fi
		umount "$T/mnt"
		run_bounded fix --yes --no-backup "$T/vol.img"
		expect_rc "the CrowdStrike folder is a link ($kind): refused" 32
		[ "$(ntfsls -f -p /Windows/System32/drivers/Elsewhere "$T/vol.img" | grep -c '^C-00000291')" -eq 1 ] &&
			grep -qi 'link' "$T/out" && echo "ok: not followed, the file where it points stays" ||
			fail "the CrowdStrike folder as a $kind link was followed or not named"
	done
else
	echo "skipped (links named like channel files): setfattr (package attr) is not installed"
fi

# ---- a delete that fails: the report says the volume stays marked dirty ------
# gdb makes the first delete fail (-EIO) at a fixed moment; the second goes.
if command -v gdb >/dev/null; then
	ntfs_windows "$T/two.img" 16 2
	tried=$((tried + 1))
	timeout -k 5 "$BOUND" gdb -q -batch -ex 'set breakpoint pending on' -ex 'break wr_ntfs_unlink' \
		-ex run -ex 'return (int)-5' -ex delete -ex continue \
		--args "$WINRESCUE" fix --yes --no-backup --report "$T/d.json" "$T/two.img" >"$T/out" 2>&1 || true
	[ "$(channel_files "$T/two.img")" -eq 1 ] && is_dirty "$T/two.img" &&
		echo "ok: one delete failed, the volume is marked dirty" || fail "failed delete: fixture state"
	jq -e '.exit_code == 8 and (.volumes[0].message | test("^1 of 2 files") and
		test("stays marked dirty") and test("check the disk"))' \
		"$T/d.json" >/dev/null && echo "ok: the JSON report says the dirty flag stays and why" ||
		fail "failed delete: the JSON report does not say the volume stays dirty"
	grep -q 'stays marked dirty' "$T/out" && grep -q 'check the disk' "$T/out" &&
		echo "ok: the table says so too" || fail "failed delete: the table does not say the volume stays dirty"
else
	echo "skipped (failed delete): gdb not installed"
fi

# ---- a read-only image: "read-only", nothing changes ------------------------
fresh
chmod 0444 "$T/vol.img"
sha=$(wr_sha256 "$T/vol.img")
run_bounded fix --yes --no-backup "$T/vol.img"
expect_rc "a write-protected image (chmod 0444): fix" 8
grep -q 'is read-only' "$T/out" && echo "ok: the image is named read-only" || fail "chmod 0444: not said read-only"
unchanged "a write-protected image" "$T/vol.img" "$sha"
mkdir -p "$T/romnt"
if mount -t tmpfs -o size=20m none "$T/romnt" 2>/dev/null; then
	cp --sparse=always "$T/pristine.img" "$T/romnt/vol.img"
	sha=$(wr_sha256 "$T/romnt/vol.img")
	mount -o remount,ro "$T/romnt"
	run_bounded fix --yes --no-backup "$T/romnt/vol.img"
	expect_rc "an image on a read-only mount: fix" 8
	grep -q 'is read-only' "$T/out" && ! grep -q 'still present' "$T/out" &&
		echo "ok: the image is named read-only, no I/O error" || fail "read-only mount: not said read-only"
	unchanged "an image on a read-only mount" "$T/romnt/vol.img" "$sha"
	umount "$T/romnt"
else
	echo "skipped (read-only mount): mount -t tmpfs not allowed here"
fi

# ---- the backup folder: a FIFO or a link under the backup's name ------------
rm -f "$T/vol.img"
fresh
run_bounded scan --json "$T/vol.img"
serial=$(jq -r '.volumes[0].serial' "$T/out")
mkdir -p "$T/fbk/$serial"
mkfifo "$T/fbk/$serial/$CHANNEL"
head -c 40960 /dev/zero | tr '\0' '\252' >"$T/same.sys"   # what the backup will hold
ln -s ../../same.sys "$T/fbk/$serial/$CHANNEL.1"
BOUND=60 run_bounded fix --yes --backup-dir "$T/fbk" --json "$T/vol.img"
expect_rc "a FIFO and a link under the backup's name: fix" 1
[ -p "$T/fbk/$serial/$CHANNEL" ] && [ -L "$T/fbk/$serial/$CHANNEL.1" ] &&
	jq -e --arg p "$T/fbk/$serial/$CHANNEL.2" '.volumes[0].files[0].backup == $p' "$T/out" >/dev/null &&
	cmp -s "$T/same.sys" "$T/fbk/$serial/$CHANNEL.2" &&
	echo "ok: neither waited on nor followed; the backup is $CHANNEL.2" ||
	fail "backup folder with a FIFO and a link: $(jq -c '.volumes[0].files[0] | [.backup, .error]' "$T/out")"

# ---- a 255-character name, and a relative backup folder ---------------------
long=C-00000291-$(printf '%0240d' 7).sys
fresh
ntfs-3g "$T/vol.img" "$T/mnt"
head -c 4096 /dev/zero | tr '\0' '\252' >"$T/mnt/$CS/$long"
umount "$T/mnt"
rc=0
# shellcheck disable=SC2034  # rc is read by expect_rc (adversarial_lib.sh)
(cd "$T" && timeout -k 5 "$BOUND" "$WINRESCUE" fix --yes --backup-dir rel --json vol.img) >"$T/out" 2>"$T/err" || rc=$?
tried=$((tried + 1))
expect_rc "a 255-character name, backups to a relative folder" 1
jq -e --arg n "$long" '[.volumes[0].files[].backup] | length == 2 and all(startswith("/")) and
	any(endswith("/" + $n))' "$T/out" >/dev/null &&
	[ -f "$T/rel/$(jq -r '.volumes[0].serial' "$T/out")/$long" ] &&
	echo "ok: backed up under its own 255-character name, the paths absolute" ||
	fail "long name or relative folder: $(jq -c '[.volumes[0].files[] | [.backup, .error]]' "$T/out")"

# ---- names only POSIX tools make: a backslash in a name, a case-twin folder ---
fresh
ntfs-3g "$T/vol.img" "$T/mnt"
head -c 100 /dev/zero | tr '\0' '\252' >"$T/mnt/$CS/C-00000291-a\\b.sys"
umount "$T/mnt"
run_bounded scan "$T/vol.img"
expect_rc "a name holding a backslash: scan" 4
grep -qF 'C-00000291-a\b.sys' "$T/out" && echo "ok: the table shows its whole name" ||
	fail "a name holding a backslash: not shown whole"
run_bounded fix --yes --no-backup --json "$T/vol.img"
expect_rc "a name holding a backslash: fix" 1
[ -z "$(ls_cs "$T/vol.img")" ] && echo "ok: both files deleted" || fail "backslash: left $(ls_cs "$T/vol.img")"
fresh
ntfs-3g "$T/vol.img" "$T/mnt"
mkdir "$T/mnt/Windows/System32/drivers/crowdstrike"
head -c 100 /dev/zero | tr '\0' '\252' >"$T/mnt/Windows/System32/drivers/crowdstrike/C-00000291-twin.sys"
umount "$T/mnt"
sha=$(wr_sha256 "$T/vol.img")
run_bounded scan "$T/vol.img"
expect_rc "a case-twin CrowdStrike folder with a channel file: scan" 32
grep -q 'crowdstrike holds 1' "$T/out" && echo "ok: the twin folder and its file are named" ||
	fail "case twin: not named"
run_bounded fix --yes --no-backup "$T/vol.img"
expect_rc "a case-twin CrowdStrike folder with a channel file: fix refused" 32
unchanged "a case-twin CrowdStrike folder" "$T/vol.img" "$sha"

adversarial_summary "adversarial cases (links, read-only, backup folder)" reliability-adversarial-links.txt
finish

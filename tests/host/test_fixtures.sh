# The test fixtures are what they claim: checked with readers that share no code with
# wr-mkfixture or fixtures.sh (ntfs-3g's ntfsls/ntfsinfo/ntfscat/ntfscp, sfdisk, blkid,
# mtools), so other tests can trust them.
set -u
. "$WR_SOURCE/tests/tools/fixtures.sh"
export TZ=UTC
for tool in ntfsls ntfsinfo ntfscat ntfscp mkntfs sfdisk blkid mkfs.vfat mdir; do
	command -v "$tool" >/dev/null || { echo "skipped: $tool not installed (scripts/install-deps)"; exit 77; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# expect_match WHAT PATTERN TEXT (grep -E)
expect_match() {
	printf '%s\n' "$3" | grep -Eq -- "$2" || fail "$1: '$2' not in: $(printf '%s' "$3" | head -c 400)"
}

# Volume path of a Windows path: \A\B -> /A/B
ntfs_path() {
	printf '%s' "$1" | tr '\\' /
}

# exists IMG PATH (ntfsinfo exits 0 even when the path is missing)
exists() {
	ntfsinfo -F "$2" "$1" 2>&1 | grep -q "MFT Record"
}

# The first 4 bytes of a file in hex, read with ntfscat.
first_bytes() {
	ntfscat "$1" "$2" 2>/dev/null | head -c 4 | od -An -tx1 | tr -d ' \n'
}

content_class() { # IMG PATH SIZE
	[ "$3" -eq 0 ] && { echo empty; return; }
	if [ "$(ntfscat "$1" "$2" 2>/dev/null | tr -d '\000' | head -c 1 | wc -c)" -eq 0 ]; then
		echo all_zero
	elif [ "$(first_bytes "$1" "$2")" = aaaaaaaa ]; then
		echo channel_magic
	else
		echo other
	fi
}

time_class() { # "Fri Jul 19 04:09:00 2024 UTC" as ntfsinfo prints it
	case $1 in
	*"Jul 19 04:09:"*2024*) echo faulty_0409 ;;
	*"Jul 19 05:2"[7-9]:*2024* | *"Jul 19 05:"[3-5]?:*2024* | *"Jul 19 "[12]?:*2024*) echo reverted_0527 ;;
	*) echo other ;;
	esac
}

# Checks every line of an .expect file against the volume, with ntfs-3g's own tools.
check_expect() { # IMG EXPECT
	while IFS='	' read -r path size tclass cclass; do
		p=$(ntfs_path "$path")
		exists "$1" "$p" || { fail "$path: not found by ntfsinfo"; continue; }
		info=$(ntfsinfo -F "$p" "$1")
		expect_match "$path: name kept as created" "Filename:[[:space:]]+'${p##*/}'" "$info"
		got=$(ntfscat "$1" "$p" 2>/dev/null | wc -c)
		expect_eq "$path: size" "$size" "$got"
		altered=$(printf '%s\n' "$info" | grep -m1 'File Altered Time:')
		expect_eq "$path: time class ($altered)" "$tclass" "$(time_class "$altered")"
		expect_eq "$path: content class" "$cclass" "$(content_class "$1" "$p" "$got")"
	done <"$2"
}

echo "# Windows volume from windows.spec"
win="$work/windows.img"
wr_make_volume "$win" 160 Windows "$WR_SPECS/windows.spec" || fail "wr_make_volume windows.spec"
check_expect "$win" "$(wr_expect_file windows.spec)"
cs=/Windows/System32/drivers/CrowdStrike
n=$(ntfsls -p /Windows/System32 "$win" | wc -l)
[ "$n" -ge 290 ] || fail "System32 has only $n entries"
n=$(ntfsls -p /Windows/System32/drivers "$win" | grep -c '\.sys$')
[ "$n" -ge 60 ] || fail "drivers has only $n .sys files"
listing=$(ntfsls -F -p $cs "$win")
for decoy in C-00000290-00000000-00000001.sys C-00000285-00000000-00000002.sys \
	C-00000291-00000000-00000032.sys.bak C-00000292-00000000-00000001.sys CSAgent.sys \
	C-00000291-00000000-00000099.sys/; do
	expect_match "decoy $decoy in CrowdStrike" "^$(printf '%s' "$decoy" | sed 's/\./\\./g')\$" "$listing"
done
expect_match "file inside the .sys-named directory" "^inside.sys\$" \
	"$(ntfsls -p $cs/C-00000291-00000000-00000099.sys "$win")"
for p in /Windows/System32/drivers/C-00000291-00000000-00000036.sys \
	/Users/Public/CrowdStrike/C-00000291-00000000-00000036.sys; do
	expect_eq "copy outside CrowdStrike $p" aaaaaaaa "$(first_bytes "$win" "$p")"
done
# ntfsls -x shows only names that are not Win32-only: the 8.3 alias and nothing else,
# so every other name is in the Win32 name space, as Windows makes them.
expect_eq "8.3 alias is the only non-Win32 name in CrowdStrike" ". .. C-0000~1.SYS" \
	"$(ntfsls -x -p $cs "$win" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "8.3 alias reads the same file" "$(ntfscat "$win" $cs/C-00000291-00000000-00000035.sys | cksum)" \
	"$(ntfscat "$win" $cs/C-0000~1.SYS | cksum)"
info=$(ntfsinfo -F "$cs/C-00000291-00000000-00000032.sys" "$win")
expect_match "faulty file created time" "File Creation Time:[[:space:]]+Fri Jul 19 04:09:00 2024" "$info"
expect_match "faulty file MFT change time" "MFT Changed Time:[[:space:]]+Fri Jul 19 04:09:00 2024" "$info"
expect_match "default times" "File Altered Time:[[:space:]]+Sat Jun  1 12:00:00 2024" \
	"$(ntfsinfo -F /Windows/explorer.exe "$win")"
for link in "$cs/C-00000291-00000000-00000098.sys" "/Documents and Settings" "/Users/All Users"; do
	expect_match "$link is a reparse point" "REPARSE_POINT" "$(ntfsinfo -F "$link" "$win")"
done

echo "# clean, nocs, many, recovery, data specs"
clean="$work/clean.img"
wr_make_volume "$clean" 160 Windows "$WR_SPECS/clean.spec" || fail "wr_make_volume clean.spec"
expect_eq "clean.expect is empty" 0 "$(wc -c <"$(wr_expect_file clean.spec)")"
[ -z "$(ntfsls -p $cs "$clean" | grep -i '^C-00000291.*\.sys$' | grep -v -e 98 -e 99)" ] ||
	fail "clean.spec has channel 291 files"
nocs="$work/nocs.img"
wr_make_volume "$nocs" 160 Windows "$WR_SPECS/nocs.spec" || fail "wr_make_volume nocs.spec"
exists "$nocs" /Windows/System32/drivers/CrowdStrike && fail "nocs.spec has a CrowdStrike folder"
many="$work/many.img"
wr_make_volume "$many" 200 Windows "$WR_SPECS/many.spec" || fail "wr_make_volume many.spec"
n=$(ntfsls -p $cs "$many" | grep -c '^C-00000291-00000001-')
expect_eq "many.spec files" 10000 "$n"
expect_eq "many.expect lines" 10000 "$(wc -l <"$(wr_expect_file many.spec)")"
head -n 3 "$(wr_expect_file many.spec)" >"$work/many3.expect"
check_expect "$many" "$work/many3.expect"
rec="$work/recovery.img"
wr_make_volume "$rec" 64 Recovery "$WR_SPECS/recovery.spec" || fail "wr_make_volume recovery.spec"
expect_match "recovery has WinRE" "^Winre.wim\$" "$(ntfsls -p /Recovery/WindowsRE "$rec")"
exists "$rec" /Windows && fail "recovery.spec has \\Windows"
data="$work/data.img"
wr_make_volume "$data" 64 Data "$WR_SPECS/data.spec" || fail "wr_make_volume data.spec"
exists "$data" /Windows && fail "data.spec has \\Windows"
expect_eq "data volume's channel file" aaaaaaaa "$(first_bytes "$data" /CrowdStrike/C-00000291-00000000-00000032.sys)"

echo "# reproducible: the same spec twice gives the same bytes"
wr_make_volume "$work/windows2.img" 160 Windows "$WR_SPECS/windows.spec" || fail "second windows.spec"
expect_eq "windows.spec built twice" "$(wr_sha256 "$win")" "$(wr_sha256 "$work/windows2.img")"
rm -f "$work/windows2.img" "$many" "$clean" "$nocs"

echo "# other directives: many with seed, text, hardlink, file symlink, nested dirs"
cat >"$work/misc.spec" <<'EOF'
many /a/b/f%d.txt 3 size=10 content=text:ab seed=7
file "/with space/x.bin" size=100000 content=random seed=1
hardlink /c/hard.txt /a/b/f1.txt
symlink /a/rel "../with space/x.bin"
dir /empty/dir
EOF
misc="$work/misc.img"
wr_make_volume "$misc" 16 Misc "$work/misc.spec" || fail "wr_make_volume misc.spec"
expect_eq "text content" ababababab "$(ntfscat "$misc" /a/b/f2.txt)"
expect_eq "large random file size" 100000 "$(ntfscat "$misc" "/with space/x.bin" | wc -c)"
expect_match "hard link count" "Number of Hard Links:[[:space:]]+2" "$(ntfsinfo -F /c/hard.txt "$misc")"
expect_eq "hard link content" ababababab "$(ntfscat "$misc" /c/hard.txt)"
expect_match "file symlink" "REPARSE_POINT" "$(ntfsinfo -F /a/rel "$misc")"
exists "$misc" /empty/dir || fail "dir directive"

echo "# volume states, as a plain read-write ntfs-3g open (ntfscp) sees them"
echo hello >"$work/hello.txt"
check_state() { # STATE EXPECTED_RWCHECK NTFSCP_MESSAGE
	img="$work/state-$1.img"
	printf 'file /a/b.txt size=10\nstate %s\n' "$1" >"$work/state.spec"
	wr_make_volume "$img" 16 State "$work/state.spec" || { fail "state $1: build"; return; }
	out=$(ntfscp "$img" "$work/hello.txt" /a/c.txt 2>&1) && fail "state $1: ntfscp wrote to the volume"
	expect_match "state $1: ntfscp refusal" "$3" "$out"
	expect_eq "state $1: libntfs-3g rw mount" "$2" "$("$WR_TOOLS/wr-ntfs-rwcheck" "$img" 2>&1)"
}
check_state unclean EOPNOTSUPP "unclean file system"
check_state fast_startup EPERM "Metadata kept in Windows cache"
check_state hibernated EPERM "Windows is hibernated"
check_state dirty "ok dirty" "scheduled for check"
expect_eq "hiberfil.sys signature" 68696272 "$(first_bytes "$work/state-hibernated.img" /hiberfil.sys)"
expect_match "dirty flag" "Volume Flags:.*DIRTY" "$(ntfsinfo -f -m "$work/state-dirty.img" 2>&1)"
printf 'file /a/b.txt size=10\n' >"$work/state.spec"
wr_make_volume "$work/state-clean.img" 16 State "$work/state.spec"
expect_eq "clean volume: libntfs-3g rw mount" ok "$("$WR_TOOLS/wr-ntfs-rwcheck" "$work/state-clean.img" 2>&1)"

echo "# bad specs are rejected, naming the line"
bad_spec() { # LINE2 EXPECTED_MESSAGE
	printf 'dir /ok\n%s\n' "$1" >"$work/bad.spec"
	out=$("$WR_TOOLS/wr-mkfixture" "$work/state-clean.img" "$work/bad.spec" 2>&1)
	rc=$?
	expect_eq "bad spec '$1': exit code" 1 "$rc"
	expect_match "bad spec '$1': message" "bad\\.spec:2: .*$2" "$out"
}
bad_spec "file /x size=big" "size must be a byte count"
bad_spec "frobnicate /x" "unknown directive"
bad_spec "many /x/f.sys 3" "exactly one %d"
bad_spec "file /x modified=2024-07-19 04:09" "unknown option|wrong number|modified must be"
bad_spec "state asleep" "state must be"
bad_spec "hardlink /y /does/not/exist" "not found"
bad_spec 'file "/unterminated' "unterminated quote"

echo "# whole-disk images"
check_disk() { # TABLE
	disk="$work/disk-$1.img"
	wr_make_windows_disk "$disk" "$1" || { fail "wr_make_windows_disk $1"; return; }
	dump=$(sfdisk --dump "$disk")
	if [ "$1" = gpt ]; then
		expect_match "gpt label" "^label: gpt" "$dump"
		types="C12A7328-F81F-11D2-BA4B-00A0C93EC93B E3C9E316-0B5C-4DB8-817D-F92DF00215AE EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 DE94BBA4-06D1-4D40-A16A-BFD50179D6AC"
		fs="vfat - ntfs ntfs"
	else
		expect_match "mbr label" "^label: dos" "$dump"
		types="ef 7 27"
		fs="vfat ntfs ntfs"
	fi
	got=$(printf '%s\n' "$dump" | sed -n 's/.*type=\([^,]*\).*/\1/p' | tr '\n' ' ' | sed 's/ $//')
	expect_eq "$1 partition types" "$types" "$got"
	starts=$(printf '%s\n' "$dump" | sed -n 's/.*start= *\([0-9]*\),.*/\1/p')
	i=0
	for start in $starts; do
		i=$((i + 1))
		[ $((start % 2048)) -eq 0 ] || fail "$1 partition $i not 1 MiB aligned"
		want=$(echo $fs | cut -d' ' -f$i)
		got=$(blkid -p -O $((start * 512)) -s TYPE -o value "$disk")
		[ "$want" = - ] && want=""
		expect_eq "$1 partition $i file system" "$want" "$got"
	done
	win_start=$(printf '%s\n' "$starts" | sed -n "$(($(echo $fs | wc -w) - 1))p")
	expect_eq "$1 Windows label" Windows "$(blkid -p -O $((win_start * 512)) -s LABEL -o value "$disk")"
	esp_start=$(printf '%s\n' "$starts" | head -n 1)
	mdir -b -i "$disk@@$((esp_start * 512))" ::/EFI/Microsoft/Boot 2>&1 | grep -q bootmgfw.efi ||
		fail "$1 ESP has no \\EFI\\Microsoft\\Boot\\bootmgfw.efi"
	# The Windows partition holds the windows.spec volume, byte for byte.
	dd if="$disk" of="$work/part.img" bs=1M skip=$((win_start / 2048)) count=160 status=none
	expect_eq "$1 Windows partition content" "$(wr_sha256 "$win")" "$(wr_sha256 "$work/part.img")"
	wr_make_windows_disk "$work/again.img" "$1" || fail "second wr_make_windows_disk $1"
	expect_eq "$1 disk built twice" "$(wr_sha256 "$disk")" "$(wr_sha256 "$work/again.img")"
	rm -f "$disk" "$work/part.img" "$work/again.img"
}
check_disk gpt
check_disk mbr
wr_make_disk "$work/bad.img" mbr msr:16 2>/dev/null && fail "an MSR in an MBR table was accepted"
wr_make_disk "$work/blank.img" gpt blank:4 ntfs:"$work/state-clean.img" ||
	fail "wr_make_disk blank + ntfs"
expect_eq "blank partition then ntfs" "ntfs" \
	"$(blkid -p -O $((5 * 1048576)) -s TYPE -o value "$work/blank.img")"

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all fixture checks passed"

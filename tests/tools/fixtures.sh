# Test fixtures for shell tests: NTFS volumes and whole-disk images built at test time.
# POSIX sh library; source it with  . "$WR_SOURCE/tests/tools/fixtures.sh"
# Needs WR_SOURCE (repository top) and WR_TOOLS (where wr-mkfixture is built).
# Every function prints nothing on success and a message on stderr on failure
# (return status non-zero). Spec language: tests/tools/specs/README.md.

: "${WR_SOURCE:?WR_SOURCE must name the repository top}"
: "${WR_TOOLS:?WR_TOOLS must name the built test tools directory}"
WR_SPECS="$WR_SOURCE/tests/tools/specs"
PATH="$PATH:/usr/sbin:/sbin"

# Fixed GUIDs and serials so the same call makes the same disk.
WR_DISK_GUID=57524553-4355-4500-8000-000000000000
WR_DISK_MBR_ID=0x57524553

_wr_fail() {
	echo "fixtures: $*" >&2
	return 1
}

# Runs a command quietly; shows its output only if it fails.
_wr_quiet() {
	_wr_out=$("$@" 2>&1) || {
		_wr_fail "$1 failed: $_wr_out"
		return 1
	}
}

# wr_make_volume IMG SIZE_MIB LABEL SPECFILE: a fresh NTFS volume populated from SPECFILE
# (-T: mkntfs's fixed time and serial, so images are reproducible).
wr_make_volume() {
	[ $# -eq 4 ] || { _wr_fail "usage: wr_make_volume IMG SIZE_MIB LABEL SPECFILE"; return 1; }
	rm -f "$1" && truncate -s "$2M" "$1" || return 1
	_wr_quiet mkntfs -F -Q -q -T -s 512 -c 4096 -L "$3" "$1" || return 1
	"$WR_TOOLS/wr-mkfixture" "$1" "$4"
}

# Size in MiB of a PART argument of wr_make_disk (volume images rounded up).
_wr_part_mib() {
	case $1 in
	esp:* | msr:* | blank:*) echo "${1#*:}" ;;
	ntfs:* | recovery:*)
		_wr_bytes=$(stat -c %s "${1#*:}") || return 1
		echo $(((_wr_bytes + 1048575) / 1048576)) ;;
	*) _wr_fail "unknown partition '$1' (esp:MIB msr:MIB ntfs:IMG recovery:IMG blank:MIB)" ;;
	esac
}

# The sfdisk type of a PART kind in a gpt or mbr table.
_wr_part_type() {
	case $2:$1 in
	gpt:esp) echo C12A7328-F81F-11D2-BA4B-00A0C93EC93B ;;
	gpt:msr) echo E3C9E316-0B5C-4DB8-817D-F92DF00215AE ;;
	gpt:ntfs | gpt:blank) echo EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 ;;
	gpt:recovery) echo DE94BBA4-06D1-4D40-A16A-BFD50179D6AC ;;
	mbr:esp) echo ef ;;
	mbr:ntfs | mbr:blank) echo 7 ;;
	mbr:recovery) echo 27 ;;
	*) _wr_fail "a $1 partition cannot go in a $2 table" ;;
	esac
}

# The names Windows gives its GPT partitions (and the recovery partition's attributes).
_wr_part_extra() {
	case $1 in
	esp) echo ', name="EFI system partition"' ;;
	msr) echo ', name="Microsoft reserved partition"' ;;
	recovery) echo ', name="Windows Recovery Environment", attrs="RequiredPartition GUID:63"' ;;
	*) echo ', name="Basic data partition"' ;;
	esac
}

# Formats an ESP at START_MIB inside the disk image, with the files firmware boots.
# FAT32 with 512-byte clusters, as Windows makes it (needs at least 34 MiB). No label
# and files copied with fixed times, so the same call gives the same bytes.
_wr_fill_esp() { # OUT START_MIB SIZE_MIB
	_wr_quiet mkfs.vfat -F 32 -s 1 -i 57524553 --offset $(($2 * 2048)) "$1" $(($3 * 1024)) ||
		return 1
	_wr_tree=$(mktemp -d) || return 1
	mkdir -p "$_wr_tree/EFI/Microsoft/Boot" "$_wr_tree/EFI/Boot"
	printf 'MZ winrescue fixture boot manager\n' >"$_wr_tree/EFI/Microsoft/Boot/bootmgfw.efi"
	cp "$_wr_tree/EFI/Microsoft/Boot/bootmgfw.efi" "$_wr_tree/EFI/Boot/bootx64.efi"
	find "$_wr_tree" -exec touch -d 2024-06-01T12:00:00Z {} +
	_wr_quiet mcopy -s -m -i "$1@@$(($2 * 1048576))" "$_wr_tree/EFI" ::/
	_wr_rc=$?
	rm -rf "$_wr_tree"
	return $_wr_rc
}

# wr_make_disk OUT gpt|mbr PART...: a whole-disk image; PART is esp:MIB, msr:MIB,
# ntfs:VOLIMG, recovery:VOLIMG or blank:MIB, laid out in order at 1 MiB alignment.
wr_make_disk() {
	[ $# -ge 3 ] || { _wr_fail "usage: wr_make_disk OUT gpt|mbr PART..."; return 1; }
	_wr_out_img=$1 _wr_label=$2
	shift 2
	case $_wr_label in
	gpt) _wr_script="label: gpt
label-id: $WR_DISK_GUID" ;;
	mbr)
		[ $# -le 4 ] || { _wr_fail "an mbr disk takes at most 4 partitions"; return 1; }
		_wr_script="label: dos
label-id: $WR_DISK_MBR_ID" ;;
	*) _wr_fail "table must be gpt or mbr, not '$_wr_label'"; return 1 ;;
	esac
	_wr_start=1 _wr_n=0
	for _wr_part; do
		_wr_mib=$(_wr_part_mib "$_wr_part") || return 1
		_wr_type=$(_wr_part_type "${_wr_part%%:*}" "$_wr_label") || return 1
		_wr_n=$((_wr_n + 1))
		_wr_line="start=$((_wr_start * 2048)), size=$((_wr_mib * 2048)), type=$_wr_type"
		[ "$_wr_label" = gpt ] &&
			_wr_line="$_wr_line, uuid=57524553-4355-4500-8000-$(printf %012d $_wr_n)$(_wr_part_extra "${_wr_part%%:*}")"
		_wr_script="$_wr_script
$_wr_line"
		_wr_start=$((_wr_start + _wr_mib))
	done
	# GPT keeps a backup table in the last 33 sectors: leave it 1 MiB.
	rm -f "$_wr_out_img" && truncate -s $(((_wr_start + 1) * 1048576)) "$_wr_out_img" || return 1
	echo "$_wr_script" | _wr_quiet sfdisk --no-reread --no-tell-kernel "$_wr_out_img" || return 1
	_wr_start=1
	for _wr_part; do
		_wr_mib=$(_wr_part_mib "$_wr_part")
		case $_wr_part in
		esp:*) _wr_fill_esp "$_wr_out_img" "$_wr_start" "$_wr_mib" || return 1 ;;
		ntfs:* | recovery:*)
			_wr_quiet dd if="${_wr_part#*:}" of="$_wr_out_img" bs=1M seek="$_wr_start" \
				conv=notrunc,sparse status=none || return 1 ;;
		esac
		_wr_start=$((_wr_start + _wr_mib))
	done
}

# wr_make_windows_disk OUT gpt|mbr [SPEC]: a Windows PC's disk: ESP 100 MiB, MSR 16 MiB
# (gpt), Windows NTFS 160 MiB populated from SPEC (default specs/windows.spec),
# recovery NTFS 64 MiB (specs/recovery.spec).
wr_make_windows_disk() {
	[ $# -ge 2 ] && [ $# -le 3 ] ||
		{ _wr_fail "usage: wr_make_windows_disk OUT gpt|mbr [SPEC]"; return 1; }
	_wr_parts=$(mktemp -d "${1%/*}/.wr-parts.XXXXXX" 2>/dev/null || mktemp -d) || return 1
	if wr_make_volume "$_wr_parts/windows.img" 160 Windows "${3:-$WR_SPECS/windows.spec}" &&
		wr_make_volume "$_wr_parts/recovery.img" 64 Recovery "$WR_SPECS/recovery.spec"; then
		if [ "$2" = gpt ]; then
			wr_make_disk "$1" gpt esp:100 msr:16 ntfs:"$_wr_parts/windows.img" \
				recovery:"$_wr_parts/recovery.img"
		else
			wr_make_disk "$1" "$2" esp:100 ntfs:"$_wr_parts/windows.img" \
				recovery:"$_wr_parts/recovery.img"
		fi
	fi
	_wr_rc=$?
	rm -rf "$_wr_parts"
	return $_wr_rc
}

# wr_sha256 FILE: prints FILE's SHA-256 (hex) alone.
wr_sha256() {
	_wr_sum=$(sha256sum <"$1") || return 1
	echo "${_wr_sum%% *}"
}

# wr_expect_file SPEC: prints the .expect file that goes with SPEC (a path, or a name
# in tests/tools/specs); fails if there is none.
wr_expect_file() {
	case $1 in
	*/*) _wr_exp=${1%.spec}.expect ;;
	*) _wr_exp=$WR_SPECS/${1%.spec}.expect ;;
	esac
	[ -f "$_wr_exp" ] || { _wr_fail "no expected results for $1 ($_wr_exp)"; return 1; }
	echo "$_wr_exp"
}

# Shared by the shell host tests: a temporary folder, the fixtures, and checks.
# Source it after setting nothing: it reads WINRESCUE, WR_TOOLS, WR_SOURCE.
set -eu
. "$WR_SOURCE/tests/tools/fixtures.sh"
PATH="$PATH:/usr/sbin:/sbin"

T=$(mktemp -d "${TMPDIR:-/tmp}/wr-test.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM

failures=0
check() {  # check DESCRIPTION COMMAND... : runs the command, records pass/fail
	_desc=$1; shift
	if "$@"; then
		echo "ok: $_desc"
	else
		echo "FAIL: $_desc"
		failures=$((failures + 1))
	fi
}
finish() {
	[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
	echo "all checks passed"
}

# For the tests that mount hostile or half-written volumes: libntfs-3g leaks its
# $MFT runlist when a mount fails (tests/fuzz/lsan.supp); the suppression needs full
# stacks through it (sanitizer builds only).
suppress_ntfs_mount_leaks() {
	LSAN_OPTIONS=suppressions=$WR_SOURCE/tests/fuzz/lsan.supp
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0
	export LSAN_OPTIONS ASAN_OPTIONS
}

# wr PARAMS...: runs winrescue; its exit code lands in $rc (never aborts the test).
wr() {
	rc=0
	"$WINRESCUE" "$@" || rc=$?
}

# run_dialog SCRIPT: runs an expect dialog on a pty; its exit code lands in $rc, what
# it saw in $T/transcript, and as read on the screen (no CR, no colours) in $T/shown.
run_dialog() {
	rc=0
	# shellcheck disable=SC2034 # rc is read by the test that calls run_dialog
	expect "$1" >"$T/transcript" 2>&1 || rc=$?
	tr -d '\r' <"$T/transcript" | sed 's/\x1b\[[0-9;]*m//g' >"$T/shown"
}

# part_offset DISK N: byte offset of partition N (from sfdisk, an independent reader).
part_offset() {
	sfdisk -J "$1" | jq -r --argjson n "$2" '.partitiontable.partitions[$n-1].start * 512'
}
part_size() {
	sfdisk -J "$1" | jq -r --argjson n "$2" '.partitiontable.partitions[$n-1].size * 512'
}
# extract_partition DISK N OUT: the partition's bytes as a volume image.
extract_partition() {
	dd if="$1" of="$3" bs=1M iflag=skip_bytes,count_bytes skip="$(part_offset "$1" "$2")" \
		count="$(part_size "$1" "$2")" conv=sparse status=none
}
# manifest VOLUME: every file with size and SHA-256 (libntfs-3g, not winrescue).
manifest() {
	"$WR_TOOLS/wr-ntfs-manifest" "$1" | LC_ALL=C sort
}
# report_files REPORT: "path<TAB>size<TAB>time_class<TAB>content_class" per file, sorted,
# the same shape as the fixtures' .expect files.
report_files() {
	jq -r '.volumes[].files[] | [.path, (.size|tostring), .time_class, .content_class] | join("\t")' \
		"$1" | LC_ALL=C sort
}
# report_actions REPORT: the distinct actions of every file.
report_actions() {
	jq -r '[.volumes[].files[].action] | unique | join(",")' "$1"
}
same_text() {  # same_text EXPECTED_FILE ACTUAL_FILE
	if ! cmp -s "$1" "$2"; then
		diff "$1" "$2" | head -20
		return 1
	fi
}
# volume_flags VOLUME: the NTFS volume flags as ntfsinfo prints them (e.g. "0x0001 DIRTY").
volume_flags() {
	ntfsinfo -f -m "$1" 2>/dev/null | sed -n 's/.*Volume Flags: //p'
}
# without_range FILE OFFSET SIZE: SHA-256 of FILE with that byte range zeroed, i.e. of
# everything outside one partition.
without_range() {
	cp --sparse=always "$1" "$T/.outside"
	fallocate --punch-hole --offset "$2" --length "$3" "$T/.outside"
	wr_sha256 "$T/.outside"
	rm -f "$T/.outside"
}
is_dirty() { volume_flags "$1" | grep -q DIRTY; }

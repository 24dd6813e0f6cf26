# Shared by the adversarial tests (test_adversarial*.sh): bounded runs that
# count crashes and hangs, and fixtures made with mkntfs and an ntfs-3g mount,
# never with winrescue's own tools. Sourced after lib.sh.
# A hang bound, not a speed check: generous enough for a sanitizer build on a
# loaded 2-core machine; a hang is forever, so any bound catches it.
BOUND=300
CS=Windows/System32/drivers/CrowdStrike
tried=0 crashes=0 hangs=0 changes=0

run_bounded() {  # like wr, with a time limit; counts crashes and hangs
	tried=$((tried + 1))
	rc=0
	timeout -k 5 "$BOUND" "$WINRESCUE" "$@" >"$T/out" 2>"$T/err" || rc=$?
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		hangs=$((hangs + 1)); echo "HANG (> ${BOUND}s): winrescue $*"
	elif [ $rc -gt 32 ]; then
		crashes=$((crashes + 1)); echo "CRASH (exit $rc): winrescue $*"; cat "$T/err"
	fi
	# The exit code a JSON report states is always the process's.
	if [ -s "$T/out" ] && jq -e . "$T/out" >/dev/null 2>&1 && [ "$(jq .exit_code "$T/out")" != "$rc" ]; then
		fail "winrescue $*: the JSON says exit $(jq .exit_code "$T/out"), the process exit $rc"
	fi
}
expect_rc() {  # expect_rc NAME WANTED...
	_name=$1; shift
	for _w; do [ "$rc" -eq "$_w" ] && { echo "ok: $_name (exit $rc)"; return 0; }; done
	echo "FAIL: $_name: exit $rc, expected one of: $*"
	sed 's/^/  | /' "$T/out" "$T/err" | head -20
	failures=$((failures + 1))
}
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
unchanged() {  # unchanged NAME FILE SHA: the image is byte-identical
	if [ "$(wr_sha256 "$2")" = "$3" ]; then echo "ok: $1: image unchanged"
	else changes=$((changes + 1)); fail "$1: the image changed"; fi
}

# ntfs_windows IMG MIB [N]: an NTFS volume (mkntfs) with a Windows tree and N
# (default 1) channel files, written through an ntfs-3g mount.
ntfs_windows() {
	rm -f "$1"; truncate -s "$2M" "$1"
	mkntfs -F -Q -q -s 512 -c 4096 -L Win "$1" >/dev/null 2>&1
	mkdir -p "$T/mnt"
	ntfs-3g "$1" "$T/mnt"
	mkdir -p "$T/mnt/$CS"
	printf 'MZ kernel' >"$T/mnt/Windows/System32/ntoskrnl.exe"
	_i=0
	while [ $_i -lt "${3:-1}" ]; do
		head -c 40960 /dev/zero | tr '\0' '\252' >"$T/mnt/$CS/$(printf 'C-00000291-00000000-%08d.sys' $((_i + 32)))"
		_i=$((_i + 1))
	done
	umount "$T/mnt"
}
# channel_files VOLUME [OFFSET]: how many C-00000291*.sys are in the folder (ntfsls).
channel_files() {
	ntfsls -f ${2:+-o $(($2 / 512))} -p /$CS "$1" 2>/dev/null | grep -c '^C-00000291' || true
}
# adversarial_summary WHAT FILE: the reliability line, printed and kept for scripts/test.
adversarial_summary() {
	_line="reliability: $1: $tried tried, crashes $crashes, hangs $hangs, unexpected changes $changes"
	echo "$_line"
	echo "$_line$([ "$failures" -eq 0 ] || echo " ($failures checks FAILED)")" >"$WR_TOOLS/../../$2"
}

# Two programs on one volume. A first winrescue is stopped by gdb inside the
# step that has the volume open (wr_remedy_apply for a fix: write lock;
# wr_remedy_plan for a scan: read lock); at that moment a second winrescue must
# refuse with a clear message and change nothing, and the first then finishes
# correctly. The same while ntfs-3g has the image mounted. Writes a summary
# line to <build>/reliability-concurrent.txt.
. "$WR_SOURCE/tests/host/lib.sh"
suppress_ntfs_mount_leaks
CS='\Windows\System32\drivers\CrowdStrike'
tried=0 refused=0
command -v gdb >/dev/null || { echo "skipped: gdb not installed (scripts/packages/reliability.txt)"; exit 77; }

cat >"$T/spec" <<EOF
file \\Windows\\System32\\ntoskrnl.exe size=16384 content=text:MZ
file $CS\\CSAgent.sys size=8192 content=text:MZ
many $CS\\C-00000291-00000003-%08d.sys 300 size=200 content=magic modified=2024-07-19T04:09:00Z
EOF
wr_make_volume "$T/template.img" 16 Concurrent "$T/spec"

# judge_second NAME IMG_SUM_BEFORE: the second run (exit code in $T/second.rc,
# output in $T/second, image hash after it in $T/second.sum) must have refused,
# saying the volume is in use, and left the image as it was.
judge_second() {
	tried=$((tried + 1))
	_rc=$(cat "$T/second.rc" 2>/dev/null || echo none)
	if { [ "$_rc" = 8 ] || [ "$_rc" = 32 ]; } && grep -qi 'in use' "$T/second" &&
		[ "$(cat "$T/second.sum")" = "$2" ]; then
		refused=$((refused + 1))
		echo "ok: $1: refused (exit $_rc): $(grep -i -m1 'in use' "$T/second" | sed 's/^ *//')"
	else
		echo "FAIL: $1: exit $_rc"; sed 's/^/  | /' "$T/second" | head -20
		failures=$((failures + 1))
	fi
}

# second_cmd IMG ARGS...: writes the script that runs the second winrescue.
second_cmd() {
	_img=$1; shift
	{
		printf 'rc=0; timeout 60 "$WINRESCUE"'
		printf " '%s'" "$@" "$_img"
		printf " >'%s' 2>&1 || rc=\$?\n" "$T/second"
		printf "echo \$rc >'%s'\n" "$T/second.rc"
		printf ". '%s'; wr_sha256 '%s' >'%s'\n" "$WR_SOURCE/tests/tools/fixtures.sh" "$_img" "$T/second.sum"
	} >"$T/second.sh"
}

# while_held FUNCTION NAME IMG FIRST_ARGS...: runs the first winrescue on IMG
# under gdb; at FUNCTION, gdb runs $T/second.sh; then the first goes on. Its
# exit code lands in $first_rc.
while_held() {
	_fn=$1 _name=$2 _img=$3; shift 3
	_before=$(wr_sha256 "$_img")
	rm -f "$T/second.rc"
	# LeakSanitizer cannot run under ptrace: off for the first (sanitizer builds),
	# the second keeps the caller's options.
	_asan=${ASAN_OPTIONS-}
	ASAN_OPTIONS=$_asan:detect_leaks=0 gdb -q -batch -ex "break $_fn" -ex run \
		-ex "shell ASAN_OPTIONS='$_asan' sh '$T/second.sh'" -ex continue \
		--args "$WINRESCUE" "$@" "$_img" >"$T/gdb.log" 2>&1 </dev/null || true
	# gdb prints the code in octal ("exited with code 01").
	first_rc=$(sed -n 's/.*exited with code \([0-7]*\).*/\1/p' "$T/gdb.log" | tail -n1)
	first_rc=$((${first_rc:+0}${first_rc:-255}))
	grep -q 'exited normally' "$T/gdb.log" && first_rc=0
	if grep -q "Breakpoint 1, .*$_fn" "$T/gdb.log"; then
		judge_second "$_name" "$_before"
	else
		echo "FAIL: $_name: the first run never reached $_fn"
		sed 's/^/  | /' "$T/gdb.log" | tail -20
		failures=$((failures + 1))
	fi
}

cp "$T/template.img" "$T/a.img"
second_cmd "$T/a.img" scan
while_held wr_remedy_apply "scan while a fix writes" "$T/a.img" fix --yes --no-backup
check "the first fix then finishes (exit $first_rc)" [ "$first_rc" -eq 1 ]
all_gone() { ! manifest "$T/a.img" | grep -qF 'C-00000291-'; }
check "every channel file is gone" all_gone

cp "$T/template.img" "$T/a.img"
second_cmd "$T/a.img" fix --yes --no-backup
while_held wr_remedy_apply "fix while a fix writes" "$T/a.img" fix --yes --no-backup
check "the first fix then finishes (exit $first_rc)" [ "$first_rc" -eq 1 ]
check "every channel file is gone" all_gone

cp "$T/template.img" "$T/b.img"
second_cmd "$T/b.img" fix --yes --no-backup
while_held wr_remedy_plan "fix while a scan reads" "$T/b.img" scan
check "the scan then finishes (exit $first_rc)" [ "$first_rc" -eq 4 ]
check "the volume is as it was" [ "$(wr_sha256 "$T/b.img")" = "$(wr_sha256 "$T/template.img")" ]

# An ntfs-3g (FUSE) mount of the image.
cp "$T/template.img" "$T/c.img"
mkdir -p "$T/mnt"
if ntfs-3g "$T/c.img" "$T/mnt" 2>/dev/null; then
	before=$(wr_sha256 "$T/c.img")
	second_cmd "$T/c.img" fix --yes --no-backup
	sh "$T/second.sh"
	umount "$T/mnt"
	judge_second "fix while ntfs-3g has it mounted" "$before"
else
	echo "skipped (ntfs-3g mount case): FUSE is not available here"
fi

line="reliability: concurrent access: $tried second runs on a busy volume, $refused refused with a clear message, unexpected changes $((tried - refused))"
[ "$failures" -eq 0 ] || line="$line ($failures checks FAILED)"
echo "$line"
echo "$line" >"$WR_TOOLS/../../reliability-concurrent.txt"
finish

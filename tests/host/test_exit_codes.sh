# Every documented exit code, from the situation that gives it; --help and --version.
. "$WR_SOURCE/tests/host/lib.sh"

expect_rc() {  # expect_rc DESCRIPTION CODE ARGS...
	desc=$1 want=$2; shift 2
	wr "$@" >"$T/out" 2>"$T/err" </dev/null
	check "$desc: exit $want" test "$rc" -eq "$want"
}

wr_make_volume "$T/win.img" 96 Windows "$WR_SPECS/windows.spec"
wr_make_volume "$T/clean.img" 96 Windows "$WR_SPECS/clean.spec"
cp -r "$WR_SPECS" "$T/specs"
printf 'include windows.spec\nstate unclean\n' >"$T/specs/unclean.spec"
wr_make_volume "$T/unclean.img" 96 Windows "$T/specs/unclean.spec"
# An NTFS whose boot sector is intact but whose metadata is gone: found, not readable.
wr_make_volume "$T/broken.img" 96 Windows "$WR_SPECS/windows.spec"
dd if=/dev/zero of="$T/broken.img" bs=4096 seek=1 count=4095 conv=notrunc status=none

expect_rc "scan, nothing to fix" 0 scan "$T/clean.img"
expect_rc "fix, nothing to fix" 0 fix --yes "$T/clean.img"
expect_rc "scan, fix needed" 4 scan "$T/win.img"
expect_rc "fix --dry-run, fix needed" 4 fix --dry-run "$T/win.img"
expect_rc "fix without --yes and no terminal (usage, nothing written)" 16 fix "$T/win.img"
check "fix without --yes says how to run unattended" grep -q -- "--yes" "$T/err"
expect_rc "scan of a damaged NTFS (error)" 8 scan "$T/broken.img"
check "the damaged volume is reported as not readable NTFS" grep -q "not a readable NTFS" "$T/out"
expect_rc "fix of an unclean journal (refused)" 32 fix --yes "$T/unclean.img"
expect_rc "fix (fixed)" 1 fix --yes --no-backup "$T/win.img"
expect_rc "the worst volume wins: fixed + refused = refused" 32 \
	fix --yes --no-backup "$T/clean.img" "$T/unclean.img"
expect_rc "unknown option (usage)" 16 scan --frobnicate
expect_rc "unknown command (usage)" 16 frobnicate
expect_rc "missing target (usage)" 16 scan "$T/does-not-exist.img"
check "a missing target is named" grep -q "does-not-exist.img: no such disk" "$T/err"
expect_rc "contradicting options (usage)" 16 fix --no-backup --backup-dir "$T/x" "$T/win.img"
expect_rc "no command, not on a terminal (usage)" 16
expect_rc "--help" 0 --help
check "--help lists the commands and exit codes" sh -c \
	"grep -q 'winrescue scan' '$T/out' && grep -q 'Exit codes: 0 nothing to fix, 1 fixed, 2 Windows not found, 4 fix needed, 8 error' '$T/out'"
expect_rc "--version" 0 --version
check "--version prints the version" grep -Eq '^winrescue [0-9]+\.[0-9]+\.[0-9]+$' "$T/out"

# Defects of issue 9, each failed before its fix.
expect_rc "--reports-dir \"\" (error, said once)" 8 scan --reports-dir "" "$T/clean.img"
check "--reports-dir \"\" is named" grep -q "cannot write to" "$T/err"
mkdir "$T/folder"
expect_rc "a folder as target (error)" 8 scan "$T/folder"
check "a folder as target: no stale error text" sh -c "! grep -q 'No such file' '$T/out'"
expect_rc "a character device as target (error)" 8 scan /dev/null
check "/dev/null: said why, no stale error text" sh -c \
	"grep -q '/dev/null: not a block device or an image file$' '$T/out' && ! grep -q 'No such file' '$T/out'"
wr scan --json "$T/clean.img" >"$T/json" 2>/dev/null
check "--json ends with exactly one newline" sh -c \
	"[ \"\$(tail -c 2 '$T/json' | od -An -c | tr -d ' ')\" = '}\\n' ]"
finish

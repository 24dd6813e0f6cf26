# Every shell script of the project passes shellcheck at severity "warning" (errors
# and warnings fail; info and style notes are not enforced). A script is a *.sh file
# or a file whose first line names sh or bash, under .ci, bench, image, scripts and
# tests. Files without a "#!" line are sourced libraries or tests that CMake runs
# with `sh`: they are checked as POSIX sh. A deliberate exception is a
# `# shellcheck disable=SCxxxx` comment on the line it concerns, with its reason.
set -eu
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top"
command -v shellcheck >/dev/null || { echo "shellcheck is not installed (scripts/install-deps)"; exit 1; }
with=$(mktemp) without=$(mktemp)
trap 'rm -f "$with" "$without"' EXIT
# The tracked files of a git checkout (no scratch files); all files of a source tree.
files() {
	git ls-files .ci bench image scripts tests 2>/dev/null ||
		find .ci bench image scripts tests -type f | sort
}
files | while read -r f; do
	[ -f "$f" ] && [ ! -L "$f" ] || continue  # the sysfs fixtures' links
	if head -c 100 "$f" | head -n 1 | grep -qa '^#!.*sh'; then
		echo "$f" >>"$with"
	else
		case $f in *.sh) echo "$f" >>"$without" ;; esac
	fi
done
n=$(cat "$with" "$without" | wc -l)
[ "$n" -gt 0 ] || { echo "no shell scripts found under $top"; exit 1; }
rc=0
xargs shellcheck -S warning <"$with" || rc=1
xargs shellcheck -S warning -s sh <"$without" || rc=1
[ $rc -eq 0 ] && echo "shellcheck: $n scripts clean (severity warning)"
exit $rc

# Installs the Debian package (scripts/build-deb) into fresh Debian roots made by
# debootstrap from the Debian archive this machine's apt uses, and in each (chroot):
# `winrescue --version` says the tree's version, `man -w winrescue` finds the man page,
# and `winrescue scan` on a Windows disk image made here lists the files the fixture holds.
#   WR_DEB_SUITES   the Debian releases to try (default "bookworm trixie"); a release
#                   the archive does not serve is skipped, with a message
#   WR_DEB_MIRROR   the archive (default: the first non-security one in /etc/apt/sources*)
# The roots are kept as tarballs in $WR_BUILD/deb-roots (made on first run): debroot.sh.
. "$WR_SOURCE/tests/host/lib.sh"
. "$WR_SOURCE/tests/packaging/debroot.sh"
PATH="$PATH:/usr/sbin:/sbin"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: debootstrap and chroot need root"; exit 77; }
command -v debootstrap >/dev/null || { echo "SKIP: debootstrap is not installed (scripts/install-deps)"; exit 77; }

version=$(sed -n 's/^project(winrescue VERSION \([0-9.]*\).*/\1/p' "$WR_SOURCE/CMakeLists.txt")

t0=$(date +%s)
"$WR_SOURCE/scripts/build-deb" "$T/deb" >"$T/build-deb.log" 2>&1 || { cat "$T/build-deb.log"; exit 1; }
deb="$T/deb/winrescue_${version}_$(dpkg --print-architecture).deb"
check "scripts/build-deb made winrescue_${version}_*.deb, lintian without errors" test -f "$deb"
echo "time: build-deb $(($(date +%s) - t0)) s"

wr_make_windows_disk "$T/disk.img" gpt
LC_ALL=C sort "$(wr_expect_file windows)" >"$T/expect"
check "the Windows disk image's fixture has files to list" test -s "$T/expect"

root=""
trap '[ -z "$root" ] || debroot_remove "$root"; rm -rf "$T"' EXIT INT TERM

for suite in ${WR_DEB_SUITES:-bookworm trixie}; do
	t0=$(date +%s)
	root="$T/root-$suite"
	rc=0
	debroot_make "$suite" "$root" || rc=$?
	if [ $rc -eq 77 ]; then
		echo "SKIP: $suite: the Debian archive does not serve it"
		root=""
		continue
	fi
	check "$suite: debootstrap made a fresh root" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || { debroot_remove "$root"; root=""; continue; }
	echo "time: $suite root ready $(($(date +%s) - t0)) s"
	debroot_bind "$root"
	cp "$deb" "$T/disk.img" "$root/tmp/"

	t0=$(date +%s)
	check "$suite: apt installs the package with what it depends on" sh -c \
		"chroot '$root' sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/$(basename "$deb")' >'$T/apt-$suite.log' 2>&1 || { cat '$T/apt-$suite.log'; false; }"
	echo "time: $suite apt install $(($(date +%s) - t0)) s"
	check "$suite: winrescue is /usr/sbin/winrescue" test -x "$root/usr/sbin/winrescue"
	check "$suite: winrescue --version says $version" sh -c \
		"[ \"\$(chroot '$root' /usr/sbin/winrescue --version)\" = 'winrescue $version' ]"
	check "$suite: man -w winrescue finds the man page" sh -c \
		"[ \"\$(chroot '$root' man -w winrescue)\" = /usr/share/man/man8/winrescue.8.gz ]"
	check "$suite: README and the report contract are in /usr/share/doc/winrescue" \
		test -f "$root/usr/share/doc/winrescue/report.md.gz" -a -f "$root/usr/share/doc/winrescue/README.md.gz"
	rc=0
	debroot_run "$root" winrescue scan --json /tmp/disk.img >"$T/report-$suite.json" 2>"$T/scan-$suite.err" || rc=$?
	check "$suite: winrescue scan exits 4 (fix needed) on the Windows disk image" [ "$rc" -eq 4 ]
	report_files "$T/report-$suite.json" >"$T/files-$suite" || true
	check "$suite: the scan lists the fixture's Channel File 291 files" cmp -s "$T/files-$suite" "$T/expect"
	[ "$rc" -eq 4 ] || cat "$T/scan-$suite.err"
	debroot_remove "$root"
	root=""
done
finish

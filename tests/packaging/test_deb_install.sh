# Installs the Debian package (scripts/build-deb) into fresh Debian roots made by
# debootstrap from the Debian archive this machine's apt uses, and in each (chroot):
# `winrescue --version` says the tree's version, `man -w winrescue` finds the man page,
# and `winrescue scan` on a Windows disk image made here lists the files the fixture holds.
#   WR_DEB_SUITES   the Debian releases to try (default "bookworm trixie"); a release
#                   the archive does not serve is skipped, with a message
#   WR_DEB_MIRROR   the archive (default: the first non-security one in /etc/apt/sources*)
# The finished roots are kept as tarballs in $WR_BUILD/deb-roots (made on first run).
. "$WR_SOURCE/tests/host/lib.sh"
PATH="$PATH:/usr/sbin:/sbin"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: debootstrap and chroot need root"; exit 77; }
command -v debootstrap >/dev/null || { echo "SKIP: debootstrap is not installed (scripts/install-deps)"; exit 77; }

mirror=${WR_DEB_MIRROR:-$(
	{
		sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
		sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null
	} | grep -v security | grep -i debian | head -n 1
)}
mirror=${mirror:-http://deb.debian.org/debian}
version=$(sed -n 's/^project(winrescue VERSION \([0-9.]*\).*/\1/p' "$WR_SOURCE/CMakeLists.txt")
cache="$WR_BUILD/deb-roots"
mkdir -p "$cache"

t0=$(date +%s)
"$WR_SOURCE/scripts/build-deb" "$T/deb" >"$T/build-deb.log" 2>&1 || { cat "$T/build-deb.log"; exit 1; }
deb="$T/deb/winrescue_${version}_$(dpkg --print-architecture).deb"
check "scripts/build-deb made winrescue_${version}_*.deb, lintian without errors" test -f "$deb"
echo "time: build-deb $(($(date +%s) - t0)) s"

wr_make_windows_disk "$T/disk.img" gpt
LC_ALL=C sort "$(wr_expect_file windows)" >"$T/expect"
check "the Windows disk image's fixture has files to list" test -s "$T/expect"

root=""
unmount_root() {
	[ -n "$root" ] || return 0
	for m in sys proc; do mountpoint -q "$root/$m" && umount "$root/$m"; done
	rm -rf --one-file-system "$root"
	root=""
}
trap 'unmount_root; rm -rf "$T"' EXIT INT TERM

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }

for suite in ${WR_DEB_SUITES:-bookworm trixie}; do
	t0=$(date +%s)
	tarball="$cache/$suite-minbase.tar"
	if [ ! -f "$tarball" ]; then
		if ! wget -q --spider "$mirror/dists/$suite/Release"; then
			echo "SKIP: $suite: $mirror does not serve it"
			continue
		fi
		rm -rf "$cache/$suite.tmp"
		if ! debootstrap --variant=minbase --include=man-db "$suite" "$cache/$suite.tmp" "$mirror" \
			>"$T/debootstrap-$suite.log" 2>&1; then
			tail -n 20 "$T/debootstrap-$suite.log"
			check "debootstrap made a $suite root" false
			continue
		fi
		tar -C "$cache/$suite.tmp" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
		rm -rf --one-file-system "$cache/$suite.tmp"
	fi
	root="$T/root-$suite"
	mkdir "$root"
	tar -C "$root" -xf "$tarball"
	echo "time: $suite root ready $(($(date +%s) - t0)) s"
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	mount -t proc proc "$root/proc"
	mount -t sysfs sysfs "$root/sys"
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
	in_root winrescue scan --json /tmp/disk.img >"$T/report-$suite.json" 2>"$T/scan-$suite.err" || rc=$?
	check "$suite: winrescue scan exits 4 (fix needed) on the Windows disk image" [ "$rc" -eq 4 ]
	report_files "$T/report-$suite.json" >"$T/files-$suite" || true
	check "$suite: the scan lists the fixture's Channel File 291 files" cmp -s "$T/files-$suite" "$T/expect"
	[ "$rc" -eq 4 ] || cat "$T/scan-$suite.err"
	unmount_root
done
finish

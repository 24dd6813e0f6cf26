# Fresh Debian roots for the packaging tests (POSIX sh library, needs root).
#   debroot_make SUITE DIR [CACHE]: unpacks a minbase root of SUITE (bookworm, trixie, ...)
#     into DIR (which must not exist). The first call debootstraps it from the Debian archive
#     this machine's apt uses (or $WR_DEB_MIRROR) and keeps a tarball in CACHE
#     ($WR_BUILD/deb-roots by default); later calls unpack that. Returns 77 when the archive
#     does not serve SUITE, 1 when debootstrap fails (its log's end on stderr).
#   debroot_bind DIR PATH...: mounts the host's /dev, /proc, /sys and each PATH at the same
#     place inside DIR; debroot_remove DIR undoes the mounts and deletes DIR (never through
#     a mount).

debroot_mirror() {
	if [ -n "${WR_DEB_MIRROR:-}" ]; then echo "$WR_DEB_MIRROR"; return; fi
	_m=$({
		sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' /etc/apt/sources.list \
			/etc/apt/sources.list.d/*.list 2>/dev/null
		sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null
	} | grep -v security | grep -i debian | head -n 1)
	echo "${_m:-http://deb.debian.org/debian}"
}

debroot_make() {
	_suite=$1 _dir=$2 _cache=${3:-$WR_BUILD/deb-roots}
	_tar="$_cache/$_suite-minbase.tar"
	mkdir -p "$_cache"
	if [ ! -f "$_tar" ]; then
		_mirror=$(debroot_mirror)
		if ! wget -q --spider "$_mirror/dists/$_suite/Release"; then
			echo "debroot: $_mirror does not serve $_suite" >&2
			return 77
		fi
		rm -rf --one-file-system "$_cache/$_suite.tmp"
		if ! debootstrap --variant=minbase --include=man-db "$_suite" "$_cache/$_suite.tmp" \
			"$_mirror" >"$_cache/$_suite.log" 2>&1; then
			tail -n 20 "$_cache/$_suite.log" >&2
			return 1
		fi
		tar -C "$_cache/$_suite.tmp" -cf "$_tar.part" . && mv "$_tar.part" "$_tar" || return 1
		rm -rf --one-file-system "$_cache/$_suite.tmp"
	fi
	mkdir "$_dir" && tar -C "$_dir" -xf "$_tar" || return 1
	cp /etc/resolv.conf "$_dir/etc/resolv.conf" 2>/dev/null || true
}

debroot_bind() {
	_dir=$1; shift
	for _m in dev proc sys; do
		mount --rbind "/$_m" "$_dir/$_m" && mount --make-rslave "$_dir/$_m" || return 1
	done
	for _m in "$@"; do  # not recursive: DIR itself may be under PATH
		mkdir -p "$_dir$_m" && mount --bind "$_m" "$_dir$_m" || return 1
	done
}

debroot_remove() {
	[ -d "$1" ] || return 0
	# Innermost mounts first; then nothing under DIR is a mount any more.
	for _m in $(awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$_m" 2>/dev/null || true
	done
	if awk -v d="$1/" 'index($5, d) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
		echo "debroot: $1 still has mounts; not deleting it" >&2
		return 1
	fi
	rm -rf --one-file-system "$1"
}

# debroot_run DIR COMMAND...: runs COMMAND inside DIR with a clean environment.
debroot_run() {
	_dir=$1; shift
	chroot "$_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 "$@"
}

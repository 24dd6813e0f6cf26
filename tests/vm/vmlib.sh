# Shared by the VM tests (sourced): a Windows-like disk, a stick made from the built
# image, booting qemu (TCG) under OVMF Secure Boot or SeaBIOS, and reading the disk
# and the stick from outside the VM afterwards.
#
# Environment (set by tests/vm/CMakeLists.txt): WR_IMAGE (the built media folder),
# WR_TOOLS (fixture builders), WR_SOURCE (repository top).

set -eu

VM_HERE=$WR_SOURCE/tests/vm
VM_SPECS=$WR_SOURCE/tests/tools/specs
. "$WR_SOURCE/tests/tools/fixtures.sh"
# Where wr_make_windows_disk (tests/tools/fixtures.sh) puts the Windows volume (MiB):
# after the 1 MiB gap, the 100 MiB ESP and the 16 MiB MSR.
# VM_DISK (default $VM_TMP/disk.img) is the disk image the checks below read.
VM_WIN_START=117 VM_WIN_MIB=160
VM_STICK_OFFSET=1048576 # the stick's FAT partition starts at 1 MiB
# The SMBIOS system UUID every VM has (reports carry it as machine.uuid).
VM_UUID=57524553-4355-4500-8000-0000000000A1

# Guided mode's words, as regexes for the dialogs (expect, screen) and checks.
# shellcheck disable=SC2034 # used by the tests that source this file
VM_ASK_FIX='Fix this PC now\? \[Y/n\]'
# shellcheck disable=SC2034
VM_FIXED='FIXED - remove the stick and restart the PC'
# shellcheck disable=SC2034
VM_END_PROMPT='Remove the stick and press Enter to restart'

vm_fail() {
	echo "FAIL: $*"
	exit 1
}

# Makes the work folder, checks what the VM tests need, and arranges that qemu
# (found by its pidfile) and the folder are gone on every exit.
vm_init() {
	for cmd in qemu-system-x86_64 expect mcopy mdir ntfsls ntfscat; do
		command -v "$cmd" >/dev/null || vm_fail "$cmd is not installed (scripts/install-deps)"
	done
	if [ ! -f "$WR_IMAGE/winrescue-usb.img" ] && [ "$(id -u)" -ne 0 ]; then
		echo "skipped: no rescue media (building it needs root)"
		exit 77
	fi
	[ -f "$WR_IMAGE/winrescue-usb.img" ] || vm_fail "no $WR_IMAGE/winrescue-usb.img (vm/setup failed?)"
	VM_TMP=$(mktemp -d "${TMPDIR:-/tmp}/wr-vm.XXXXXX")
	trap vm_cleanup EXIT
	trap 'exit 1' INT TERM
	export MTOOLS_SKIP_CHECK=1
}

vm_cleanup() {
	if [ -f "$VM_TMP/qemu.pid" ]; then
		kill -9 "$(cat "$VM_TMP/qemu.pid")" 2>/dev/null || true
	fi
	rm -rf "$VM_TMP"
}

# GPT disk: EFI system partition, MSR, the Windows volume hit by Channel File 291
# (tests/tools/specs/windows.spec), recovery.
vm_make_windows_disk() {
	wr_make_windows_disk "$1" gpt || vm_fail "could not make the Windows disk"
}

# The same disk after a crash in the boot loop: its NTFS journal left unclean.
vm_make_crashed_disk() {
	cp -r "$VM_SPECS" "$VM_TMP/specs"  # include is relative to the including file
	printf 'include windows.spec\nstate unclean\n' >"$VM_TMP/specs/crashed.spec"
	wr_make_windows_disk "$1" gpt "$VM_TMP/specs/crashed.spec" ||
		vm_fail "could not make the crashed Windows disk"
}

# A stick written from the built image; $2, if given, becomes winrescue/auto.conf
# (with the CR LF line ends Notepad would leave).
vm_make_stick() {
	cp "$WR_IMAGE/winrescue-usb.img" "$1"
	[ -n "${2:-}" ] || return 0
	printf '%s\n' "$2" | sed 's/$/\r/' >"$VM_TMP/auto.conf"
	mcopy -i "$1@@$VM_STICK_OFFSET" "$VM_TMP/auto.conf" ::/winrescue/auto.conf
}

# vm_boot FIRMWARE BUS DIALOG LIMIT [MEDIUM]: boots MEDIUM (usb: the stick
# $VM_TMP/stick.img; iso: the built winrescue.iso as a CD; net: PXE from the built
# netboot/ folder, Secure Boot chain shimx64.efi -> grubx64.efi; kernel: the built
# kernel and initramfs given to qemu directly, command line "... $VM_APPEND", with the
# stick attached for its settings and reports) with the Windows disk
# ($VM_TMP/disk.img) on BUS (nvme, ahci, virtio; none: no such disk) under FIRMWARE
# (uefi-sb: OVMF with Secure Boot on and Microsoft's keys; bios: SeaBIOS), then runs
# DIALOG over the serial console (see qemu-drive.exp). $VM_EXTRA: more qemu
# arguments (more disks and controllers), split at blanks. VM_MONITOR=yes: the
# dialog may also use the PC's keyboard and screen and plug in devices (qemu's
# monitor); VM_STICK_LATER=yes (kernel medium): no stick at the start, the USB
# controller is xhci.0 for a device_add.
vm_boot() {
	fw=$1 bus=$2 dialog=$3 limit=$4 medium=${5:-usb}
	monitor=none
	if [ "${VM_MONITOR:-}" = yes ]; then
		rm -f "$VM_TMP/monitor.in" && mkfifo "$VM_TMP/monitor.in" && : >"$VM_TMP/monitor.out"
		monitor=pipe:$VM_TMP/monitor
		export WR_VM_MONITOR="$VM_TMP/monitor"
	fi
	# signal=off: a Ctrl-C typed on the console goes to the guest, not to qemu.
	set -- qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -display none -monitor "$monitor" \
		-chardev stdio,id=console,signal=off -serial chardev:console -no-reboot -pidfile "$VM_TMP/qemu.pid" \
		-smbios type=1,manufacturer=winrescue,product=vmtest,serial=WRVM-0001,uuid=$VM_UUID
	case $fw in
	uefi-sb)
		cp /usr/share/OVMF/OVMF_VARS_4M.ms.fd "$VM_TMP/vars.fd"
		set -- "$@" -machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on \
			-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd \
			-drive if=pflash,format=raw,unit=1,file="$VM_TMP/vars.fd" ;;
	bios) set -- "$@" -machine q35 ;;
	*) vm_fail "unknown firmware $fw" ;;
	esac
	later=${VM_STICK_LATER:-no}
	case $medium-$later in
	kernel-yes) set -- "$@" -device qemu-xhci,id=xhci ;;
	usb-* | kernel-*) set -- "$@" -device qemu-xhci \
		-drive if=none,id=stick,format=raw,file="$VM_TMP/stick.img" \
		-device usb-storage,drive=stick"$([ "$medium" = kernel ] || echo ,bootindex=0)" ;;
	iso-*) set -- "$@" -drive if=none,id=cd,format=raw,readonly=on,file="$WR_IMAGE/winrescue.iso" \
		-device ide-cd,drive=cd,bus=ide.1,bootindex=0 ;;
	# romfile= leaves out qemu's iPXE option ROM: the firmware's own PXE loads shim.
	# VM_NETBOOT: another netboot folder (a test's own grub.cfg).
	net-*) set -- "$@" -netdev user,id=net0,tftp="${VM_NETBOOT:-$WR_IMAGE/netboot}",bootfile=shimx64.efi \
		-device virtio-net-pci,netdev=net0,bootindex=0,romfile= ;;
	*) vm_fail "unknown boot medium $medium" ;;
	esac
	[ "$medium" != kernel ] || set -- "$@" -kernel "$WR_IMAGE/netboot/vmlinuz" \
		-initrd "$WR_IMAGE/initrd.img" -append "quiet panic=10 console=ttyS0,115200 ${VM_APPEND:-}"
	# VM_DISK_OPTS: more -drive options for the Windows disk (e.g. throttling).
	[ "$bus" = none ] || set -- "$@" -drive if=none,id=win,format=raw,file="$VM_TMP/disk.img"${VM_DISK_OPTS:+,$VM_DISK_OPTS}
	# shellcheck disable=SC2086
	set -- "$@" ${VM_EXTRA:-}
	case $bus in
	none) ;;
	nvme) set -- "$@" -device nvme,drive=win,serial=WRTEST0001 ;;
	ahci) set -- "$@" -device ide-hd,drive=win,bus=ide.0 ;;
	virtio) set -- "$@" -device virtio-blk-pci,drive=win ;;
	*) vm_fail "unknown disk bus $bus" ;;
	esac
	echo "booting: $medium on $fw firmware, Windows disk on $bus, limit ${limit}s"
	# The outer timeout is a backstop should expect itself hang.
	if ! timeout -k 5 $((limit + 30)) expect "$VM_HERE/qemu-drive.exp" "$VM_TMP/console.log" \
		"$limit" "$dialog" "$@"; then
		echo "--- serial console (last 60 lines) ---"
		tr -d '\r' <"$VM_TMP/console.log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' | tail -n 60
		vm_keep_console
		vm_fail "the VM run did not go as expected"
	fi
	vm_keep_console
}

# The serial console transcript stays in the build tree for people and CI artifacts.
vm_keep_console() {
	name=$(basename "$0" .sh)
	[ -d "${WR_BUILD:-}/tests/vm" ] || return 0
	tr -d '\r' <"$VM_TMP/console.log" >"$WR_BUILD/tests/vm/$name.console.log" || true
	[ ! -f "$VM_TMP/monitor.screen" ] || cp "$VM_TMP/monitor.screen" "$WR_BUILD/tests/vm/$name.screen.txt" || true
}

# The Windows volume of the disk, as an NTFS image in $VM_TMP/vol.img.
vm_windows_volume() {
	dd if="${VM_DISK:-$VM_TMP/disk.img}" of="$VM_TMP/vol.img" bs=1M skip="$VM_WIN_START" \
		count="$VM_WIN_MIB" status=none
}

# Path and size of every file and folder of the volume (times are left out:
# deleting a file changes its folder's times).
vm_ntfs_listing() {
	ntfsls -f -R -l -a "$VM_TMP/vol.img" 2>/dev/null | awk '
		/^\// { dir = substr($0, 1, length($0) - 1); next }
		NF >= 6 {
			name = $0; sub(/^ *[0-9]+ +[A-Za-z]+ +[0-9]+ +[0-9:]+ +[0-9]+ /, "", name)
			if (name != "." && name != "..") print dir "/" name "\t" $1
		}' | LC_ALL=C sort
}

# SHA-256 of each file left in the CrowdStrike folder: the files next to the
# faulty ones are the ones a wrong match would hurt.
vm_crowdstrike_sums() {
	cs=/Windows/System32/drivers/CrowdStrike
	ntfsls -f -p "$cs" "$VM_TMP/vol.img" 2>/dev/null | LC_ALL=C sort | while read -r f; do
		case $f in . | ..) continue ;; esac
		printf '%s %s\n' "$(ntfscat -f "$VM_TMP/vol.img" "$cs/$f" 2>/dev/null | sha256sum | cut -c1-16)" "$f"
	done
}

# The files the fix must delete, as vm_ntfs_listing names them.
vm_expected_deletions() {
	cut -f1,2 "$VM_SPECS/windows.expect" | tr '\\' '/' | LC_ALL=C sort
}

# vm_windows_snapshot NAME: the disk's hash, the Windows volume's listing and the
# CrowdStrike folder's sums, in $VM_TMP/NAME.*
vm_windows_snapshot() {
	sha256sum "${VM_DISK:-$VM_TMP/disk.img}" | cut -d' ' -f1 >"$VM_TMP/$1.disk"
	vm_windows_volume
	vm_ntfs_listing >"$VM_TMP/$1.list"
	grep -q '/Windows/System32/ntoskrnl.exe' "$VM_TMP/$1.list" ||
		vm_fail "ntfsls cannot read the Windows volume ($1)"
	vm_crowdstrike_sums >"$VM_TMP/$1.sums"
	rm -f "$VM_TMP/vol.img"
}

# Exactly the expected files are gone; nothing else in the volume changed, the
# other files of the CrowdStrike folder have their old content.
vm_check_fixed() {
	vm_windows_snapshot after
	vm_expected_deletions >"$VM_TMP/expected"
	LC_ALL=C comm -23 "$VM_TMP/before.list" "$VM_TMP/after.list" >"$VM_TMP/gone"
	LC_ALL=C comm -13 "$VM_TMP/before.list" "$VM_TMP/after.list" >"$VM_TMP/new"
	[ -s "$VM_TMP/expected" ] || vm_fail "windows.expect lists no files"
	diff -u "$VM_TMP/expected" "$VM_TMP/gone" || vm_fail "the deleted files are not exactly the expected ones"
	[ ! -s "$VM_TMP/new" ] || { cat "$VM_TMP/new"; vm_fail "files appeared or changed size on the Windows volume"; }
	grep -v -i 'c-00000291-.*\.sys$' "$VM_TMP/before.sums" >"$VM_TMP/keep.before" || true
	grep -v -i 'c-00000291-.*\.sys$' "$VM_TMP/after.sums" >"$VM_TMP/keep.after" || true
	diff -u "$VM_TMP/keep.before" "$VM_TMP/keep.after" || vm_fail "files next to the channel files changed"
	echo "ok: exactly the $(wc -l <"$VM_TMP/expected") channel 291 files are gone, the rest is intact"
}

# The volume in $VM_TMP/vol.img is marked for Windows' disk check (its journal was reset).
vm_check_marked_dirty() {
	ntfsinfo -f -m "$VM_TMP/vol.img" 2>/dev/null | grep -q 'Volume Flags:.*DIRTY' ||
		vm_fail "the volume is not marked for Windows' disk check"
	echo "ok: the journal was reset and the volume is marked for chkdsk"
}

# vm_check_plain_words FILE: what the technician saw (FILE) has no exit code, mapping
# count or command-line advice.
vm_check_plain_words() {
	! grep -qiE 'exit code|mappings left|winrescue (fix|scan)|^Result:|--[a-z]' "$1" ||
		vm_fail "the guided screen shows an exit code, a mapping count or command-line advice"
	echo "ok: the screen ends with the plain result line, no exit code"
}

vm_check_untouched() {
	sha256sum "$VM_TMP/disk.img" | cut -d' ' -f1 >"$VM_TMP/after.disk"
	cmp -s "$VM_TMP/before.disk" "$VM_TMP/after.disk" || vm_fail "the Windows disk image changed"
	echo "ok: the Windows disk image is byte-identical"
}

# The report (JSON), its log and the backups are in winrescue/reports/ on the stick.
vm_check_reports() {
	s="$VM_TMP/stick.img@@$VM_STICK_OFFSET"
	mdir -b -i "$s" ::/winrescue/reports >"$VM_TMP/reports" 2>/dev/null || true
	json=$(grep -i '\.json$' "$VM_TMP/reports" | head -n1)
	[ -n "$json" ] || { cat "$VM_TMP/reports"; vm_fail "no JSON report on the stick"; }
	base=${json%.*}
	grep -qi "^$base\.log$" "$VM_TMP/reports" || vm_fail "no log beside $json"
	mcopy -n -i "$s" "$json" "$VM_TMP/report.json"
	grep -q '"' "$VM_TMP/report.json" || vm_fail "$json is empty"
	echo "ok: report ${json##*/} and its log are on the stick"
	[ "${1:-}" = with-backups ] || return 0
	mdir -b -/ -i "$s" "$base" 2>/dev/null | grep -ci 'c-00000291' >"$VM_TMP/nbackups" || true
	[ "$(cat "$VM_TMP/nbackups")" -ge "$(wc -l <"$VM_TMP/expected")" ] ||
		vm_fail "the backups folder ${base##*/} lacks the deleted files"
	echo "ok: backups of the deleted files are in ${base##*/}/"
}

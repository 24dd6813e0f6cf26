# Interruptions and power cuts of a BitLocker fix in the VM (sourced after vmlib.sh
# and bitlocker-lib.sh by test_interrupt_bitlocker.sh and test_powercut_bitlocker.sh):
# every run starts from the same disk and stick, is cut at a moment chosen by its run number (printed,
# so a failure can be replayed), and is then judged from outside the VM.

# Counters for the summary line.
vmi_runs=0 vmi_mappings_left=0 vmi_unopenable=0 vmi_changes=0 vmi_violations=0 vmi_mirrors=0

vmi_init() {
	vm_init
	vm_bitlocker_init
	trap 'vmi_show_boot; wr_bitlk_cleanup; vm_cleanup' EXIT
}

# vmi_prepare [AUTO.CONF]: the pristine disk and stick every run is copied from.
vmi_prepare() {
	vm_make_bitlocker_disk "$VM_TMP/disk.orig"
	vm_make_stick "$VM_TMP/stick.orig" "${1:-}"
	vmi_partition "$VM_TMP/disk.orig" "$VM_TMP/win.orig"
}

vmi_fresh_run() {
	vmi_runs=$((vmi_runs + 1))
	cp --sparse=always "$VM_TMP/disk.orig" "$VM_TMP/disk.img"
	cp --sparse=always "$VM_TMP/stick.orig" "$VM_TMP/stick.img"
	rm -f "$VM_TMP/qemu.pid" "$VM_TMP/console.log"
}

vmi_partition() {
	dd if="$1" of="$2" bs=1M skip="$VM_BL_START" count="$VM_BL_MIB" status=none
}

# vmi_spread_ms MAX: a moment in 0..MAX ms chosen by the run number (the golden
# ratio's multiples spread the runs evenly over the span): the same moments on every
# run of the suite, so CI never depends on chance.
vmi_spread_ms() {
	echo $(((vmi_runs + 1) * 618034 % 1000000 * $1 / 1000000))
}

vmi_seconds() {
	printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
}

# vm_boot with its step timings kept in $VM_TMP/boot.out (read by the power cut
# test); printed as they come out of a failed boot too (the EXIT trap).
vmi_boot() {
	vm_boot "$@" >"$VM_TMP/boot.out"
	cp "$VM_TMP/boot.out" "$VM_TMP/boot.times"
	vmi_show_boot
}

vmi_show_boot() {
	[ -f "$VM_TMP/boot.out" ] || return 0
	cat "$VM_TMP/boot.out"
	rm -f "$VM_TMP/boot.out"
}

# vmi_step_time REGEX: the seconds after qemu's start at which the step saw REGEX.
vmi_step_time() {
	sed -n "s/^ *\([0-9.]*\) s: saw \"$1\"\$/\1/p" "$VM_TMP/boot.times" | head -n1
}

vmi_violation() {
	echo "VIOLATION: $*"
	vmi_violations=$((vmi_violations + 1))
}

# The console's last "device-mapper mappings left: N" must say 0. After a guided
# run /init prints that line only when mappings are left (plain words on the
# technician's screen): there, reaching the end prompt without it means 0.
vmi_check_mappings() {
	n=$(tr -d '\r' <"$VM_TMP/console.log" | sed -n 's/.*device-mapper mappings left: \([0-9]*\).*/\1/p' | tail -n1)
	if [ -z "$n" ] && grep -q 'Remove the stick and press Enter' "$VM_TMP/console.log"; then
		n=0
	fi
	if [ "${n:-none}" != 0 ]; then
		vmi_mappings_left=$((vmi_mappings_left + ${n:-1}))
		vmi_violation "device-mapper mappings left in the VM: ${n:-not reported}"
		return
	fi
	echo "ok: no device-mapper mapping left in the VM"
}

vmi_unopenable() {
	vmi_unopenable=$((vmi_unopenable + 1))
	vmi_violation "$*"
}

# Judges the Windows partition from outside the VM. Sets VMI_GONE (channel files
# gone), VMI_TOTAL (channel files there were), VMI_DIRTY and VMI_WRITTEN (yes/no);
# returns 1 when the volume does not open (then nothing else is set).
vmi_inspect_volume() {
	vmi_partition "$VM_TMP/disk.img" "$VM_TMP/win.after"
	VMI_WRITTEN=yes
	cmp -s "$VM_TMP/win.orig" "$VM_TMP/win.after" && VMI_WRITTEN=no
	if ! wr_decrypt_bitlocker_volume "$VM_TMP/win.after" "$VM_TMP/win.plain" "$WR_BITLK_RP"; then
		vmi_unopenable "dislocker cannot decrypt the volume"
		return 1
	fi
	vmi_mirror_from_mft "$VM_TMP/win.plain"
	if ! "$WR_TOOLS/wr-ntfs-manifest" "$VM_TMP/win.plain" >"$VM_TMP/after.unsorted"; then
		ntfsfix -n "$VM_TMP/win.plain" 2>&1 | grep -iv '^ *$' | tail -n 4
		vmi_unopenable "libntfs-3g cannot walk the decrypted volume"
		return 1
	fi
	LC_ALL=C sort "$VM_TMP/after.unsorted" >"$VM_TMP/after.manifest"
	VMI_DIRTY=no
	ntfsinfo -f -m "$VM_TMP/win.plain" 2>/dev/null | grep -q 'Volume Flags:.*DIRTY' && VMI_DIRTY=yes
	# Exit code 4 (a fix is needed) or 0 (nothing to fix): the JSON says which. A cut in
	# the middle of a delete may leave an index entry ahead of its record: winrescue
	# then reports an error, which is right as long as Windows' disk check is due.
	"$WINRESCUE" scan --json "$VM_TMP/win.plain" >"$VM_TMP/scan.json" 2>"$VM_TMP/scan.err" || true
	if ! jq -e '.volumes[0] | .windows and .status != "error"' "$VM_TMP/scan.json" >/dev/null; then
		jq -r '.volumes[0].message // empty' "$VM_TMP/scan.json"
		if [ "$VMI_DIRTY" = no ]; then
			vmi_unopenable "winrescue scan finds the volume unsound and it is not marked dirty"
			return 1
		fi
		echo "winrescue scan reports the half-written volume as an error; it is marked dirty"
	fi
	if ! ntfsfix -n "$VM_TMP/win.plain" >"$VM_TMP/ntfsfix.out" 2>&1 && [ "$VMI_DIRTY" = no ]; then
		cat "$VM_TMP/ntfsfix.out"
		vmi_unopenable "ntfsfix -n finds the volume inconsistent and it is not marked dirty"
		return 1
	fi
	vmi_check_others
	cut -f1 "$VM_SPECS/windows.expect" | LC_ALL=C sort >"$VM_TMP/expected"
	cut -f1 "$VM_TMP/after.manifest" >"$VM_TMP/after.paths"
	VMI_TOTAL=$(wc -l <"$VM_TMP/expected")
	VMI_GONE=$(LC_ALL=C comm -23 "$VM_TMP/expected" "$VM_TMP/after.paths" | wc -l)
	echo "volume: opens; $VMI_GONE of $VMI_TOTAL channel files gone, dirty flag $VMI_DIRTY, partition written $VMI_WRITTEN"
}

# A cut between the two copies of an MFT record ($MFT, then $MFTMirr) leaves the
# mirror behind. Windows reads $MFT and its disk check rewrites the mirror; libntfs-3g
# refuses to mount. So the mirror is restored from $MFT, as the disk check would, and
# the volume is then judged by what $MFT says (its dirty flag included).
vmi_mirror_from_mft() {
	ntfsfix -n "$1" 2>&1 | grep -q 'MFTMirr does not match' || return 0
	cluster=$(($(vmi_le "$1" 11 2) * $(vmi_le "$1" 13 1)))
	per_record=$(od -An -j 64 -N 1 -t d1 "$1" | tr -d ' ')
	if [ "$per_record" -lt 0 ]; then rec=$((1 << -per_record)); else rec=$((per_record * cluster)); fi
	dd if="$1" of="$1" bs="$rec" skip=$(($(vmi_le "$1" 48 8) * cluster / rec)) \
		seek=$(($(vmi_le "$1" 56 8) * cluster / rec)) count=4 conv=notrunc status=none
	vmi_mirrors=$((vmi_mirrors + 1))
	echo "\$MFTMirr differed from \$MFT (a cut between the two copies): restored from \$MFT, which Windows reads"
}

# vmi_le FILE OFFSET BYTES: an unsigned little-endian number of the boot sector.
vmi_le() {
	od -An -j "$2" -N "$3" -t u"$3" "$1" | tr -d ' '
}

# Every file but the channel files keeps its path, size and bytes.
vmi_check_others() {
	cut -f1 "$VM_SPECS/windows.expect" | tr '\\' '/' >"$VM_TMP/channel"
	for m in before after; do
		awk -F '\t' 'FILENAME == ARGV[1] { skip[$0] = 1; next }
			{ p = $1; gsub(/\\/, "/", p) } !(p in skip)' \
			"$VM_TMP/channel" "$VM_TMP/$m.manifest" >"$VM_TMP/$m.others"
	done
	if ! diff -u "$VM_TMP/before.others" "$VM_TMP/after.others"; then
		vmi_changes=$((vmi_changes + 1))
		vmi_violation "files other than the channel files changed"
	fi
}

# vmi_summary PREFIX LINE: replaces this test's line in the build's summary file
# (scripts/test prints it at the end), then fails on any violation.
vmi_summary() {
	line="$2, volumes that no longer open $vmi_unopenable, unexpected changes $vmi_changes"
	[ "$vmi_mirrors" -eq 0 ] || line="$line, \$MFTMirr differing from \$MFT (restored from it, as the disk check does) $vmi_mirrors"
	[ "$vmi_violations" -eq 0 ] || line="$line ($vmi_violations VIOLATIONS)"
	echo "$line"
	if [ -d "${WR_BUILD:-}" ]; then
		f=$WR_BUILD/reliability-vm-interruptions.txt
		{ grep -v "^$1" "$f" 2>/dev/null || true; echo "$line"; } >"$f.new"
		mv "$f.new" "$f"
	fi
	[ "$vmi_violations" -eq 0 ] || vm_fail "$vmi_violations violations"
}

# The SYSTEM hive read offline (issue 13): computer name, sensor service, storage
# drivers' start types, a dirty hive, a hostile hive reported as unreadable.
# Hives are built here (wr-mkhive + hivexsh) and checked with hivexget.
. "$WR_SOURCE/tests/host/lib.sh"
. "$WR_SOURCE/tests/tools/hives.sh"
command -v hivexsh >/dev/null || { echo "SKIP: hivexsh (libhivex-bin) is not installed"; exit 77; }

wr_make_volume "$T/base.img" 96 Windows "$WR_SPECS/clean.spec"

# with_hive NAME HIVEFILE: a copy of the base volume with HIVEFILE as its SYSTEM hive.
with_hive() {
	cp --sparse=always "$T/base.img" "$T/$1.img"
	ntfscp "$T/$1.img" "$2" /Windows/System32/config/SYSTEM >/dev/null
}
info() { jq -r ".volumes[0].windows_info.$2" "$T/$1.json"; }

wr_make_system_hive "$T/SYSTEM" WR-PC-0042 4
check "hivexget reads the computer name the test wrote" test \
	"$(hivexget "$T/SYSTEM" '\ControlSet001\Control\ComputerName\ComputerName' ComputerName)" = WR-PC-0042
with_hive plain "$T/SYSTEM"
sum=$(wr_sha256 "$T/plain.img")
wr scan --json "$T/plain.img" >"$T/plain.json"
check "scan of a Windows volume with a real hive exits 0" test "$rc" -eq 0
check "computer name read" test "$(info plain computer_name)" = WR-PC-0042
check "control set from Select\\Current" test "$(info plain control_set)" = ControlSet001
check "sensor service and its start type" test "$(info plain 'sensor | "\(.service) \(.start)"')" = "CSAgent system"
check "storahci disabled" test "$(info plain storage_drivers.storahci)" = disabled
check "stornvme at boot" test "$(info plain storage_drivers.stornvme)" = boot
check "absent drivers are null" test "$(info plain storage_drivers.iaStorVD)" = null
check "hive clean, no pending logs" test "$(info plain 'hive | "\(.state) \(.pending_logs)"')" = "clean false"
check "an image file has no controller, so no AHCI warning" test "$(info plain 'controller, .warning' | sort -u)" = null
check "scan wrote nothing" test "$(wr_sha256 "$T/plain.img")" = "$sum"

wr_make_system_hive "$T/SYSTEM.dirty" WR-PC-DIRTY 0 dirty
with_hive dirty "$T/SYSTEM.dirty"
wr scan --json "$T/dirty.img" >"$T/dirty.json"
check "a dirty hive is reported as dirty" test "$(info dirty hive.state)" = dirty
check "with both sequence numbers" test "$(info dirty 'hive.sequence | join(",")')" = "$(($(od -An -tu4 -j8 -N4 "$T/SYSTEM.dirty") + 1)),$(od -An -tu4 -j8 -N4 "$T/SYSTEM.dirty" | tr -d " ")"
check "and still read" test "$(info dirty computer_name)" = WR-PC-DIRTY

# Hostile: a valid base block over garbage, and a truncated hive.
cp "$T/SYSTEM" "$T/SYSTEM.bad"
head -c 2048 /dev/zero | tr "\\000" "\\377" | dd of="$T/SYSTEM.bad" bs=1 seek=4100 conv=notrunc status=none
head -c 4200 "$T/SYSTEM" >"$T/SYSTEM.short"
for h in bad short; do
	with_hive "$h" "$T/SYSTEM.$h"
	wr scan --json "$T/$h.img" >"$T/$h.json"
	check "$h hive: scan still completes (exit 0)" test "$rc" -eq 0
	check "$h hive: reported as unreadable, not a crash" sh -c \
		"jq -e '.volumes[0].windows_info.hive.error | test(\"unreadable|no Select\")' '$T/$h.json' >/dev/null"
done
finish

# Registry hives for tests, built at test time: wr-mkhive writes an empty hive,
# hivexsh (libhivex-bin) adds keys and values. POSIX sh; source after fixtures.sh
# (needs WR_TOOLS). hivexget/hivexsh then read results back independently.

WR_BOOTMGR_ID='{9dea862c-5cdd-4e70-acc1-f32b344d4795}'
WR_LOADER_ID='{57524553-4355-4500-8000-00000000a001}'
WR_LOADER2_ID='{57524553-4355-4500-8000-00000000a002}'

# wr_hive_edit HIVE: runs the hivexsh commands on stdin against HIVE and commits.
wr_hive_edit() {
	{ cat; echo commit; } | hivexsh -w "$1" >/dev/null
}

# wr_make_system_hive OUT NAME STORAHCI_START [dirty]: a SYSTEM hive with
# Select\Current = 1, ControlSet001's computer name NAME, CrowdStrike's CSAgent
# (system start), storahci with the given Start, stornvme at boot start;
# "dirty" leaves the primary and secondary sequence numbers different.
wr_make_system_hive() {
	"$WR_TOOLS/wr-mkhive" "$1" SYSTEM || return 1
	wr_hive_edit "$1" <<HIVE || return 1
add Select
cd Select
setval 1
Current
dword:1
cd \\
add ControlSet001
cd ControlSet001
add Control
add Services
cd Control
add ComputerName
cd ComputerName
add ComputerName
cd ComputerName
setval 1
ComputerName
string:$2
cd \\ControlSet001\\Services
add CSAgent
add storahci
add stornvme
cd CSAgent
setval 2
Start
dword:1
ImagePath
string:System32\\drivers\\CrowdStrike\\csagent.sys
cd ..\\storahci
setval 1
Start
dword:$3
cd ..\\stornvme
setval 1
Start
dword:0
HIVE
	if [ "${4:-}" = dirty ]; then
		"$WR_TOOLS/wr-mkhive" --dirty "$1"
	fi
}

# _wr_bcd_object ID TYPE: hivexsh lines adding an object with its type.
_wr_bcd_object() {
	cat <<HIVE
cd \\Objects
add $1
cd $1
add Description
add Elements
cd Description
setval 1
Type
dword:$2
HIVE
}

# _wr_bcd_element ID ELEMENT VALUE: hivexsh lines setting one element's value.
_wr_bcd_element() {
	cat <<HIVE
cd \\Objects\\$1\\Elements
add $2
cd $2
setval 1
Element
$3
HIVE
}

# wr_make_bcd OUT [SAFEBOOT]: a BCD store with the boot manager (default: the
# first loader, timeout 30) and two Windows loaders, "Windows 11" (the default)
# and "Windows 10". SAFEBOOT (minimal|network|dsrepair|none) goes on the default
# entry, with safebootalternateshell for "minimal-shell".
wr_make_bcd() {
	"$WR_TOOLS/wr-mkhive" "$1" BCD00000000 || return 1
	{
		printf 'add Description\ncd Description\nsetval 1\nKeyName\nstring:BCD00000000\ncd \\\nadd Objects\n'
		_wr_bcd_object "$WR_BOOTMGR_ID" 0x10100002
		_wr_bcd_element "$WR_BOOTMGR_ID" 23000003 "string:$WR_LOADER_ID"
		_wr_bcd_element "$WR_BOOTMGR_ID" 25000004 "hex:3:1e,00,00,00,00,00,00,00"
		_wr_bcd_element "$WR_BOOTMGR_ID" 12000004 "string:Windows Boot Manager"
		_wr_bcd_object "$WR_LOADER_ID" 0x10200003
		_wr_bcd_element "$WR_LOADER_ID" 12000004 "string:Windows 11"
		_wr_bcd_element "$WR_LOADER_ID" 22000002 'string:\Windows'
		_wr_bcd_object "$WR_LOADER2_ID" 0x10200003
		_wr_bcd_element "$WR_LOADER2_ID" 12000004 "string:Windows 10"
		case ${2:-none} in
		minimal | minimal-shell) _wr_bcd_element "$WR_LOADER_ID" 25000080 "hex:3:00,00,00,00,00,00,00,00" ;;
		network) _wr_bcd_element "$WR_LOADER_ID" 25000080 "hex:3:01,00,00,00,00,00,00,00" ;;
		dsrepair) _wr_bcd_element "$WR_LOADER_ID" 25000080 "hex:3:02,00,00,00,00,00,00,00" ;;
		esac
		[ "${2:-}" = minimal-shell ] &&
			_wr_bcd_element "$WR_LOADER_ID" 26000081 "hex:3:01"
		true
	} | wr_hive_edit "$1"
}

# wr_bcd_value HIVE ID ELEMENT: the element's value as hivexget prints it
# ("Element"=hex(3):00,...), nothing when the element is absent.
wr_bcd_value() {
	hivexget "$1" "\\Objects\\$2\\Elements\\$3" 2>/dev/null || true
}

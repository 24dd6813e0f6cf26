# BitLocker through the CLI, on the real Windows-made volumes of ../shared/testdata/bitlk:
# Key IDs shown, keys accepted or rejected, typos pinned to their block, keys never echoed.
. "$WR_SOURCE/tests/host/lib.sh"
data=$WR_SHARED/testdata/bitlk/bitlk-images.tar.xz
if [ ! -f "$data" ]; then
	echo "skipped: ../shared/testdata/bitlk not found"
	exit 77
fi
tar -xJf "$data" -C "$T"
imgs=$T/bitlk-images
conf() {  # conf IMAGE KEY: a value from images.conf
	sed -n "/^\[$1\]/,/^\[/p" "$imgs/images.conf" | sed -n "s/^$2=//p"
}
upper() { tr a-f A-F; }
img=$imgs/bitlk-aes-xts-128.img
rp=$(conf bitlk-aes-xts-128 RP)
keyid=$(conf bitlk-aes-xts-128 RP_VMK_GUID | upper)
# A well-formed key (every block a multiple of 11) that is not this volume's.
wrong=$(conf bitlk-aes-xts-256 RP)

wr scan --json "$img" >"$T/locked.json" 2>"$T/err"
check "no key: exit 4 (fix needed: locked)" test "$rc" -eq 4
check "no key: status locked" test "$(jq -r '.volumes[0].status' "$T/locked.json")" = locked
check "no key: the Key ID is listed" test "$(jq -r '.volumes[0].key_ids[0]' "$T/locked.json")" = "$keyid"
check "no key: encryption is bitlocker" test "$(jq -r '.volumes[0].encryption' "$T/locked.json")" = bitlocker
check "no key: the message names the Key ID" sh -c "jq -r '.volumes[0].message' '$T/locked.json' | grep -q '$keyid'"

wr scan --json --recovery-key "$rp" "$img" >"$T/right.json" 2>"$T/right.err"
check "right key: accepted" test "$(jq -r '.volumes[0].key_check' "$T/right.json")" = accepted
check "right key: unlocked_key_id names its Key ID" \
	test "$(jq -r '.volumes[0].unlocked_key_id' "$T/right.json")" = "$keyid"
check "no key: no unlocked_key_id" test "$(jq -r '.volumes[0].unlocked_key_id' "$T/locked.json")" = null
check "right key: opened (dm-crypt, or the userspace device without device-mapper)" sh -c \
	"jq -r '.volumes[0].unlocked_via' '$T/right.json' | grep -qx -e dm-crypt -e userspace"
if ! grep -q device-mapper /proc/misc && [ ! -e /dev/mapper/control ]; then
	wr scan --json --bitlocker-io dm --recovery-key "$rp" "$img" >"$T/dm.json" 2>/dev/null
	check "right key, --bitlocker-io dm, no device-mapper: exit 8 and the module to load is named" \
		sh -c "test $rc -eq 8 && jq -r '.volumes[0].open_error' '$T/dm.json' | grep -q 'modprobe dm_crypt dm_zero'"
	# A /dev/mapper/control node without the kernel's driver (a copied /dev, a container;
	# libdevmapper makes one when asked for a mapping) is no device-mapper: auto takes the
	# userspace device. The node exists only in this run's mount namespace, on a tmpfs
	# over /dev/mapper (an empty directory made here if missing, as most systems have it).
	[ -d /dev/mapper ] || { mkdir /dev/mapper && made_mapper=1; }
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m sh -c 'mount -t tmpfs wrstale /dev/mapper && mknod /dev/mapper/control c 10 236 &&
		exec "$@"' sh "$WINRESCUE" scan --json --recovery-key "$rp" "$img" >"$T/stale.json" 2>/dev/null || :
	[ -z "${made_mapper:-}" ] || rmdir /dev/mapper 2>/dev/null || :
	check "a stale /dev/mapper/control: auto opens the volume through the userspace device" \
		test "$(jq -r '.volumes[0].unlocked_via' "$T/stale.json")" = userspace
fi
check "right key: the key appears nowhere in the output" sh -c \
	"! grep -q '$rp' '$T/right.json' '$T/right.err'"

wr scan --json --recovery-key "$wrong" "$img" >"$T/wrong.json" 2>/dev/null
check "wrong key: rejected" test "$(jq -r '.volumes[0].key_check' "$T/wrong.json")" = rejected
check "wrong key: still locked, exit 4" sh -c \
	"test $rc -eq 4 && test \"\$(jq -r '.volumes[0].status' '$T/wrong.json')\" = locked"

typo=$(echo "$rp" | sed 's/^\(\([0-9]*-\)\{2\}\)[0-9]\([0-9]*\)/\19\3/')
wr scan --recovery-key "$typo" "$img" >/dev/null 2>"$T/typo.err"
check "typo in block 3: usage error, nothing tried" test "$rc" -eq 16
check "typo in block 3: the message names block 3" grep -q "block 3 (" "$T/typo.err"
for sep in "" " "; do
	wr scan --json --recovery-key "$(echo "$rp" | tr - "${sep:- }" | tr -d "$([ -z "$sep" ] && echo ' ')")" \
		"$img" >"$T/sep.json" 2>/dev/null
	check "key with '${sep:-no}' separators: accepted" test \
		"$(jq -r '.volumes[0].key_check' "$T/sep.json")" = accepted
done

# A CrowdStrike-style export of 10,000 keys holding this volume's Key ID.
{
	printf '\357\273\277KeyID,RecoveryKey\r\n'
	i=0
	while [ $i -lt 9999 ]; do
		printf '{%08X-0000-4000-8000-%012X},%s\r\n' "$i" "$i" "$wrong"
		i=$((i + 1))
	done
	printf '{%s},%s\r\n' "$(echo "$keyid" | tr A-F a-f)" "$rp"
} >"$T/BitLockerKeys.csv"
wr scan --json --keys "$T/BitLockerKeys.csv" "$img" >"$T/keys.json" 2>/dev/null
check "keys file (10,000 rows, BOM, CRLF, braces, lower case): accepted" test \
	"$(jq -r '.volumes[0].key_check' "$T/keys.json")" = accepted
check "keys file: unlocked_key_id is the row's Key ID" \
	test "$(jq -r '.volumes[0].unlocked_key_id' "$T/keys.json")" = "$keyid"

# Every real volume: reported with its own words, never a crash.
for f in "$imgs"/*.img; do
	wr scan --json "$f" >"$T/any.json" 2>"$T/any.err"
	check "$(basename "$f"): reported (exit 4 or 8), BitLocker with a message" sh -c \
		"{ test $rc -eq 4 || test $rc -eq 8; } && jq -e '.volumes[0].encryption == \"bitlocker\" and (.volumes[0].message | length > 0)' '$T/any.json' >/dev/null"
done
finish

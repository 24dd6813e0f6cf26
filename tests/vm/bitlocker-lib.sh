# BitLocker cases of the VM tests (sourced after vmlib.sh): a Windows disk whose
# Windows partition is a BitLocker volume (a Windows-made header and metadata from
# ../shared/testdata/bitlk around an NTFS with the Windows tree and channel files,
# tests/tools/bitlk.sh), a keys file on the stick, and the checks made from outside
# the VM by decrypting the partition with dislocker (an independent reader).
. "$WR_SOURCE/tests/tools/bitlk.sh"

# Windows partition: after the 1 MiB gap, the 100 MiB ESP and the 16 MiB MSR.
VM_BL_START=117

vm_bitlocker_init() {
	if ! wr_bitlk_available; then
		echo "skipped: ../shared/testdata/bitlk not found"
		exit 77
	fi
	trap 'wr_bitlk_cleanup; vm_cleanup' EXIT
}

# GPT: ESP, MSR, the BitLocker Windows volume, recovery. Sets WR_BITLK_RP/KEYID.
vm_make_bitlocker_disk() {
	wr_make_bitlocker_volume "$VM_TMP/win.enc" "$VM_SPECS/windows.spec" ||
		vm_fail "could not make the BitLocker volume"
	wr_make_volume "$VM_TMP/recovery.img" 64 Recovery "$VM_SPECS/recovery.spec"
	wr_make_disk "$1" gpt esp:100 msr:16 ntfs:"$VM_TMP/win.enc" recovery:"$VM_TMP/recovery.img" ||
		vm_fail "could not make the disk"
	VM_BL_MIB=$(($(stat -c %s "$VM_TMP/win.enc") / 1048576))
	VM_BL_KEYID=$(echo "$WR_BITLK_KEYID" | tr a-f A-F)  # as Windows and winrescue print it
	"$WR_TOOLS/wr-ntfs-manifest" "$WR_BITLK_PLAIN" | LC_ALL=C sort >"$VM_TMP/before.manifest"
	sha256sum "$1" | cut -d' ' -f1 >"$VM_TMP/before.disk"
}

# A CrowdStrike-style key export with this volume's key among others, as an admin
# would drop it on the stick (Windows line ends, a byte-order mark).
vm_put_keys_file() {
	{
		printf '\357\273\277KeyID,RecoveryKey\r\n'
		printf '{0B5C2E4F-1111-4222-8333-444455556666},%s\r\n' \
			"111111-222222-333333-444444-555555-666666-777777-888888"
		printf '{%s},%s\r\n' "$WR_BITLK_KEYID" "$WR_BITLK_RP"
	} >"$VM_TMP/keys.csv"
	mcopy -i "$1@@$VM_STICK_OFFSET" "$VM_TMP/keys.csv" ::/winrescue/keys.csv
}

# Decrypts the Windows partition outside the VM and checks that exactly the
# matching files are gone and every other file keeps its bytes.
vm_check_bitlocker_fixed() {
	dd if="$VM_TMP/disk.img" of="$VM_TMP/win.after" bs=1M skip="$VM_BL_START" \
		count="$VM_BL_MIB" status=none
	wr_decrypt_bitlocker_volume "$VM_TMP/win.after" "$VM_TMP/win.plain" "$WR_BITLK_RP" ||
		vm_fail "dislocker cannot decrypt the volume after the fix"
	vm_check_plain_fixed "$VM_TMP/win.plain" "$VM_TMP/before.manifest" "decrypted outside the VM"
}

# vm_check_plain_fixed PLAIN BEFORE_MANIFEST WHAT [NTFS_BYTES]: PLAIN, the fixed volume's
# plaintext (as WHAT read it), lacks exactly the matching files of windows.spec; every
# other file of BEFORE_MANIFEST (wr-ntfs-manifest, sorted) keeps its bytes; ntfsfix -n is
# clean. NTFS_BYTES: the size of an NTFS smaller than its volume, which keeps its backup
# boot sector at its own end: PLAIN is cut there before ntfsfix.
vm_check_plain_fixed() {
	"$WR_TOOLS/wr-ntfs-manifest" "$1" | LC_ALL=C sort >"$VM_TMP/after.manifest"
	LC_ALL=C comm -23 "$2" "$VM_TMP/after.manifest" | cut -f1 >"$VM_TMP/gone"
	LC_ALL=C comm -13 "$2" "$VM_TMP/after.manifest" >"$VM_TMP/new"
	cut -f1 "$VM_SPECS/windows.expect" | LC_ALL=C sort >"$VM_TMP/expected"
	diff -u "$VM_TMP/expected" "$VM_TMP/gone" || vm_fail "$3: the deleted files are not exactly the expected ones"
	[ ! -s "$VM_TMP/new" ] || { cat "$VM_TMP/new"; vm_fail "$3: other files changed on the BitLocker volume"; }
	[ -z "${4:-}" ] || truncate -s "$4" "$1"
	ntfsfix -n "$1" >/dev/null || vm_fail "$3: ntfsfix -n finds the volume inconsistent"
	echo "ok: $3, exactly the $(wc -l <"$VM_TMP/expected") channel 291 files are gone, every other file intact"
}

# The report: BitLocker, the key accepted and what opened it; the key itself nowhere.
vm_check_bitlocker_report() {
	jq -e --arg id "$VM_BL_KEYID" '.volumes[] | select(.encryption == "bitlocker") |
		any(.key_ids[]; . == $id) and .key_check == "accepted"' \
		"$VM_TMP/report.json" >/dev/null || vm_fail "the report does not show the accepted key"
	s="$VM_TMP/stick.img@@$VM_STICK_OFFSET"
	mcopy -n -i "$s" "$(grep -i '\.log$' "$VM_TMP/reports" | head -n1)" "$VM_TMP/report.log" 2>/dev/null || true
	# A typed key is echoed by the console itself: only unattended runs check it there.
	console=$VM_TMP/console.log
	[ "${1:-}" = typed ] && console=
	# shellcheck disable=SC2086
	! grep -q "$WR_BITLK_RP" "$VM_TMP/report.json" "$VM_TMP/report.log" $console ||
		vm_fail "the recovery key appears in the report, log or console"
	echo "ok: the report shows Key ID $VM_BL_KEYID accepted; the key itself appears nowhere"
}

# After the tool, /init lists what is left in /dev/mapper: it must be nothing.
vm_check_no_mappings() {
	tr -d '\r' <"$VM_TMP/console.log" | grep -q 'device-mapper mappings left: 0' ||
		vm_fail "device-mapper mappings were left in the VM"
	echo "ok: no device-mapper mapping left in the VM"
}

# vm_bitlocker_case [AUTO_CONF]: the set-up every BitLocker case shares: the disk,
# and a stick (with auto.conf when given).
vm_bitlocker_case() {
	vm_init
	vm_bitlocker_init
	vm_make_bitlocker_disk "$VM_TMP/disk.img"
	vm_make_stick "$VM_TMP/stick.img" "$@"
}

# vm_bitlk_suspended_table IMG: the device-mapper table of the suspended volume IMG, with
# the FVEK dislocker unwraps from its clear key (libcryptsetup 2.6.1 gives none).
vm_bitlk_suspended_table() {
	_vb_fvek=$(vm_bitlk_fvek "$1" -c) && vm_bitlk_dm_table "$1" "$_vb_fvek"
}

# vm_bitlk_fvek IMG DISLOCKER_KEY_OPTION: the volume's FVEK (hex) as dislocker unwraps it
# (its debug log).
vm_bitlk_fvek() {
	rm -f "$VM_TMP/fvek.plain" "$VM_TMP/fvek.log"
	# Debian 12's dislocker-file 0.7.3 can crash on exit after a debug run; its log is
	# whole by then, and a wrong key would show in the differential.
	dislocker-file "$2" -vvvv -l "$VM_TMP/fvek.log" -V "$1" "$VM_TMP/fvek.plain" >/dev/null 2>&1 || :
	rm -f "$VM_TMP/fvek.plain"
	awk '/ FVEK -----/ { on = 1; next }
		on && /-----/ { exit }
		on { for (i = 8; i <= NF; i++) { gsub("-", "", $i); printf "%s", $i } }
		END { if (on) print "" }' "$VM_TMP/fvek.log" | grep -E '^([0-9a-f]{32})+$'
}

# vm_bitlk_dm_table IMG KEY: the device-mapper table of IMG's plaintext, as libcryptsetup
# lays it out from its bitlkDump (its activation refuses suspended volumes): the first
# sectors (the NTFS boot sectors) are read from where BitLocker moved them, with their
# own sector numbers as IVs; the metadata areas and the moved sectors read as zeros;
# the rest is decrypted in place. The device is the word @DEV@. 512-byte sectors only.
vm_bitlk_dm_table() {
	cryptsetup bitlkDump "$1" | awk -v key="$2" '
	function crypt(start, len, from) {
		if (len > 0) printf "%d %d crypt %s %s %d @DEV@ %d\n", start, len, cipher, key, from, from
	}
	/^Sector size:/ { ss = $3 }
	/^Volume size:/ { size = $3 / 512 }
	/^Cipher name:/ { cipher = $3 }
	/^Cipher mode:/ { cipher = cipher "-" $3 }
	/^ [0-9]+: (FVE metadata area|Volume header)/ { n++; hdr[n] = /Volume header/ }
	/^\tOffset:/ && n { off[n] = $2 / 512 }
	/^\tSize:/ && n { len[n] = $2 / 512 }
	END {
		if (ss != 512 || !n || !size) exit 1
		for (i = 1; i <= n; i++) {
			for (j = i + 1; j <= n; j++) if (off[j] < off[i]) {
				t = off[i]; off[i] = off[j]; off[j] = t; t = len[i]; len[i] = len[j]; len[j] = t
				t = hdr[i]; hdr[i] = hdr[j]; hdr[j] = t
			}
			if (hdr[i]) { hoff = off[i]; hlen = len[i] }
		}
		if (!hlen) exit 1
		crypt(0, hlen, hoff); at = hlen
		for (i = 1; i <= n; i++) {
			crypt(at, off[i] - at, at)
			printf "%d %d zero\n", off[i], len[i]; at = off[i] + len[i]
		}
		crypt(at, size - at, at)
	}'
}

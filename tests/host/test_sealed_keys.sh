# Sealed keys files through the CLI: `keys seal` on a 10,000-row export, then
# --keys on the real Windows-made BitLocker volume of ../shared/testdata/bitlk gives
# the same result as the plain export; a wrong passphrase is one clear error; a
# changed or cut file is refused; the plain export brings a warning.
. "$WR_SOURCE/tests/host/lib.sh"
. "$WR_SOURCE/tests/tools/bitlk.sh"
if ! wr_bitlk_available; then
	echo "skipped: ../shared/testdata/bitlk not found"
	exit 77
fi
trap 'wr_bitlk_cleanup; rm -rf "$T"' EXIT INT TERM
wr_bitlk_unpack
img=$WR_BITLK_CACHE/bitlk-images/bitlk-aes-xts-128.img
rp=$(wr_bitlk_conf bitlk-aes-xts-128 RP)
keyid=$(wr_bitlk_conf bitlk-aes-xts-128 RP_VMK_GUID | tr a-f A-F)
other=$(wr_bitlk_conf bitlk-aes-xts-256 RP)
# A 10,000-row export (Windows line ends) with this volume's row last.
awk -v other="$other" -v id="$keyid" -v rp="$rp" 'BEGIN {
	print "KeyID,RecoveryKey\r"
	for (i = 0; i < 9999; i++) printf "{%08X-0000-4000-8000-%012X},%s\r\n", i, i, other
	printf "{%s},%s\r\n", id, rp }' >"$T/keys.csv"
echo 'a passphrase kept apart from the stick' >"$T/pass"
printf 'not it\r\n' >"$T/wrong"

wr keys seal --passphrase-file "$T/pass" "$T/keys.csv" "$T/keys.sealed" >"$T/seal.out"
check "keys seal: exit 0, 10,000 keys sealed" sh -c "test $rc -eq 0 && grep -q 'Sealed 10000 keys' '$T/seal.out'"
check "the sealed file holds neither the recovery key nor its Key ID in clear" sh -c \
	"! grep -a -q -i -e '$rp' -e '$keyid' -e '$(echo "$rp" | cut -d- -f1-2)' '$T/keys.sealed'"
check "the sealed file holds no row of the export in clear" sh -c \
	"! grep -a -q -e '$other' -e '0000-4000-8000' -e KeyID '$T/keys.sealed'"
wr keys seal --passphrase-file "$T/pass" "$T/keys.sealed" "$T/twice"
check "sealing a sealed file: refused (exit 8)" test "$rc" -eq 8

# Same result through the sealed file as through the plain one (time aside).
wr scan --json --keys "$T/keys.csv" "$img" >"$T/plain.json" 2>"$T/plain.err"
rc_plain=$rc
wr scan --json --keys "$T/keys.sealed" --keys-passphrase-file "$T/pass" "$img" >"$T/sealed.json" 2>"$T/sealed.err"
check "sealed: same exit code as plain ($rc_plain)" test "$rc" -eq "$rc_plain"
check "sealed: the key was accepted, Key ID $keyid" jq -e --arg id "$keyid" \
	'.volumes[0].key_check == "accepted" and .volumes[0].unlocked_key_id == $id' "$T/sealed.json"
check "sealed: the same report as plain (but the time and warnings)" sh -c \
	"jq -S 'del(.time, .warnings)' '$T/plain.json' >'$T/p' && jq -S 'del(.time, .warnings)' '$T/sealed.json' >'$T/s' && cmp -s '$T/p' '$T/s'"
check "plain export: the report warns that the keys are in clear" jq -e \
	'any(.warnings[]; test("in clear"))' "$T/plain.json"
check "sealed export: no such warning" jq -e '(.warnings | length) == 0' "$T/sealed.json"

wr scan --json --keys "$T/keys.sealed" --keys-passphrase-file "$T/wrong" "$img" >"$T/w.json" 2>"$T/w.err"
check "wrong passphrase: usage error (16), nothing scanned" sh -c "test $rc -eq 16 && test ! -s '$T/w.json'"
check "wrong passphrase: one line that says so" sh -c \
	"test \$(wc -l <'$T/w.err') -eq 1 && grep -q 'wrong passphrase' '$T/w.err'"
wr scan --keys "$T/keys.sealed" "$img" </dev/null >/dev/null 2>"$T/n.err"
check "no passphrase and no terminal: usage error naming --keys-passphrase-file" sh -c \
	"test $rc -eq 16 && grep -q 'is sealed: give its passphrase (--keys-passphrase-file' '$T/n.err'"

size=$(stat -c %s "$T/keys.sealed")
head -c $((size - 1)) "$T/keys.sealed" >"$T/cut.sealed"
wr scan --keys "$T/cut.sealed" --keys-passphrase-file "$T/pass" "$img" >/dev/null 2>"$T/cut.err"
check "a cut sealed file is refused" sh -c "test $rc -eq 16 && grep -q 'cut short\|changed' '$T/cut.err'"
cp "$T/keys.sealed" "$T/tampered.sealed"
# One byte of the ciphertext changed (to a value it does not have: salt and nonce are random).
byte=$(od -An -tx1 -j $((size / 2)) -N1 "$T/keys.sealed" | tr -d ' ')
new=58; [ "$byte" = 58 ] && new=59
printf "\\$(printf %o 0x$new)" | dd of="$T/tampered.sealed" bs=1 seek=$((size / 2)) conv=notrunc status=none
check "the changed file differs in one byte" test "$(cmp -l "$T/keys.sealed" "$T/tampered.sealed" | wc -l)" -eq 1
wr scan --keys "$T/tampered.sealed" --keys-passphrase-file "$T/pass" "$img" >/dev/null 2>"$T/t.err"
check "a changed sealed file is refused (GCM tag)" sh -c "test $rc -eq 16 && grep -q 'changed' '$T/t.err'"
cp "$T/keys.sealed" "$T/header.sealed"
printf '\004' | dd of="$T/header.sealed" bs=1 seek=12 conv=notrunc status=none  # KDF passes
wr scan --keys "$T/header.sealed" --keys-passphrase-file "$T/pass" "$img" >/dev/null 2>"$T/h.err"
check "a changed header (KDF parameters) is refused" test "$rc" -eq 16
finish

# The recovery-key prompt on a terminal (a pty driven by expect), as technicians type
# keys at the crashed PC: F1-F10 with the Linux console's and xterm's sequences, the
# keypad in application mode, the French AZERTY number row without Shift, backspace
# over a dash and a block typo caught at once, a wrong key then a pasted right one.
# Real Windows-made BitLocker volumes (../shared/testdata/bitlk), one scan asking
# for each; the keys are checked by libcryptsetup (the report says "accepted").
. "$WR_SOURCE/tests/host/lib.sh"
. "$WR_SOURCE/tests/tools/bitlk.sh"
wr_bitlk_setup
imgs=$WR_BITLK_CACHE/bitlk-images
set -- aes-xts-128 aes-xts-256 aes-cbc-128 aes-cbc-256 aes-xts-128-4k aes-cbc-128-4k
targets='' ids=''
for v; do
	targets="$targets $imgs/bitlk-$v.img"
	ids="$ids $(wr_bitlk_conf "bitlk-$v" RP_VMK_GUID | cut -c1-8 | tr a-f A-F)"
	eval "key_$(echo "$v" | tr - _)=\$(wr_bitlk_conf bitlk-$v RP)"
done
# shellcheck disable=SC2154 # the key_* variables are set by the eval above
cat >"$T/typist.exp" <<EOF2
set ids [list $ids]
# Digits as the keys of each way of typing send them.
proc linux_fkeys {digits} {
	set out ""
	foreach d [split \$digits ""] {
		if {\$d >= 1 && \$d <= 5} { append out "\033\[\[" [format %c [expr {64 + \$d}]] } \
		else { append out "\033\[" [expr {\$d == 0 ? 21 : \$d + 11}] "~" }
	}
	return \$out
}
proc xterm_fkeys {digits} {
	set out ""
	foreach d [split \$digits ""] {
		if {\$d >= 1 && \$d <= 4} { append out "\033O" [format %c [expr {79 + \$d}]] } \
		elseif {\$d == 5} { append out "\033\[15~" } \
		else { append out "\033\[" [expr {\$d == 0 ? 21 : \$d + 11}] "~" }
	}
	return \$out
}
proc keypad {digits} {
	set out ""
	foreach d [split \$digits ""] { append out "\033O" [format %c [expr {112 + \$d}]] }
	return \$out
}
proc azerty {digits} {
	set row [list "\u00e0" "&" "\u00e9" "\"" "'" "(" "-" "\u00e8" "_" "\u00e7"]
	set out ""
	foreach d [split \$digits ""] { append out [lindex \$row \$d] }
	return \$out
}
proc plain {key} { return [string map {- ""} \$key] }
# want TEXT: waits for TEXT (exactly) or ends the dialog.
proc want {text} {
	expect {
		-timeout 90
		-ex \$text {}
		timeout { puts "\nno \"\$text\" on the screen"; exit 2 }
		eof { puts "\nended before \"\$text\""; exit 2 }
	}
}
proc prompt_for {n} {
	global ids
	want [lindex \$ids \$n]
	want "Recovery key: "
}
proc checked {} { want "Checking the key" }

spawn $WINRESCUE scan --report $T/report.json $targets
prompt_for 0
send -- [linux_fkeys [plain $key_aes_xts_128]]\r
checked
prompt_for 1
send -- [xterm_fkeys [plain $key_aes_xts_256]]\r
checked
prompt_for 2
send -- [keypad [plain $key_aes_cbc_128]]\033OM
checked
prompt_for 3
send -- [azerty [plain $key_aes_cbc_256]]\r
checked
prompt_for 4
# Block 1, one digit too many, two backspaces (the second over the dash), then
# block 2 with a typo: refused as soon as it is complete, typed again.
set k [plain $key_aes_xts_128_4k]
send -- "[string range \$k 0 5]7"
send -- "\177\177[string index \$k 5]"
send -- "[string range \$k 6 10][expr {([string index \$k 11] + 1) % 10}]"
want "block 2 ("
want "Recovery key: [string range \$k 0 5]-"
send -- "[string range \$k 6 end]\r"
checked
prompt_for 5
# A wrong key pasted whole (with dashes): the volume says no, asked again.
send -- "$key_aes_xts_256\r"
checked
want "does not open this disk"
prompt_for 5
send -- "$key_aes_cbc_128_4k\r"
checked
expect -timeout 90 eof
catch wait result
exit [lindex \$result 3]
EOF2
run_dialog "$T/typist.exp"
check "the scan ended normally (exit 4 or 8: locked or no device-mapper here)" sh -c "test $rc -eq 4 || test $rc -eq 8"
for i in 0 1 2 3 4 5; do
	check "volume $((i + 1)) ($(echo "$@" | cut -d' ' -f$((i + 1)))): key accepted" test \
		"$(jq -r ".volumes[$i].key_check" "$T/report.json" 2>/dev/null)" = accepted
done
check "F-keys are echoed as digits, grouped as typed" grep -qF "Recovery key: $key_aes_xts_128" "$T/shown"
check "AZERTY symbols are echoed as digits" grep -qF "Recovery key: $key_aes_cbc_256" "$T/shown"
check "the typo is named by its block at once" grep -q "block 2 ([0-9]\{6\}) is not valid" "$T/shown"
check "a wrong key is said so, then asked again" test "$(grep -c 'does not open this disk' "$T/shown")" -eq 1
check "the Key ID's first 8 characters are highlighted" grep -q "$(printf '\033')\[1;7m$(echo $ids | cut -d' ' -f1)" "$T/transcript"
check "admins are told where keys are found" grep -q "Entra ID or Intune" "$T/shown"
check "no key appears in the report" sh -c "! grep -q '$key_aes_xts_128' '$T/report.json'"
[ "$failures" -eq 0 ] || sed 's/^/  | /' "$T/shown" | tail -40
finish

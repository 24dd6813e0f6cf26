# Fleet parts of the rescue initramfs' /init (sourced by it; busybox sh):
# sealed keys' passphrase file, networking for netboot (busybox udhcpc), keys
# fetched from keys_url=, the report and log sent by HTTP PUT to report_url=
# (curl), and the full-screen result that stays on the console (after_fixed=,
# after_failed=). Uses init's say, log, STICK, STICKDEV, REPORTS, CONSOLES.

keys_passphrase_file=
keys_url=
report_url=
after_fixed=
after_failed=
FLEET_NOTE=

# A bare passphrase file name is looked for in the stick's winrescue/ folder, then
# at the top and in winrescue/ of every other FAT/exFAT volume (a second stick
# that travels apart from the first). Prints the path found.
fleet_passphrase_path() {
	case $keys_passphrase_file in
	/*) [ -f "$keys_passphrase_file" ] && echo "$keys_passphrase_file"; return ;;
	esac
	if [ -n "$STICKDEV" ] && [ -f "$STICK/winrescue/$keys_passphrase_file" ]; then
		echo "$STICK/winrescue/$keys_passphrase_file"
		return
	fi
	n=0
	for dev in $(awk 'NR > 2 { print $4 }' /proc/partitions); do
		case $dev in loop* | ram* | dm-* | sr*) continue ;; esac
		[ "/dev/$dev" = "$STICKDEV" ] && continue
		n=$((n + 1))
		m=/run/other$n
		mkdir -p "$m"
		mount -t vfat -o ro "/dev/$dev" "$m" 2>/dev/null ||
			mount -t exfat -o ro "/dev/$dev" "$m" 2>/dev/null || continue
		for f in "$m/$keys_passphrase_file" "$m/winrescue/$keys_passphrase_file"; do
			if [ -f "$f" ]; then
				cp "$f" /run/keys.passphrase
				umount "$m"
				echo /run/keys.passphrase
				return
			fi
		done
		umount "$m"
	done
}

# Adds the passphrase option when the keys file is sealed and a passphrase file
# is named; without one the guided mode asks, the unattended run says why not.
fleet_keys_passphrase() {
	[ -n "$KEYSARG" ] || return 0
	[ "$(head -c 8 "${KEYSARG#--keys }" 2>/dev/null)" = WRSEALED ] || return 0
	if [ -z "$keys_passphrase_file" ]; then
		say "winrescue: the keys file is sealed; the passphrase is asked when the run starts"
		return 0
	fi
	p=$(fleet_passphrase_path)
	if [ -n "$p" ]; then
		KEYSARG="$KEYSARG --keys-passphrase-file $p"
		say "winrescue: sealed keys file, passphrase from $keys_passphrase_file"
	else
		say "winrescue: keys_passphrase_file=$keys_passphrase_file not found on any stick"
	fi
}

# Networking only when a URL asks for it: every NIC up, DHCP on each until one
# gets an address (busybox udhcpc; /etc/winrescue/udhcpc.script configures it).
fleet_start_network() {
	[ -n "$keys_url$report_url" ] || return 0
	ip link set lo up 2>/dev/null
	for i in /sys/class/net/*; do
		n=${i##*/}
		[ "$n" = lo ] && continue
		ip link set "$n" up 2>/dev/null
		if udhcpc -i "$n" -n -q -t 5 -T 2 -s /etc/winrescue/udhcpc.script >>"$INITLOG" 2>&1; then
			say "winrescue: network $n: $(ip -4 -o addr show dev "$n" | awk '{ print $4 }')"
			return 0
		fi
	done
	say "winrescue: no network: no interface got an address by DHCP (driver missing, cable?)"
}

# curl with the limits a rescue run wants: fail on HTTP errors, give up in time.
fleet_curl() {
	curl -fsS --connect-timeout 10 --max-time 120 --retry 2 --retry-connrefused "$@"
}

# keys_url=: the keys file (sealed or not) fetched into memory, used instead of
# the stick's.
fleet_fetch_keys() {
	[ -n "$keys_url" ] || return 0
	if e=$(fleet_curl -o /run/keys.fetched "$keys_url" 2>&1) && [ -s /run/keys.fetched ]; then
		KEYSARG="--keys /run/keys.fetched"
		say "winrescue: recovery keys from $keys_url"
	else
		say "winrescue: could not fetch the keys from $keys_url: $(echo "${e:-empty file}" | tail -n 1)"
	fi
}

# report_url=: the run's report and log PUT beside each other. On failure the
# copies stay in memory (and on the stick if there is one) and the screen says so.
fleet_send_reports() {
	[ -n "$report_url" ] || return 0
	json=$(ls -t "$REPORTS"/*.json 2>/dev/null | head -n 1)
	[ -n "$json" ] || { FLEET_NOTE="No report was written: nothing was sent."; return 1; }
	sent=0 err=
	for f in "$json" "${json%.json}.log"; do
		[ -f "$f" ] || continue
		if e=$(fleet_curl -T "$f" "${report_url%/}/${f##*/}" 2>&1); then
			sent=$((sent + 1))
		else
			err=$(echo "$e" | tail -n 1)   # curl says it once per try
		fi
	done
	if [ -z "$err" ]; then
		FLEET_NOTE="Report and log sent to ${report_url%/}/${json##*/}"
		say "winrescue: $FLEET_NOTE"
		return 0
	fi
	where="in memory only ($REPORTS), lost at power-off"
	[ -n "$STICKDEV" ] && where="on the stick (winrescue/reports/)"
	FLEET_NOTE="REPORT NOT SENT to $report_url: kept $where."
	say "winrescue: $FLEET_NOTE ($err)"
	return 1
}

# The result that stays: the whole screen, every console.
fleet_result_screen() {
	json=$(ls -t "$REPORTS"/*.json 2>/dev/null | head -n 1)
	[ -n "$json" ] || return 0
	for c in $CONSOLES; do
		winrescue summary --screen --note "$FLEET_NOTE" "$json" >"/dev/$c" 2>>"$INITLOG"
	done
}

# What to do after an unattended run: after_fixed= for "fixed" and "nothing to
# fix", after_failed= for the rest; both default to after= (poweroff). A report
# that could not be sent and has no stick to live on keeps the machine waiting.
fleet_after() {
	rc=$1 unsent=$2
	if [ "$rc" = 0 ] || [ "$rc" = 1 ]; then
		next=${after_fixed:-${after:-poweroff}}
	else
		next=${after_failed:-${after:-poweroff}}
	fi
	# Not found is not fixed: the machine waits for someone to read why.
	[ "$rc" = 2 ] && [ -z "$after_failed" ] && next=prompt
	if [ "$unsent" = 1 ] && [ -z "$STICKDEV" ]; then
		case $next in poweroff | reboot) next=prompt ;; esac
	fi
	echo "$next"
}

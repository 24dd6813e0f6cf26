# Helpers for bench/run (POSIX sh, sourced). Times are medians from hyperfine
# (its --prepare step, which makes the fresh copy of an image, is not timed);
# peak memory is the maximum RSS that /usr/bin/time reports (median of 3 runs).
# Needs: BENCH_WORK (scratch folder), BENCH_RUNS (runs per measurement).

bench_fail() {
	echo "bench: $*" >&2
	exit 1
}

# bench_ms PREPARE COMMAND: median wall time of COMMAND in milliseconds.
# Exit codes are ignored here (winrescue fix exits 1 when it fixed something);
# bench/run checks each command's outcome once before timing it.
bench_ms() {
	hyperfine --style none --warmup 1 --runs "$BENCH_RUNS" --ignore-failure \
		--prepare "$1" --export-json "$BENCH_WORK/hyperfine.json" "$2" >/dev/null 2>&1 ||
		bench_fail "hyperfine failed on: $2"
	jq -r '.results[0].median * 1000 | . * 10 | round / 10' "$BENCH_WORK/hyperfine.json"
}

# bench_rss PREPARE PROGRAM [ARGS...]: median peak RSS of PROGRAM in KiB.
bench_rss() {
	_prep=$1
	shift
	for _i in 1 2 3; do
		sh -c "$_prep" >/dev/null 2>&1
		/usr/bin/time -f %M -o "$BENCH_WORK/rss" "$@" >/dev/null 2>&1 || :
		tail -n 1 "$BENCH_WORK/rss"
	done | sort -n | sed -n 2p
}

# bench_ratio A B: A/B with two decimals.
bench_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
}

# bench_meets VALUE OP LIMIT: "met" or "MISSED" (OP: le or lt).
bench_meets() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		ok = (op == "le") ? v <= l : v < l
		print ok ? "met" : "MISSED" }'
}

bench_heading() {
	printf '\n== %s\n' "$1"
	printf '%-46s %10s %9s  %s\n' "case" "median ms" "peak KiB" "notes"
}

# bench_row CASE MS KIB NOTES
bench_row() {
	printf '%-46s %10s %9s  %s\n' "$1" "$2" "$3" "$4"
}

bench_not_measured() {
	printf '%-46s %10s %9s  not measured here: %s\n' "$1" "-" "-" "$2"
}

# bench_volume IMG SIZE SPEC: a sparse NTFS image (mkntfs -Q) populated from SPEC.
bench_volume() {
	rm -f "$1" && truncate -s "$2" "$1" &&
		mkntfs -F -Q -q -T -s 512 -c 4096 -L Windows "$1" >/dev/null 2>&1 ||
		bench_fail "mkntfs failed on $1"
	"$WR_TOOLS/wr-mkfixture" "$1" "$3" || bench_fail "wr-mkfixture failed on $3"
}

# The three Channel File 291 files of bench/specs/targets.spec, as ntfsls lists them.
bench_targets_left() {
	ntfsls -f "$1" -p /Windows/System32/drivers/CrowdStrike 2>/dev/null |
		grep -c '^C-00000291-00000000-0000003[234]\.sys$' || :
}

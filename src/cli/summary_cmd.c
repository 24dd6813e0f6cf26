/* winrescue summary [--csv FILE] [--json] PATH...: the fleet view over the
 * reports collected from the sticks (src/summary_*.c does the work). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "winrescue/summary.h"

static const char summary_usage[] =
	"Usage: winrescue summary [--csv FILE] [--json] PATH...\n"
	"\n"
	"Reads winrescue reports (JSON files, and folders of them such as a stick's\n"
	"winrescue/reports/, searched recursively) and prints the fleet: result counts,\n"
	"one line per machine (its latest state and history), the recovery keys that\n"
	"were used and must be rotated, and the files that are not winrescue reports.\n"
	"\n"
	"  --csv FILE   also write one CSV row per report to FILE ('-': standard output)\n"
	"  --json       print the summary as JSON instead of the table\n"
	"  --screen     one report as the rescue stick's full-screen result, with a QR\n"
	"               code of its one-line summary (--no-qr: without); --note TEXT adds\n"
	"               a paragraph\n"
	"\n"
	"Exit codes: 0 done (skipped files included), 8 a PATH or the CSV file could not\n"
	"be read or written, 16 usage error.\n";

static int write_csv(const struct wr_fleet *f, const char *path)
{
	FILE *out = strcmp(path, "-") ? fopen(path, "we") : stdout;
	int rc = out ? wr_fleet_write_csv(f, out) : -errno;
	if (out && out != stdout && fclose(out) && !rc)
		rc = -errno;
	if (rc)
		fprintf(stderr, "winrescue: cannot write %s: %s\n", path, strerror(-rc));
	return rc;
}

static int print_summary(const struct wr_fleet *f, bool json, bool csv_on_stdout)
{
	if (json) {
		char *text = wr_fleet_to_json(f);
		fputs(text, stdout);
		free(text);
		return 0;
	}
	return csv_on_stdout ? 0 : wr_fleet_print_table(f, stdout);
}

/* --screen REPORT: the report must be readable, or the screen says so itself. */
static int show_screen(int n, char **paths, const char *note, bool qr)
{
	if (n != 1) {
		fputs("winrescue: summary --screen takes one report file\n", stderr);
		return WR_RESULT_USAGE;
	}
	struct wr_fleet f;
	wr_fleet_init(&f);
	wr_fleet_add_path(&f, paths[0]);
	int rc = 0;
	if (f.nreports == 1) {
		rc = wr_fleet_print_screen(&f.reports[0], note, stdout, qr) ? WR_RESULT_ERROR : 0;
	} else {
		fprintf(stderr, "winrescue: %s: %s\n", paths[0],
			f.nskipped ? f.skipped[0].reason : "not one report");
		rc = WR_RESULT_ERROR;
	}
	wr_fleet_free(&f);
	return rc;
}

int cli_summary(int argc, char **argv)
{
	static const struct option options[] = {
		{ "csv", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "screen", no_argument, NULL, 's' },
		{ "no-qr", no_argument, NULL, 'q' },
		{ "note", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *csv = NULL, *note = NULL;
	bool json = false, screen = false, qr = true;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'c': csv = optarg; break;
		case 'j': json = true; break;
		case 's': screen = true; break;
		case 'q': qr = false; break;
		case 'n': note = optarg; break;
		case 'h': fputs(summary_usage, stdout); return 0;
		default:
			fprintf(stderr, "winrescue: summary: unknown or incomplete option '%s'\n%s",
				argv[optind - 1], summary_usage);
			return WR_RESULT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "winrescue: summary needs a report file or folder\n%s", summary_usage);
		return WR_RESULT_USAGE;
	}
	if (json && csv && !strcmp(csv, "-")) {
		fputs("winrescue: summary: --json and --csv - both want standard output\n", stderr);
		return WR_RESULT_USAGE;
	}
	if (screen)
		return show_screen(argc - optind, argv + optind, note, qr);
	struct wr_fleet f;
	wr_fleet_init(&f);
	for (int i = optind; i < argc; i++)
		wr_fleet_add_path(&f, argv[i]);
	wr_fleet_group(&f);
	int rc = csv ? write_csv(&f, csv) : 0;
	if (print_summary(&f, json, csv && !strcmp(csv, "-")))
		rc = -EIO;
	bool failed = rc || f.unreadable_paths;
	wr_fleet_free(&f);
	return failed ? WR_RESULT_ERROR : 0;
}

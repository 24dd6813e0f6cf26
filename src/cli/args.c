#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "winrescue/ntfsvol.h"
#include "winrescue/util.h"

enum long_only {
	OPT_REPORT = 256, OPT_REPORTS_DIR, OPT_BACKUP_DIR, OPT_NO_BACKUP, OPT_DRY_RUN,
	OPT_RECOVERY_KEY, OPT_KEYS, OPT_BEK, OPT_PASSWORD, OPT_PASSWORD_FILE, OPT_NO_PROMPT,
	OPT_RESET_JOURNAL, OPT_DISCARD_FAST_STARTUP, OPT_DISCARD_HIBERNATION, OPT_JSON,
	OPT_KEYS_PASSPHRASE_FILE,
	OPT_KEEP_SAFEBOOT, OPT_UNDO,
	OPT_BITLOCKER_IO,
};

static const struct option long_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "reports-dir", required_argument, NULL, OPT_REPORTS_DIR },
	{ "backup-dir", required_argument, NULL, OPT_BACKUP_DIR },
	{ "no-backup", no_argument, NULL, OPT_NO_BACKUP },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "yes", no_argument, NULL, 'y' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "recovery-key", required_argument, NULL, OPT_RECOVERY_KEY },
	{ "keys", required_argument, NULL, OPT_KEYS },
	{ "keys-passphrase-file", required_argument, NULL, OPT_KEYS_PASSPHRASE_FILE },
	{ "bek", required_argument, NULL, OPT_BEK },
	{ "password", no_argument, NULL, OPT_PASSWORD },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "no-prompt", no_argument, NULL, OPT_NO_PROMPT },
	{ "bitlocker-io", required_argument, NULL, OPT_BITLOCKER_IO },
	{ "reset-journal", no_argument, NULL, OPT_RESET_JOURNAL },
	{ "discard-fast-startup", no_argument, NULL, OPT_DISCARD_FAST_STARTUP },
	{ "discard-hibernation", no_argument, NULL, OPT_DISCARD_HIBERNATION },
	{ "keep-safeboot", no_argument, NULL, OPT_KEEP_SAFEBOOT },
	{ "undo", no_argument, NULL, OPT_UNDO },
	{ NULL, 0, NULL, 0 },
};

void cli_print_options(FILE *out)
{
	fputs("\n"
	      "Finds Windows volumes and removes the faulty CrowdStrike Channel File 291\n"
	      "(\\Windows\\System32\\drivers\\CrowdStrike\\C-00000291*.sys), unlocking BitLocker.\n"
	      "TARGET: a disk, a partition, or an image file; none: every disk of the machine.\n"
	      "\n"
	      "Output:\n"
	      "  --json                  print the JSON report instead of the table\n"
	      "  --report FILE           also write the JSON report to FILE\n"
	      "  --reports-dir DIR       write report, log and backups to DIR, named after\n"
	      "                          the machine's serial number and the time\n"
	      "  -v, --verbose           more columns and diagnostics\n"
	      "Fixing:\n"
	      "  --dry-run               show what fix would do, write nothing\n"
	      "  -y, --yes               do not ask for confirmation\n"
	      "  --backup-dir DIR        where deleted files are kept (default: beside the report)\n"
	      "  --no-backup             delete without keeping a copy\n"
	      "  --reset-journal         fix a volume with an unclean NTFS journal: reset the\n"
	      "                          journal and mark the volume for a disk check\n"
	      "  --discard-fast-startup  fix a volume Windows left in Fast Startup\n"
	      "  --discard-hibernation   fix a hibernated volume, discarding the hibernation\n"
	      "  --keep-safeboot         leave Safe Mode set in the boot configuration (fix\n"
	      "                          removes it by default)\n"
	      "BitLocker:\n"
	      "  --recovery-key KEY      a 48-digit recovery key (repeatable)\n"
	      "  --keys FILE             a key export (CSV/TSV with Key ID and recovery key),\n"
	      "                          plain or sealed with 'winrescue keys seal'\n"
	      "  --keys-passphrase-file FILE  the sealed keys file's passphrase (else asked)\n"
	      "  --bek FILE              a startup key file (.BEK)\n"
	      "  --password              ask for the BitLocker password\n"
	      "  --password-file FILE    read the BitLocker password from FILE\n"
	      "  --no-prompt             never ask for a key on the terminal\n"
	      "  --bitlocker-io MODE     auto (dm-crypt where device-mapper exists and\n"
	      "                          libcryptsetup maps the kind, else winrescue's own\n"
	      "                          userspace device), dm or userspace\n"
	      "\n"
	      "Exit codes: 0 nothing to fix, 1 fixed, 2 Windows not found, 4 fix needed, 8 error,\n"
	      "16 usage error, 32 refused for safety. See winrescue(8).\n", out);
}

static void add_string(const char ***list, size_t *n, const char *s)
{
	*list = wr_xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = s;
}

static int set_bitlocker_io(struct cli *cli, const char *arg)
{
	static const char *const modes[] = { "auto", "dm", "userspace" };
	for (int i = 0; i < 3; i++)
		if (!strcmp(arg, modes[i])) {
			cli->bitlocker_io = (enum wr_bitlocker_io)i;
			return 0;
		}
	fprintf(stderr, "winrescue: --bitlocker-io takes auto, dm or userspace, not '%s'\n", arg);
	return WR_RESULT_USAGE;
}

static int set_option(struct cli *cli, int c, const char *arg)
{
	switch (c) {
	case OPT_JSON: cli->json = true; break;
	case OPT_REPORT: cli->report_file = arg; break;
	case OPT_REPORTS_DIR: cli->reports_dir = arg; break;
	case OPT_BACKUP_DIR: cli->backup_dir = arg; break;
	case OPT_NO_BACKUP: cli->no_backup = true; break;
	case OPT_DRY_RUN: cli->dry_run = true; break;
	case 'y': cli->yes = true; break;
	case 'v': cli->verbose++; break;
	case OPT_RECOVERY_KEY: add_string(&cli->recovery_keys, &cli->nrecovery_keys, arg); break;
	case OPT_KEYS: cli->keys_file = arg; break;
	case OPT_KEYS_PASSPHRASE_FILE: cli->keys_passphrase_file = arg; break;
	case OPT_BEK: cli->bek_file = arg; break;
	case OPT_PASSWORD: cli->ask_password = true; break;
	case OPT_PASSWORD_FILE: cli->password_file = arg; break;
	case OPT_NO_PROMPT: cli->no_prompt = true; break;
	case OPT_KEEP_SAFEBOOT: cli->keep_safeboot = true; break;
	case OPT_UNDO: cli->undo = true; break;
	case OPT_BITLOCKER_IO: return set_bitlocker_io(cli, arg);
	case OPT_RESET_JOURNAL: cli->overrides |= WR_NTFS_RESET_JOURNAL; break;
	case OPT_DISCARD_FAST_STARTUP: cli->overrides |= WR_NTFS_DISCARD_FAST_STARTUP; break;
	case OPT_DISCARD_HIBERNATION: cli->overrides |= WR_NTFS_DISCARD_HIBERNATION; break;
	default: return WR_RESULT_USAGE;
	}
	return 0;
}

static int usage_error(const char *fmt, const char *what)
{
	fputs("winrescue: ", stderr);
	fprintf(stderr, fmt, what);
	fputs("\nTry 'winrescue --help'.\n", stderr);
	return WR_RESULT_USAGE;
}

static int check_targets(const struct cli *cli)
{
	struct stat st;
	for (size_t i = 0; i < cli->ntargets; i++)
		if (stat(cli->targets[i], &st) < 0)
			return usage_error("%s: no such disk, partition or image file",
				cli->targets[i]);
	return 0;
}

static int check_combination(const struct cli *cli)
{
	if (cli->no_backup && cli->backup_dir)
		return usage_error("%s", "--no-backup and --backup-dir contradict each other");
	if (cli->dry_run && !cli->command->dry_run)
		return usage_error("%s", "--dry-run belongs to 'fix'");
	if (cli->undo && !cli->command->undo)
		return usage_error("%s", "--undo belongs to 'safe-mode'");
	if (cli->report_file && cli->reports_dir)
		return usage_error("%s", "give --report or --reports-dir, not both");
	return check_targets(cli);
}

/* Options may come before or after the command, as in most Linux tools. */
int cli_parse(struct cli *cli, int argc, char **argv)
{
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "yvhV", long_options, NULL)) != -1) {
		if (c == 'h' || c == 'V') {
			cli->command = cli_find_command(c == 'h' ? "help" : "version", true);
			return 0;
		}
		if (c == '?' || c == ':')
			return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		if (set_option(cli, c, optarg))
			return WR_RESULT_USAGE;
	}
	if (optind < argc) {
		cli->command = cli_find_command(argv[optind], false);
		if (!cli->command || !cli->command->handler) {
			fprintf(stderr, "winrescue: unknown command '%s' (", argv[optind]);
			cli_print_command_names(stderr);
			fputs(")\nTry 'winrescue --help'.\n", stderr);
			return WR_RESULT_USAGE;
		}
		optind++;
	}
	for (; optind < argc; optind++)
		add_string(&cli->targets, &cli->ntargets, argv[optind]);
	return cli->command ? check_combination(cli) : 0;
}

void cli_free(struct cli *cli)
{
	free(cli->recovery_keys);
	free(cli->targets);
	free(cli->run_name);
	if (cli->log)
		fclose(cli->log);
}

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "winrescue/bitlocker.h"
#include "winrescue/bootstore.h"
#include "winrescue/log.h"
#include "winrescue/mapping.h"
#include "winrescue/mdraid.h"
#include "winrescue/ntfsvol.h"
#include "winrescue/machine.h"
#include "winrescue/outfile.h"
#include "winrescue/report.h"
#include "winrescue/sealed.h"
#include "winrescue/storage.h"
#include "winrescue/util.h"

/* <machine serial>-<UTC time>: one name for the report, log and backups of a
 * run, so that reports collected from many sticks never collide. */
static char *make_run_name(const struct wr_report *rep)
{
	char when[32];
	struct tm tm;
	gmtime_r(&rep->time, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	char *serial = wr_xstrdup(rep->machine.serial ? rep->machine.serial : "unknown-serial");
	for (char *p = serial; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			*p = '_';
	char *name = wr_xasprintf("%s-%s", serial, when);
	free(serial);
	return name;
}

static char *report_path(const struct cli *cli)
{
	if (cli->reports_dir)
		return wr_xasprintf("%s/%s.json", cli->reports_dir, cli->run_name);
	return cli->report_file ? wr_xstrdup(cli->report_file) : NULL;
}

/* Backup paths in the report are absolute: a relative one means nothing to
 * whoever reads the report elsewhere. */
static char *absolute(char *path)
{
	char cwd[PATH_MAX];
	if (!path || path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return path;
	char *abs = wr_xasprintf("%s/%s", cwd, path);
	free(path);
	return abs;
}

static char *relative_backup_root(const struct cli *cli)
{
	if (cli->no_backup)
		return NULL;
	if (cli->backup_dir)
		return wr_xstrdup(cli->backup_dir);
	if (cli->reports_dir)
		return wr_xasprintf("%s/%s", cli->reports_dir, cli->run_name);
	if (cli->report_file) {
		char *copy = wr_xstrdup(cli->report_file);
		char *root = wr_xasprintf("%s/winrescue-backup", dirname(copy));
		free(copy);
		return root;
	}
	return wr_xstrdup("winrescue-backup");
}

char *cli_backup_root(const struct cli *cli)
{
	return absolute(relative_backup_root(cli));
}

static int open_reports_dir(struct cli *cli, const struct wr_report *rep)
{
	cli->run_name = make_run_name(rep);
	int rc = wr_mkdir_p(cli->reports_dir, 0755);
	char *log = wr_xasprintf("%s/%s.log", cli->reports_dir, cli->run_name);
	if (!rc && !(cli->log = fopen(log, "we")))
		rc = -errno;
	if (rc)
		fprintf(stderr, "winrescue: cannot write to %s: %s\n", cli->reports_dir, strerror(-rc));
	else
		wr_log_set_copy(cli->log);
	free(log);
	return rc;
}

static bool confirm_on_terminal(void *ctx, const struct wr_report *plan)
{
	const struct cli *cli = ctx;
	size_t n = 0;
	for (size_t i = 0; i < plan->nvolumes; i++)
		if (plan->volumes[i].status == WR_VOL_FIX_NEEDED)
			n += plan->volumes[i].nfiles;
	wr_report_print_table(plan, stdout, cli->verbose > 0);
	char *q = n ? wr_xasprintf("Delete the %zu file%s marked 'would delete' above%s?", n,
		n == 1 ? "" : "s", wr_bootstores_want_fix(plan) ?
		" and remove the Safe Mode setting from the boot configuration" : "") :
		wr_xstrdup("Remove the Safe Mode setting from the boot configuration?");
	bool yes = cli_ask_yes(q);
	free(q);
	return yes;
}

/* The report file first: when it cannot be written, what is printed says so
 * (the exit code in every JSON is the process's). */
int cli_write_outputs(const struct cli *cli, struct wr_report *rep)
{
	char *path = report_path(cli);
	int rc = path ? wr_report_write_file(rep, path) : 0;
	if (rc) {
		fprintf(stderr, "winrescue: cannot write the report %s: %s\n", path,
			wr_output_error(rc));
		rep->result = wr_result_worse(rep->result, WR_RESULT_ERROR);
	}
	if (cli->json) {
		char *json = wr_report_to_json(rep);
		size_t n = strlen(json);
		fputs(json, stdout);
		if (!n || json[n - 1] != '\n')    /* json-c's pretty text ends with one */
			fputc('\n', stdout);
		free(json);
	} else if (cli->command->report == WR_COMMAND_GUIDED) {
		/* The guided mode ends with its own result line (verdict.h). */
		wr_report_print_details(rep, stdout, cli->verbose > 0);
	} else {
		wr_report_print_table(rep, stdout, cli->verbose > 0);
	}
	if (cli->log)
		wr_report_print_table(rep, cli->log, true);
	if (!rc && path && !cli->json)
		printf("Report: %s\n", path);
	free(path);
	return rc;
}

static void say_on_stderr(void *ctx, const char *text)
{
	(void)ctx;
	fprintf(stderr, "winrescue: %s\n", text);
}

/* The whole machine (no targets given): slow controllers (SAS, USB) may still be
 * adding disks, so discovery waits until the list has been stable for 3 s (at most
 * 30 s). Given targets are looked at as they are. */
static struct wr_storage *examine_storage(const struct cli *cli, bool writes)
{
	bool settled = true;
	double waited = -1;
	if (!cli->ntargets)
		waited = wr_storage_settle("/sys", 3000, 30000, say_on_stderr, NULL, &settled);
	struct wr_storage *st = wr_storage_examine("/sys", cli->ntargets ? NULL : "/dev");
	/* Software RAID sets are assembled before the scan, read-write only for a fix. */
	if (!cli->ntargets && wr_mdraid_members_present(st)) {
		say_on_stderr(NULL, writes ? "assembling software RAID sets (mdadm)" :
			"assembling software RAID sets read-only (mdadm)");
		char *out = NULL;
		int rc = wr_mdraid_assemble(writes, &out);
		wr_storage_free(st);
		st = wr_storage_examine("/sys", "/dev");
		if (rc) {
			char **note = wr_array_grow(&st->notes, &st->nnotes, sizeof(char *));
			*note = wr_xasprintf("mdadm could not assemble every RAID set (exit %d): %s",
				rc, out && *out ? out : "no message");
		}
		free(out);
	}
	st->settle_seconds = waited;
	st->settled = settled;
	return st;
}

/* Before anything is changed: a fix whose report or backups cannot be written
 * would delete files and then fail to say so. */
static int check_outputs(const struct cli *cli, bool writes, const char *backups)
{
	char *path = report_path(cli);
	int rc = path ? wr_output_check(path) : 0;
	if (rc)
		fprintf(stderr, "winrescue: cannot write the report %s: %s; nothing was changed\n",
			path, wr_output_error(rc));
	free(path);
	if (rc || !writes || !backups)
		return rc;
	if ((rc = wr_output_check_dir(backups)) != 0)
		fprintf(stderr, "winrescue: cannot write backups to %s: %s; nothing was changed "
			"(--backup-dir DIR elsewhere, or --no-backup)\n", backups,
			wr_output_error(rc));
	return rc;
}

static bool needs_confirmation(const struct cli *cli, bool fix)
{
	return fix && !cli->dry_run && !cli->yes;
}

/* A stick carrying the fleet's keys in clear gives them to whoever finds it. */
static void warn_keys_in_clear(const struct cli *cli, struct wr_report *rep)
{
	if (!cli->keys_file || wr_keys_file_is_sealed(cli->keys_file))
		return;
	wr_report_add_warning(rep, "the keys file %s holds recovery keys in clear: seal it with "
			      "'winrescue keys seal' (docs/rescue-media.md)", cli->keys_file);
	fprintf(stderr, "winrescue: warning: %s\n", rep->warnings[rep->nwarnings - 1]);
}

int cli_run(struct cli *cli)
{
	bool guided = cli->command->report == WR_COMMAND_GUIDED;
	bool fix = cli->command->report != WR_COMMAND_SCAN;
	bool interactive = isatty(STDIN_FILENO) && !cli->no_prompt;
	if (needs_confirmation(cli, fix) && !isatty(STDIN_FILENO)) {
		fputs("winrescue: fix asks for confirmation on a terminal; give --yes to run "
		      "unattended, or --dry-run to see the plan\n", stderr);
		return WR_RESULT_USAGE;
	}
	struct wr_report rep;
	wr_report_init(&rep, cli->command->report, cli->dry_run);
	wr_machine_read(&rep.machine, "/sys/class/dmi/id");
	if (cli->reports_dir && open_reports_dir(cli, &rep)) {
		wr_report_free(&rep);
		return WR_RESULT_ERROR;
	}
	struct wr_keysource *keys = cli_make_keysource(cli, interactive);
	if (!keys) {
		wr_report_free(&rep);
		return WR_RESULT_USAGE;
	}
	warn_keys_in_clear(cli, &rep);
	char *backups = cli_backup_root(cli);
	if (check_outputs(cli, fix && !cli->dry_run, backups)) {
		free(backups);
		wr_keysource_free(keys);
		wr_report_free(&rep);
		return WR_RESULT_ERROR;
	}
	struct wr_run_options opts = {
		.fix = fix, .dry_run = cli->dry_run, .overrides = cli->overrides,
		.backup_root = backups, .keys = keys, .bitlocker_io = cli->bitlocker_io,
		.confirm = needs_confirmation(cli, fix) ? confirm_on_terminal : NULL,
		.confirm_ctx = cli, .keep_safeboot = cli->keep_safeboot,
	};
	if (guided)
		cli_guided_callbacks(&opts);
	rep.storage = examine_storage(cli, fix && !cli->dry_run);
	enum wr_result result = wr_run(&rep, cli->targets, cli->ntargets, &opts);
	if (!rep.interrupted)
		wr_signal_reraise();    /* a signal stopped the run: end by it (mapping.h) */
	if (guided && interactive && !rep.interrupted) {
		cli_guided_offer_safe_mode(&rep, backups);
		result = rep.result;
	}
	if (cli_write_outputs(cli, &rep))
		result = wr_result_worse(result, WR_RESULT_ERROR);
	wr_signal_reraise();    /* interrupted mid-fix: the report is written, now end by it */
	if (guided)
		cli_guided_epilogue(&rep, backups);
	free(backups);
	wr_keysource_free(keys);
	wr_report_free(&rep);
	return (int)result;
}

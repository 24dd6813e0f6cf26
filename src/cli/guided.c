/* The guided mode: what a technician at the crashed PC sees. One decision, which
 * defaults to the safe fix: the files to delete, and for a crashed PC's unclean
 * journal (or Fast Startup) the reset that goes with it. Hibernation, a real saved
 * session, is a question of its own that defaults to No. Plain words, and one
 * final line with the next step (verdict.h). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "winrescue/bootstore.h"
#include "winrescue/ntfsvol.h"
#include "winrescue/report.h"
#include "winrescue/state_rules.h"
#include "winrescue/verdict.h"

static void print_where(const struct wr_volume *vol)
{
	if (vol->partition)
		printf("%s partition %d", vol->device, vol->partition);
	else
		printf("%s", vol->device);
}

/* The journal reset and Fast Startup's discard are part of the one decision (the
 * confirmation lists them); nothing is written before it. Hibernation is asked now. */
static bool ask_override(void *ctx, const struct wr_volume *vol, const struct wr_state_rule *rule)
{
	(void)ctx;
	if (!rule->question)
		return true;
	printf("\n");
	print_where(vol);
	printf(":\n");
	return cli_ask(rule->question, false);
}

static size_t planned_files(const struct wr_report *plan)
{
	size_t n = 0;
	for (size_t i = 0; i < plan->nvolumes; i++)
		if (plan->volumes[i].status == WR_VOL_FIX_NEEDED)
			n += plan->volumes[i].nfiles;
	return n;
}

/* What will be done to each disk besides deleting, in words. */
static void print_state_changes(const struct wr_report *plan)
{
	for (size_t i = 0; i < plan->nvolumes; i++) {
		const struct wr_volume *v = &plan->volumes[i];
		if (v->status != WR_VOL_FIX_NEEDED)
			continue;
		if (v->state & WR_STATE_UNCLEAN_JOURNAL) {
			printf("  - reset the disk journal Windows left open when it crashed (");
			print_where(v);
			puts(");\n    Windows will check the disk once at its next start");
		}
		if (v->state & WR_STATE_FAST_STARTUP) {
			printf("  - discard Fast Startup's saved state (");
			print_where(v);
			puts("); Windows will check\n    the disk once at its next start");
		}
		if (v->state & WR_STATE_HIBERNATED)
			puts("  - discard the hibernated session (as you chose above)");
	}
}

static bool confirm_fix(void *ctx, const struct wr_report *plan)
{
	const struct cli *cli = ctx;
	wr_report_print_details(plan, stdout, cli->verbose > 0);
	size_t n = planned_files(plan);
	printf("\nwinrescue will:\n  - delete the %zu faulty CrowdStrike file%s listed above%s\n", n,
	       n == 1 ? "" : "s", cli->no_backup ? "" : " (a copy of each is kept)");
	print_state_changes(plan);
	return cli_ask("Fix this PC now?", true);
}

void cli_guided_callbacks(struct wr_run_options *opts)
{
	opts->ask_override = ask_override;
	opts->confirm = confirm_fix;     /* confirm_ctx is the cli */
	puts("winrescue: looking for Windows on this PC's disks...");
	fflush(stdout);
}

static size_t count_action(const struct wr_report *rep, enum wr_action action)
{
	size_t n = 0;
	for (size_t i = 0; i < rep->nvolumes; i++)
		for (size_t j = 0; j < rep->volumes[i].nfiles; j++)
			n += rep->volumes[i].files[j].action == action;
	return n;
}

static void explain_fixed(const struct wr_report *rep, const char *backups)
{
	size_t n = count_action(rep, WR_ACTION_DELETED);
	printf("%zu faulty file%s deleted%s%s.\n", n, n == 1 ? "" : "s",
	       backups ? "; copies kept in " : "", backups ? backups : "");
	puts("Windows should start normally.");
	if (wr_verdict_fixed_bitlocker(rep))
		puts("If BitLocker asks for the recovery key once, type the same key again: it\n"
		     "does so when the boot order or Secure Boot settings were changed.");
}

static bool safe_mode_set(const struct wr_report *rep)
{
	for (size_t i = 0; i < rep->nboot_stores; i++)
		if (rep->boot_stores[i].action == WR_BOOT_SAFE_MODE_SET)
			return true;
	return false;
}

void cli_guided_epilogue(const struct wr_report *rep, const char *backups)
{
	putchar('\n');
	switch (rep->result) {
	case WR_RESULT_FIXED:
		explain_fixed(rep, backups);
		break;
	case WR_RESULT_NO_WINDOWS:
		puts("What to check next:\n"
		     "- Firmware setup, storage/SATA mode: if it is \"RAID On\" or Intel RST, set it\n"
		     "  to AHCI, run winrescue again, and set it back before Windows starts.\n"
		     "- A controller marked \"no driver\" above is not supported by this stick:\n"
		     "  see docs/rescue-media.md for what to use instead.\n"
		     "- That the Windows disk is connected and listed in the firmware setup.");
		break;
	default:
		if (safe_mode_set(rep)) {
			puts("Safe Mode is set (see the steps above); the files were not deleted.");
			return;
		}
		break;
	}
	wr_verdict_print(rep, stdout);
}

static bool any_locked(const struct wr_report *rep)
{
	for (size_t i = 0; i < rep->nvolumes; i++)
		if (rep->volumes[i].status == WR_VOL_LOCKED)
			return true;
	return false;
}

void cli_guided_offer_safe_mode(struct wr_report *rep, const char *backups)
{
	if (!any_locked(rep) || !rep->nboot_stores)
		return;
	puts("\nA BitLocker volume stayed locked: without its recovery key winrescue cannot\n"
	     "delete the file from here. Windows can do it itself in Safe Mode, which starts\n"
	     "without the key (the TPM unlocks the disk); the boot configuration is changed,\n"
	     "with a backup, and repair.cmd on this stick finishes the job inside Windows.");
	if (!cli_ask_yes("No key: start Windows in Safe Mode instead?"))
		return;
	wr_bootstores_safe_mode(rep, false, backups);
	wr_report_finish(rep);
	cli_safe_mode_next_steps(rep, false);
}

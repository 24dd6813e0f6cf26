#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "winrescue/bootstore.h"
#include "winrescue/state_rules.h"

static bool ask_override(void *ctx, const struct wr_volume *vol, const struct wr_state_rule *rule)
{
	(void)ctx;
	if (vol->partition)
		printf("\n%s partition %d:\n", vol->device, vol->partition);
	else
		printf("\n%s:\n", vol->device);
	return cli_ask_yes(rule->question);
}

void cli_guided_callbacks(struct wr_run_options *opts)
{
	opts->ask_override = ask_override;
	puts("winrescue: looking for Windows volumes...");
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

void cli_guided_epilogue(const struct wr_report *rep, const char *backups)
{
	putchar('\n');
	switch (rep->result) {
	case WR_RESULT_FIXED:
		printf("Done: %zu file%s deleted%s%s.\n", count_action(rep, WR_ACTION_DELETED),
		       count_action(rep, WR_ACTION_DELETED) == 1 ? "" : "s",
		       backups ? ", copies kept in " : "", backups ? backups : "");
		puts("Remove the USB stick and restart: Windows should start normally.\n"
		     "If BitLocker asks for the recovery key once, type the same key again: it does\n"
		     "so when the boot order or Secure Boot settings were changed.");
		break;
	case WR_RESULT_NOTHING_TO_FIX:
		puts("No faulty channel file was found: this machine's problem is something else.");
		break;
	case WR_RESULT_NO_WINDOWS:
		puts("Windows was NOT found on this machine: nothing was checked or changed.\n"
		     "What to check next:\n"
		     "- Firmware setup, storage/SATA mode: if it is \"RAID On\" or Intel RST, set it\n"
		     "  to AHCI, run winrescue again, and set it back before Windows starts.\n"
		     "- A controller marked \"no driver\" above is not supported by this stick:\n"
		     "  see docs/rescue-media.md for what to use instead.\n"
		     "- That the Windows disk is connected and listed in the firmware setup.");
		break;
	default:
		for (size_t i = 0; i < rep->nboot_stores; i++)
			if (rep->boot_stores[i].action == WR_BOOT_SAFE_MODE_SET) {
				puts("Safe Mode is set (see the steps above); the files were not deleted.");
				return;
			}
		puts("Nothing more was changed. The table above says why for each volume.");
		break;
	}
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

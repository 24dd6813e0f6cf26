/* winrescue safe-mode: the path for a machine whose BitLocker recovery key is
 * lost. The boot configuration store is on the unencrypted EFI (or BIOS system)
 * partition: with safeboot minimal on the default entry, Windows starts in Safe
 * Mode (the TPM still unlocks the disk), where the channel file can be deleted
 * from inside Windows; winrescue\windows\repair.cmd on the stick does that. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "winrescue/bootstore.h"
#include "winrescue/machine.h"
#include "winrescue/report.h"
#include "winrescue/run.h"

void cli_safe_mode_next_steps(const struct wr_report *rep, bool undo)
{
	size_t changed = 0;
	for (size_t i = 0; i < rep->nboot_stores; i++)
		changed += rep->boot_stores[i].action == (undo ? WR_BOOT_RESTORED :
							  WR_BOOT_SAFE_MODE_SET);
	if (!rep->nboot_stores) {
		puts("\nNo Windows boot configuration (\\EFI\\Microsoft\\Boot\\BCD or \\Boot\\BCD) "
		     "was found: nothing was changed.");
		return;
	}
	if (undo) {
		printf("\n%s\n", changed ? "Safe Mode removed: Windows starts normally again." :
		       "Safe Mode was not set: nothing to undo.");
		return;
	}
	puts("\nWindows will start in Safe Mode (no recovery key needed: the TPM unlocks "
	     "the disk).\nNext:\n"
	     "  1. Remove this stick and start Windows; sign in as an administrator.\n"
	     "  2. Put the stick back, open a Command Prompt as administrator and run\n"
	     "     E:\\winrescue\\windows\\repair.cmd   (E: is the stick). It deletes\n"
	     "     C-00000291*.sys, removes Safe Mode and writes a log to the stick.\n"
	     "     By hand: del C:\\Windows\\System32\\drivers\\CrowdStrike\\C-00000291*.sys\n"
	     "     then: bcdedit /deletevalue {default} safeboot\n"
	     "  3. Restart. To take Safe Mode back out from here: winrescue safe-mode --undo");
}

int cli_safe_mode(struct cli *cli)
{
	struct wr_report rep;
	wr_report_init(&rep, cli->undo ? WR_COMMAND_SAFE_MODE_UNDO : WR_COMMAND_SAFE_MODE, false);
	wr_machine_read(&rep.machine, "/sys/class/dmi/id");
	wr_run_probe(&rep, cli->targets, cli->ntargets);
	wr_bootstores_scan(&rep, true);
	char *backups = cli_backup_root(cli);
	rep.result = wr_bootstores_safe_mode(&rep, cli->undo, backups);
	free(backups);
	int result = (int)rep.result;
	if (cli_write_outputs(cli, &rep))
		result = WR_RESULT_ERROR;
	if (!cli->json)
		cli_safe_mode_next_steps(&rep, cli->undo);
	wr_report_free(&rep);
	return result;
}

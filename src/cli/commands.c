/* The commands: one table drives parsing (args.c), dispatch (main.c) and usage. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int cmd_run(struct cli *cli) { return cli_run(cli); }

static int cmd_help(struct cli *cli)
{
	(void)cli;
	cli_print_usage(stdout);
	return 0;
}

static int cmd_version(struct cli *cli)
{
	(void)cli;
	puts("winrescue " WR_VERSION);
	return 0;
}

static const struct cli_command commands[] = {
	{ .name = "scan", .handler = cmd_run, .report = WR_COMMAND_SCAN,
	  .synopsis = "[OPTIONS] [TARGET...]" },
	{ .name = "fix", .handler = cmd_run, .report = WR_COMMAND_FIX, .dry_run = true,
	  .synopsis = "[--dry-run] [OPTIONS] [TARGET...]" },
	{ .name = "guided", .handler = cmd_run, .report = WR_COMMAND_GUIDED,
	  .synopsis = "[OPTIONS]        (also: winrescue, on a terminal)" },
	{ .name = "safe-mode", .handler = cli_safe_mode, .report = WR_COMMAND_SAFE_MODE, .undo = true,
	  .synopsis = "[--undo] [TARGET...]   (no key: Windows' Safe Mode)" },
	{ .name = "summary", .own_args = cli_summary,
	  .synopsis = "[--csv FILE] [--json] PATH...   (reports of a fleet)" },
	{ .name = "keys", .own_args = cli_keys,
	  .synopsis = "seal [--passphrase-file FILE] IN OUT (encrypt a key export)" },
	/* Reached through -h and -V only. */
	{ .name = "help", .handler = cmd_help, .option_only = true },
	{ .name = "version", .handler = cmd_version, .option_only = true },
};

#define NCOMMANDS (sizeof(commands) / sizeof(*commands))

const struct cli_command *cli_find_command(const char *name, bool from_option)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name) && (from_option || !commands[i].option_only))
			return &commands[i];
	return NULL;
}

void cli_print_command_names(FILE *out)
{
	const char *sep = "";
	size_t n = 0, shown = 0;
	for (size_t i = 0; i < NCOMMANDS; i++)
		n += !commands[i].option_only;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (commands[i].option_only)
			continue;
		fprintf(out, "%s%s", sep, commands[i].name);
		shown++;
		sep = shown + 1 == n ? " or " : ", ";
	}
}

void cli_print_usage(FILE *out)
{
	const char *lead = "Usage:";
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (commands[i].option_only)
			continue;
		fprintf(out, "%-6s winrescue %s %s\n", lead, commands[i].name, commands[i].synopsis);
		lead = "";
	}
	cli_print_options(out);
}

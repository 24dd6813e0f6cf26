#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "winrescue/log.h"

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

static int cmd_scan_or_fix(struct cli *cli) { return cli_run(cli, false); }
static int cmd_guided(struct cli *cli) { return cli_run(cli, true); }
static int cmd_safe_mode(struct cli *cli) { return cli_safe_mode(cli); }

static const struct command {
	const char *name;
	int (*handler)(struct cli *cli);
} commands[] = {
	{ "scan", cmd_scan_or_fix },
	{ "fix", cmd_scan_or_fix },
	{ "guided", cmd_guided },
	{ "safe-mode", cmd_safe_mode },
	{ "help", cmd_help },
	{ "version", cmd_version },
};

/* No command: the guided mode on a terminal (the rescue stick's technician),
 * usage otherwise (a script that forgot its command). */
static const char *default_command(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) ? "guided" : NULL;
}

int main(int argc, char **argv)
{
	/* Commands with options of their own. */
	if (argc > 1 && !strcmp(argv[1], "summary"))
		return cli_summary(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "keys"))
		return cli_keys(argc - 1, argv + 1);
	struct cli cli = { 0 };
	int rc = cli_parse(&cli, argc, argv);
	if (!rc && !cli.command && !(cli.command = default_command())) {
		cli_print_usage(stderr);
		rc = WR_RESULT_USAGE;
	}
	if (!rc) {
		wr_log_set_level(cli.verbose > 1 ? WR_LOG_DEBUG : cli.verbose ? WR_LOG_INFO : WR_LOG_WARN);
		wr_log_capture_ntfs();
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (!strcmp(commands[i].name, cli.command))
				rc = commands[i].handler(&cli);
	}
	cli_free(&cli);
	return rc;
}

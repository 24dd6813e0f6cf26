#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "winrescue/log.h"

/* No command: the guided mode on a terminal (the rescue stick's technician),
 * usage otherwise (a script that forgot its command). */
static const struct cli_command *default_command(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) ? cli_find_command("guided", false)
		: NULL;
}

int main(int argc, char **argv)
{
	/* Commands with options of their own. */
	const struct cli_command *own = argc > 1 ? cli_find_command(argv[1], false) : NULL;
	if (own && own->own_args)
		return own->own_args(argc - 1, argv + 1);
	struct cli cli = { 0 };
	int rc = cli_parse(&cli, argc, argv);
	if (!rc && !cli.command && !(cli.command = default_command())) {
		cli_print_usage(stderr);
		rc = WR_RESULT_USAGE;
	}
	if (!rc) {
		wr_log_set_level(cli.verbose > 1 ? WR_LOG_DEBUG : cli.verbose ? WR_LOG_INFO : WR_LOG_WARN);
		wr_log_capture_ntfs();
		rc = cli.command->handler(&cli);
	}
	cli_free(&cli);
	return rc;
}

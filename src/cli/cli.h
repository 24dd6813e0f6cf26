/* The command-line front: options, commands, the guided mode. */
#ifndef WINRESCUE_CLI_H
#define WINRESCUE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "winrescue/model.h"
#include "winrescue/run.h"

struct cli;

/* One row per command: parsing, dispatch and usage all read this table (commands.c). */
struct cli_command {
	const char *name;
	int (*handler)(struct cli *cli);   /* returns the exit code */
	int (*own_args)(int argc, char **argv);  /* or: parses its own options (argv[0]: name) */
	enum wr_command report;            /* what the report's `command` says */
	bool dry_run;                      /* takes --dry-run */
	bool undo;                         /* takes --undo */
	bool option_only;                  /* reached through an option (-h, -V), not by name */
	const char *synopsis;              /* the usage line after the name */
};

/* The command named, NULL when there is none (option_only ones only from_option). */
const struct cli_command *cli_find_command(const char *name, bool from_option);
/* "scan, fix or guided". */
void cli_print_command_names(FILE *out);

struct cli {
	const struct cli_command *command;
	bool json;
	bool yes;
	bool no_backup;
	bool dry_run;
	bool no_prompt;
	bool keep_safeboot;
	bool undo;               /* safe-mode --undo */
	int verbose;
	const char *report_file;
	const char *reports_dir;
	const char *backup_dir;
	const char *keys_file;
	const char *keys_passphrase_file;
	const char *bek_file;
	const char *password_file;
	bool ask_password;
	const char **recovery_keys;
	size_t nrecovery_keys;
	unsigned overrides;
	enum wr_bitlocker_io bitlocker_io;
	const char **targets;
	size_t ntargets;
	/* Chosen at run time. */
	char *run_name;          /* <machine serial>-<UTC time>, with --reports-dir */
	FILE *log;
};

/* Parses argv into cli; returns 0, or WR_RESULT_USAGE after printing why. */
int cli_parse(struct cli *cli, int argc, char **argv);
void cli_free(struct cli *cli);
void cli_print_usage(FILE *out);     /* the commands' synopses, then the options */
void cli_print_options(FILE *out);

/* Builds the key sources the options name; NULL with a message on error. */
struct wr_keysource *cli_make_keysource(const struct cli *cli, bool interactive);
/* scan / fix: the whole run with its output. Returns the exit code. */
int cli_run(struct cli *cli);
/* Asks a yes/no question on the terminal; default no. */
bool cli_ask_yes(const char *question);
/* The same with the answer an empty line gives ([Y/n] or [y/N]); end of input is no. */
bool cli_ask(const char *question, bool default_yes);

/* The guided mode: questions instead of options, and what to do next. */
void cli_guided_callbacks(struct wr_run_options *opts);
void cli_guided_epilogue(const struct wr_report *rep, const char *backups);

/* winrescue safe-mode [--undo] [TARGET...] (src/cli/safe_mode.c). */
int cli_safe_mode(struct cli *cli);
/* What to do after safe-mode (or --undo) changed the stores in rep. */
void cli_safe_mode_next_steps(const struct wr_report *rep, bool undo);
/* Guided mode: a BitLocker volume stayed locked; offers the keyless Safe Mode
 * path on the boot stores found (changes rep before its report is written). */
void cli_guided_offer_safe_mode(struct wr_report *rep, const char *backups);
/* The report to the terminal, the log and the report file (run_cmd.c). */
int cli_write_outputs(const struct cli *cli, struct wr_report *rep);
char *cli_backup_root(const struct cli *cli);

/* winrescue summary ARGS (argv[0] is "summary"). Returns the exit code. */
int cli_summary(int argc, char **argv);
/* winrescue keys seal ARGS (argv[0] is "keys"). Returns the exit code. */
int cli_keys(int argc, char **argv);
/* Reads the first line of path (no line end) into buf. Returns 0 or -errno. */
int cli_read_secret_file(const char *path, char *buf, size_t size);

#endif

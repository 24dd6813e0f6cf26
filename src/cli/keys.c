#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "winrescue/bitlocker.h"
#include "winrescue/key_prompt.h"
#include "winrescue/sealed.h"
#include "winrescue/util.h"

int cli_read_secret_file(const char *path, char *buf, size_t size)
{
	FILE *f = wr_fopen_regular(path);
	if (!f)
		return -errno;
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static int add_password(struct wr_keysource *ks, const struct cli *cli)
{
	char buf[512] = "";
	int rc = 0;
	if (cli->password_file) {
		rc = cli_read_secret_file(cli->password_file, buf, sizeof(buf));
		if (rc)
			fprintf(stderr, "winrescue: %s: %s\n", cli->password_file,
				rc == -EINVAL ? "not a regular file" : strerror(-rc));
	} else {
		char *pw = NULL;
		rc = wr_key_prompt_password(stdin, stdout, "BitLocker password: ", &pw);
		snprintf(buf, sizeof(buf), "%s", pw ? pw : "");
		if (pw) {
			wr_wipe(pw, strlen(pw));
			free(pw);
		}
	}
	if (rc >= 0 && (rc > 0 || !buf[0]))  /* nothing typed: no password to try */
		rc = 0;
	else if (!rc)
		rc = wr_keysource_set_password(ks, buf);
	wr_wipe(buf, sizeof(buf));
	return rc;
}

static int report_key_error(const char *what, char *msg)
{
	fprintf(stderr, "winrescue: %s: %s\n", what, msg ? msg : "not usable");
	free(msg);
	return -EINVAL;
}

#define PASSPHRASE_TRIES 3

/* The sealed keys file's passphrase: from --keys-passphrase-file, else asked on
 * the terminal (attempt counts the tries). Returns 0 with buf filled, 1 when
 * there is no way to get one. */
static int keys_passphrase(const struct cli *cli, bool interactive, int attempt, char *buf,
			   size_t size)
{
	if (cli->keys_passphrase_file) {
		int rc = cli_read_secret_file(cli->keys_passphrase_file, buf, size);
		if (rc)
			fprintf(stderr, "winrescue: %s: %s\n", cli->keys_passphrase_file, strerror(-rc));
		return rc ? rc : 0;
	}
	if (!interactive)
		return 1;
	char *pw = NULL;
	char *q = wr_xasprintf("%sPassphrase of the sealed keys file %s: ",
			       attempt ? "Wrong passphrase. " : "", cli->keys_file);
	int rc = wr_key_prompt_password(stdin, stdout, q, &pw);
	free(q);
	snprintf(buf, size, "%s", pw ? pw : "");
	if (pw) {
		wr_wipe(pw, strlen(pw));
		free(pw);
	}
	return rc;
}

/* --keys FILE, plain or sealed (a wrong passphrase is asked again on a terminal).
 * The error is printed here, once, naming the file. */
static int add_keys_file(struct wr_keysource *ks, const struct cli *cli, bool interactive)
{
	bool sealed = wr_keys_file_is_sealed(cli->keys_file);
	int tries = sealed && !cli->keys_passphrase_file ? PASSPHRASE_TRIES : 1;
	char pass[512] = "";
	char *msg = NULL;
	int rc = -EACCES;
	for (int i = 0; rc == -EACCES && i < tries; i++) {
		int p = sealed ? keys_passphrase(cli, interactive, i, pass, sizeof(pass)) : 0;
		if (p < 0 || (p > 0 && i))      /* unreadable file (said), or gave up */
			break;
		struct wr_keys_file *kf = NULL;
		free(msg);
		msg = NULL;
		rc = wr_keys_file_load_any(cli->keys_file, p ? NULL : pass, &kf, &sealed, &msg);
		if (!rc)
			wr_keysource_add_keys_file(ks, kf, cli->keys_file);
	}
	wr_wipe(pass, sizeof(pass));
	if (rc && msg)
		fprintf(stderr, "winrescue: %s%s\n", msg,
			rc == -ENOKEY ? " (--keys-passphrase-file FILE, or run on a terminal)" : "");
	free(msg);
	return rc;
}

static int add_sources(struct wr_keysource *ks, const struct cli *cli, bool interactive)
{
	char *msg = NULL;
	for (size_t i = 0; i < cli->nrecovery_keys; i++)
		if (wr_keysource_add_recovery_key(ks, cli->recovery_keys[i], &msg))
			return report_key_error("--recovery-key", msg);
	if (cli->keys_file && add_keys_file(ks, cli, interactive))
		return -EINVAL;
	if (cli->bek_file && wr_keysource_set_bek(ks, cli->bek_file, &msg))
		return report_key_error(cli->bek_file, msg);
	if (cli->password_file || cli->ask_password)
		return add_password(ks, cli);
	return 0;
}

struct wr_keysource *cli_make_keysource(const struct cli *cli, bool interactive)
{
	struct wr_keysource *ks = wr_keysource_new();
	if (add_sources(ks, cli, interactive)) {
		wr_keysource_free(ks);
		return NULL;
	}
	/* A person at the console types the key the screen names. */
	static struct wr_key_prompt terminal;
	terminal.in = stdin;
	terminal.out = stdout;
	if (interactive)
		wr_keysource_set_prompt(ks, wr_key_prompt_recovery, &terminal);
	return ks;
}

bool cli_ask(const char *question, bool default_yes)
{
	char line[64];
	printf("%s %s ", question, default_yes ? "[Y/n]" : "[y/N]");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	const char *p = line + strspn(line, " \t");
	if (*p == '\r' || *p == '\n' || !*p)
		return default_yes;
	/* y, o (oui), j (ja): yes on the keyboards of the languages nearby. */
	return strchr("yYoOjJ", *p) != NULL;
}

bool cli_ask_yes(const char *question)
{
	return cli_ask(question, false);
}

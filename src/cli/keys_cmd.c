/* winrescue keys seal [--passphrase-file FILE] IN OUT: encrypts a key export with
 * a passphrase (src/sealed.c), so the stick that carries it gives nothing away. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "winrescue/key_prompt.h"
#include "winrescue/keys_file.h"
#include "winrescue/sealed.h"
#include "winrescue/util.h"

static const char keys_usage[] =
	"Usage: winrescue keys seal [--passphrase-file FILE] IN OUT\n"
	"\n"
	"Encrypts the key export IN (CSV/TSV with Key ID and recovery key columns) into\n"
	"OUT with a passphrase: Argon2id (64 MiB, 3 passes) and AES-256-GCM. winrescue\n"
	"reads OUT with --keys OUT and --keys-passphrase-file, or asks for the passphrase.\n"
	"Without --passphrase-file the passphrase is asked twice on the terminal.\n"
	"\n"
	"Exit codes: 0 sealed, 8 IN unreadable or OUT not written, 16 usage error.\n";

static int usage(const char *why)
{
	fprintf(stderr, "winrescue: keys: %s\n%s", why, keys_usage);
	return WR_RESULT_USAGE;
}

/* Asked twice, so a typo does not lock the fleet's keys away. */
static int ask_new_passphrase(char *buf, size_t size)
{
	if (!isatty(STDIN_FILENO))
		return usage("give --passphrase-file FILE (no terminal to ask on)");
	char *a = NULL, *b = NULL;
	int rc = wr_key_prompt_password(stdin, stdout, "New passphrase for the keys file: ", &a);
	if (!rc)
		rc = wr_key_prompt_password(stdin, stdout, "The same passphrase again: ", &b);
	if (!rc && strcmp(a, b))
		rc = usage("the two passphrases differ");
	else if (rc)
		rc = usage("no passphrase given");
	else
		snprintf(buf, size, "%s", a);
	if (a)
		wr_wipe(a, strlen(a));
	if (b)
		wr_wipe(b, strlen(b));
	free(a);
	free(b);
	return rc;
}

/* IN must be a usable key export: sealing a wrong file is found out too late. */
static int check_export(const char *in, size_t *nkeys)
{
	struct wr_keys_file *kf = NULL;
	bool sealed = false;
	char *msg = NULL;
	int rc = wr_keys_file_is_sealed(in) ? -EEXIST : wr_keys_file_load_any(in, NULL, &kf, &sealed, &msg);
	if (rc == -EEXIST)
		fprintf(stderr, "winrescue: %s is already sealed\n", in);
	else if (rc)
		fprintf(stderr, "winrescue: %s\n", msg);
	*nkeys = kf ? wr_keys_file_count(kf) : 0;
	if (!rc && !*nkeys) {
		fprintf(stderr, "winrescue: %s holds no usable recovery key%s%s\n", in,
			wr_keys_file_problems(kf) ? ":\n" : "",
			wr_keys_file_problems(kf) ? wr_keys_file_problems(kf) : "");
		rc = -EINVAL;
	}
	wr_keys_file_free(kf);
	free(msg);
	return rc;
}

static int seal_file(const char *in, const char *out, const char *pass)
{
	size_t nkeys;
	if (check_export(in, &nkeys))
		return WR_RESULT_ERROR;
	FILE *f = fopen(in, "re");
	char *text = NULL;
	size_t len = 0;
	FILE *mem = f ? open_memstream(&text, &len) : NULL;
	char chunk[65536];
	size_t n;
	while (mem && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, mem);
	int rc = !f || ferror(f) ? -EIO : 0;
	if (f)
		fclose(f);
	if (mem)
		fclose(mem);
	wr_wipe(chunk, sizeof(chunk));
	uint8_t *sealed = NULL;
	size_t sealed_len = 0;
	if (!rc)
		rc = wr_seal(text, len, pass, &wr_seal_default_params, &sealed, &sealed_len);
	if (text)
		wr_wipe(text, len);
	free(text);
	if (!rc && (rc = wr_write_file_atomic(out, sealed, sealed_len)))
		fprintf(stderr, "winrescue: cannot write %s: %s\n", out, strerror(-rc));
	else if (rc)
		fprintf(stderr, "winrescue: cannot seal %s: %s\n", in, strerror(-rc));
	else
		printf("Sealed %zu key%s from %s into %s. Keep the passphrase apart from the stick.\n",
		       nkeys, nkeys == 1 ? "" : "s", in, out);
	free(sealed);
	return rc ? WR_RESULT_ERROR : 0;
}

int cli_keys(int argc, char **argv)
{
	static const struct option options[] = {
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pass_file = NULL;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (c == 'h') {
			fputs(keys_usage, stdout);
			return 0;
		}
		if (c != 'p')
			return usage("unknown or incomplete option");
		pass_file = optarg;
	}
	if (argc - optind != 3 || strcmp(argv[optind], "seal"))
		return usage("expected: keys seal IN OUT");
	char pass[512] = "";
	int rc = 0;
	if (pass_file && (rc = cli_read_secret_file(pass_file, pass, sizeof(pass)))) {
		fprintf(stderr, "winrescue: %s: %s\n", pass_file, strerror(-rc));
		return WR_RESULT_ERROR;
	}
	if (!pass_file && (rc = ask_new_passphrase(pass, sizeof(pass))))
		return rc;
	if (!pass[0])
		rc = usage("the passphrase is empty");
	else
		rc = seal_file(argv[optind + 1], argv[optind + 2], pass);
	wr_wipe(pass, sizeof(pass));
	return rc;
}

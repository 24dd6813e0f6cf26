/* The interactive prompt as a technician meets it, fed from a stream (as on a serial
 * console): a typo is named by block and asked again, a key that does not open the
 * volume is said so and asked again, an empty line skips the volume. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bitlk_testdata.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "winrescue/bitlocker.h"
#include "winrescue/key_prompt.h"
#include "winrescue/model.h"
#include "winrescue/util.h"

/* bitlk-aes-xts-128 of the cryptsetup test set, and another volume's key. */
#define IMAGE "bitlk-aes-xts-128.img"
#define KEY_ID "64311DEA-4587-4029-924A-BA299647998E"
#define RIGHT "235818-357951-253979-013365-241120-245575-342914-591910"
#define OTHER "404558-436711-420860-678557-638220-018909-039941-695321"

static char *tmp_dir;

static int unpack(void **state)
{
	(void)state;
	tmp_dir = bitlk_unpack("bitlk-images/" IMAGE);
	assert_non_null(tmp_dir);
	return 0;
}

static int cleanup(void **state)
{
	(void)state;
	return bitlk_remove(tmp_dir);
}

struct session {
	char *answers;
	FILE *in, *out;
	char *shown;
	size_t shown_len;
	struct wr_key_prompt prompt;
};

static void session_open(struct session *s, const char *answers)
{
	s->answers = wr_xstrdup(answers);
	s->in = fmemopen(s->answers, strlen(s->answers), "r");
	s->out = open_memstream(&s->shown, &s->shown_len);
	assert_non_null(s->in);
	assert_non_null(s->out);
	s->prompt = (struct wr_key_prompt){ s->in, s->out };
}

static void session_close(struct session *s)
{
	fclose(s->in);
	fclose(s->out);
	free(s->answers);
	free(s->shown);
}

static int count(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void typo_then_wrong_key_then_right_key(void **state)
{
	(void)state;
	struct session s;
	session_open(&s, "235818-357951-253979-013365-241120-245575-342914-591911\n"
			 OTHER "\n" RIGHT "\n");
	struct wr_report rep;
	wr_report_init(&rep, WR_COMMAND_SCAN, false);
	struct wr_volume *vol = wr_report_add_volume(&rep);
	vol->device = wr_xasprintf("%s/bitlk-images/" IMAGE, tmp_dir);
	struct wr_keysource *ks = wr_keysource_new();
	wr_keysource_set_prompt(ks, wr_key_prompt_recovery, &s.prompt);
	struct wr_unlocked *u = NULL;
	unsigned long before = wr_bitlocker_derivations();
	int rc = wr_bitlocker_unlock(vol, ks, false, WR_BITLOCKER_IO_AUTO, &u);
	fflush(s.out);
	assert_true(rc == 0 || rc == -ENODEV);
	assert_int_equal(vol->bitlocker.key_check, WR_KEY_ACCEPTED);
	/* The typo costs no derivation; the wrong and the right key one each. */
	assert_int_equal(wr_bitlocker_derivations() - before, 2);
	assert_non_null(strstr(s.shown, "Key ID: " KEY_ID "\n"));
	assert_non_null(strstr(s.shown, "the Windows recovery screen shows the first 8 characters: 64311DEA"));
	assert_non_null(strstr(s.shown, "Checking the key..."));
	assert_non_null(strstr(s.shown, "  block 8 (591911) is not valid: check it\n"));
	assert_int_equal(count(s.shown, "That recovery key does not open this disk"), 1);
	assert_int_equal(count(s.shown, "Recovery key (48 digits"), 3);
	/* Echo is the terminal's business: the prompt itself never prints a key. */
	assert_null(strstr(s.shown, "235818"));
	wr_bitlocker_close(u);
	wr_keysource_free(ks);
	wr_report_free(&rep);
	session_close(&s);
}

static void empty_line_skips(void **state)
{
	(void)state;
	struct session s;
	session_open(&s, "12345\n\n" RIGHT "\n");
	struct wr_volume vol = { .device = "/dev/sda3", .partition = 3 };
	struct wr_recovery_key key;
	assert_int_equal(wr_key_prompt_recovery(&s.prompt, &vol, KEY_ID, &key), 1);
	fflush(s.out);
	assert_non_null(strstr(s.shown, "The Windows disk /dev/sda3 (partition 3) is locked by BitLocker."));
	assert_non_null(strstr(s.shown, "a recovery key has 48 digits, 5 found"));
	/* The next volume's prompt reads on from there. */
	assert_int_equal(wr_key_prompt_recovery(&s.prompt, &vol, KEY_ID, &key), 0);
	assert_string_equal(key.text, RIGHT);
	assert_int_equal(wr_key_prompt_recovery(&s.prompt, &vol, KEY_ID, &key), 1);   /* end of input */
	session_close(&s);
}

static void password_from_a_stream(void **state)
{
	(void)state;
	struct session s;
	session_open(&s, "anaconda\r\n\n");
	char *pw = NULL;
	assert_int_equal(wr_key_prompt_password(s.in, s.out, "Password: ", &pw), 0);
	assert_string_equal(pw, "anaconda");
	wr_wipe(pw, strlen(pw));
	free(pw);
	assert_int_equal(wr_key_prompt_password(s.in, s.out, "Password: ", &pw), 1);
	assert_null(pw);
	session_close(&s);
}

int main(void)
{
	if (!bitlk_testdata_present())
		return 77;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(typo_then_wrong_key_then_right_key),
		cmocka_unit_test(empty_line_skips),
		cmocka_unit_test(password_from_a_stream),
	};
	return cmocka_run_group_tests(tests, unpack, cleanup);
}

/* The CLI's --json output and --report file parse back with json-c and carry the
 * documented contract (docs/report.md) for a real fixture: a GPT disk image. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <json-c/json.h>

static char workdir[] = "/tmp/wr-json.XXXXXX";

static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(workdir))
		return -1;
	return run("cd %s && . \"$WR_SOURCE/tests/tools/fixtures.sh\" && "
		   "wr_make_windows_disk %s/disk.img gpt", workdir, workdir);
}

static int teardown(void **state)
{
	(void)state;
	return run("rm -rf %s", workdir);
}

static json_object *parse_file(const char *path)
{
	json_object *o = json_object_from_file(path);
	assert_non_null(o);
	return o;
}

static json_object *get(json_object *o, const char *key, json_type type)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("missing key %s", key);
	if (!json_object_is_type(v, type))
		fail_msg("key %s has type %s", key, json_type_to_name(json_object_get_type(v)));
	return v;
}

static const char *str(json_object *o, const char *key)
{
	return json_object_get_string(get(o, key, json_type_string));
}

static bool is_iso_utc(const char *s)
{
	int y, mo, d, h, mi, se;
	char z;
	return strlen(s) == 20 && sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &z) == 7 &&
	       z == 'Z';
}

static json_object *windows_volume(json_object *report)
{
	json_object *vols = get(report, "volumes", json_type_array);
	json_object *found = NULL;
	for (size_t i = 0; i < json_object_array_length(vols); i++) {
		json_object *v = json_object_array_get_idx(vols, i);
		if (json_object_get_boolean(get(v, "windows", json_type_boolean))) {
			assert_null(found);
			found = v;
		}
	}
	assert_non_null(found);
	return found;
}

static void check_file(json_object *f, const char *action, bool with_backup)
{
	assert_non_null(strstr(str(f, "path"), "\\Windows\\System32\\drivers\\CrowdStrike\\"));
	get(f, "size", json_type_int);
	assert_true(is_iso_utc(str(f, "created")));
	assert_true(is_iso_utc(str(f, "modified")));
	get(f, "time_class", json_type_string);
	get(f, "content_class", json_type_string);
	assert_string_equal(str(f, "action"), action);
	json_object *b = NULL;
	assert_true(json_object_object_get_ex(f, "backup", &b));
	assert_true(with_backup ? json_object_is_type(b, json_type_string) : b == NULL);
}

static void check_common(json_object *r, const char *command, const char *result)
{
	assert_string_equal(str(r, "tool"), "winrescue");
	get(r, "version", json_type_string);
	assert_true(is_iso_utc(str(r, "time")));
	json_object *m = get(r, "machine", json_type_object);
	json_object *v;
	assert_true(json_object_object_get_ex(m, "vendor", &v));
	assert_true(json_object_object_get_ex(m, "product", &v));
	assert_true(json_object_object_get_ex(m, "serial", &v));
	assert_string_equal(str(r, "command"), command);
	assert_string_equal(str(r, "result"), result);
	json_object *vol = windows_volume(r);
	assert_string_equal(str(vol, "device"), "disk.img");
	assert_string_equal(str(vol, "filesystem"), "ntfs");
	assert_string_equal(str(vol, "encryption"), "none");
	assert_string_equal(str(vol, "state"), "clean");
	assert_int_equal(json_object_array_length(get(vol, "files", json_type_array)), 5);
}

static void scan_json_on_stdout(void **state)
{
	(void)state;
	assert_int_equal(run("cd %s && \"$WINRESCUE\" scan --json disk.img >scan.json", workdir), 4);
	char path[256];
	snprintf(path, sizeof(path), "%s/scan.json", workdir);
	json_object *r = parse_file(path);
	check_common(r, "scan", "fix_needed");
	assert_int_equal(json_object_get_int(get(r, "exit_code", json_type_int)), 4);
	json_object *files = get(windows_volume(r), "files", json_type_array);
	for (size_t i = 0; i < json_object_array_length(files); i++)
		check_file(json_object_array_get_idx(files, i), "would_delete", false);
	json_object_put(r);
}

static void fix_report_file(void **state)
{
	(void)state;
	assert_int_equal(run("cd %s && \"$WINRESCUE\" fix --yes --report fix.json disk.img >/dev/null",
			     workdir), 1);
	char path[256];
	snprintf(path, sizeof(path), "%s/fix.json", workdir);
	json_object *r = parse_file(path);
	check_common(r, "fix", "fixed");
	json_object *files = get(windows_volume(r), "files", json_type_array);
	for (size_t i = 0; i < json_object_array_length(files); i++)
		check_file(json_object_array_get_idx(files, i), "deleted", true);
	json_object_put(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scan_json_on_stdout),
		cmocka_unit_test(fix_report_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

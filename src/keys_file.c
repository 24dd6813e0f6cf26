#include "winrescue/keys_file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "winrescue/guid.h"
#include "winrescue/util.h"

#define MAX_PROBLEM_LINES 10
#define MAX_KEYS_FILE_SIZE (256u << 20)

struct row {
	uint64_t id_hi, id_lo;     /* the GUID's bytes in text order, for fast compares */
	struct wr_recovery_key key;
};

struct wr_keys_file {
	struct row *rows;
	size_t nrows, cap;
	size_t bad_rows;
	size_t problem_lines;
	char *problems;
};

/* Column names are compared lower-case with everything but letters and digits
 * removed, so "Key ID", "KeyId" and "key_id" are one name. Earlier names win. */
static const char *const ID_COLUMNS[] = {
	"keyid", "recoverykeyid", "bitlockerrecoverykeyid", "bitlockerkeyid",
	"recoverypasswordid", "keyprotectorid", "msfverecoveryguid", "recoveryguid",
	"passwordid", "id", NULL,
};
static const char *const KEY_COLUMNS[] = {
	"recoverykey", "recoverypassword", "bitlockerrecoverykey", "bitlockerrecoverypassword",
	"msfverecoverypassword", "bitlockerkey", "key", NULL,
};

/* ---- GUIDs ---- */

static void guid_halves(const uint8_t id[16], uint64_t *hi, uint64_t *lo)
{
	*hi = *lo = 0;
	for (int i = 0; i < 8; i++) {
		*hi = *hi << 8 | id[i];
		*lo = *lo << 8 | id[8 + i];
	}
}

/* ---- text decoding ---- */

/* Key exports from Windows PowerShell are often UTF-16LE; only ASCII matters
 * here (GUIDs, digits, header names), so other characters become '?'. */
static char *utf16le_to_ascii(const char *buf, size_t len, size_t *out_len)
{
	size_t n = len / 2;
	char *out = wr_xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned c = (unsigned char)buf[2 * i] | (unsigned char)buf[2 * i + 1] << 8;
		out[i] = c < 0x80 ? (char)c : '?';
	}
	out[n] = '\0';
	*out_len = n;
	return out;
}

/* ---- CSV records ---- */

struct field { size_t start, len; };

struct record {
	char *text;            /* unescaped fields, back to back */
	size_t text_len, text_cap;
	struct field *fields;
	size_t nfields, fields_cap;
	unsigned line;         /* where the record starts, 1-based */
};

struct reader {
	const char *p, *end;
	char delim;
	unsigned line;
	const char *released;  /* mapped files: pages before this are given back */
};

/* Grows by copying, so the old buffer (key text) can be wiped, not left to realloc. */
static void record_grow(struct record *r)
{
	size_t cap = r->text_cap ? r->text_cap * 2 : 256;
	char *t = wr_xmalloc(cap);
	if (r->text_len)
		memcpy(t, r->text, r->text_len);
	wr_wipe(r->text, r->text_cap);
	free(r->text);
	r->text = t;
	r->text_cap = cap;
}

static inline void record_put(struct record *r, char c)
{
	if (r->text_len == r->text_cap)
		record_grow(r);
	r->text[r->text_len++] = c;
}

static void record_end_field(struct record *r)
{
	struct field *f = &r->fields[r->nfields - 1];
	f->len = r->text_len - f->start;
	record_put(r, '\0');   /* fields are C strings too */
}

static void record_start_field(struct record *r)
{
	if (r->nfields == r->fields_cap) {
		r->fields_cap = r->fields_cap ? r->fields_cap * 2 : 8;
		r->fields = wr_xrealloc(r->fields, r->fields_cap * sizeof(*r->fields));
	}
	r->fields[r->nfields++] = (struct field){ r->text_len, 0 };
}

static void record_free(struct record *r)
{
	wr_wipe(r->text, r->text_cap);
	free(r->text);
	free(r->fields);
}

static const char *field_text(const struct record *r, size_t i, size_t *len)
{
	*len = r->fields[i].len;
	return r->text + r->fields[i].start;
}

/* Reads one quoted field body (after the opening quote): "" is a quote, and line
 * ends inside quotes belong to the field. */
static void read_quoted(struct reader *rd, struct record *r)
{
	while (rd->p < rd->end) {
		char c = *rd->p++;
		if (c == '"') {
			if (rd->p < rd->end && *rd->p == '"') {
				rd->p++;
				record_put(r, '"');
				continue;
			}
			return;
		}
		if (c == '\n')
			rd->line++;
		record_put(r, c);
	}
}

/* Reads the next record; returns false at the end of the text. */
static bool read_record(struct reader *rd, struct record *r)
{
	if (rd->p >= rd->end)
		return false;
	r->text_len = r->nfields = 0;
	r->line = rd->line;
	record_start_field(r);
	while (rd->p < rd->end) {
		char c = *rd->p++;
		if (c == '\n') {
			rd->line++;
			break;
		}
		if (c == '\r')
			continue;
		if (c == rd->delim) {
			record_end_field(r);
			record_start_field(r);
		} else if (c == '"') {
			read_quoted(rd, r);
		} else {
			record_put(r, c);
		}
	}
	record_end_field(r);
	return true;
}

static bool record_blank(const struct record *r)
{
	for (size_t i = 0; i < r->text_len; i++)
		if (r->text[i] && !isspace((unsigned char)r->text[i]))
			return false;
	return true;
}

/* The header's delimiter: a tab if there is one, else a comma, else a semicolon
 * (spreadsheets in some locales). */
static char detect_delimiter(const char *p, const char *end)
{
	bool comma = false, semicolon = false, quoted = false;
	for (; p < end && (*p != '\n' || quoted); p++) {
		if (*p == '"') quoted = !quoted;
		else if (quoted) continue;
		else if (*p == '\t') return '\t';
		else if (*p == ',') comma = true;
		else if (*p == ';') semicolon = true;
	}
	return comma || !semicolon ? ',' : ';';
}

/* ---- header ---- */

static void normalise_name(const char *s, size_t len, char *out, size_t out_size)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < out_size; i++)
		if (isalnum((unsigned char)s[i]))
			out[n++] = (char)tolower((unsigned char)s[i]);
	out[n] = '\0';
}

/* Index of the column with the best-ranked name of names[], or -1. */
static long find_column(const struct record *hdr, const char *const names[])
{
	long best = -1, best_rank = -1;
	for (size_t i = 0; i < hdr->nfields; i++) {
		char name[64];
		size_t len;
		const char *t = field_text(hdr, i, &len);
		normalise_name(t, len, name, sizeof(name));
		for (long rank = 0; names[rank]; rank++)
			if (!strcmp(name, names[rank]) && (best < 0 || rank < best_rank)) {
				best = (long)i;
				best_rank = rank;
			}
	}
	return best;
}

/* ---- rows ---- */

static void add_problem(struct wr_keys_file *kf, unsigned line, const char *what)
{
	kf->bad_rows++;
	if (kf->problem_lines++ >= MAX_PROBLEM_LINES)
		return;
	char *old = kf->problems;
	kf->problems = wr_xasprintf("%s%sline %u: %s", old ? old : "", old ? "\n" : "", line, what);
	free(old);
}

/* Memory grows with the valid rows only: a file of blank or broken lines (the
 * size limit allows 256 MiB of them) costs nothing beyond its mapping. */
static void add_row(struct wr_keys_file *kf, const uint8_t id[16],
		    const struct wr_recovery_key *key)
{
	if (kf->nrows == kf->cap) {
		size_t cap = kf->cap ? kf->cap * 2 : 64;
		struct row *rows = wr_xmalloc(cap * sizeof(*rows));
		if (kf->nrows)
			memcpy(rows, kf->rows, kf->nrows * sizeof(*rows));
		wr_wipe(kf->rows, kf->cap * sizeof(*rows));
		free(kf->rows);
		kf->rows = rows;
		kf->cap = cap;
	}
	struct row *r = &kf->rows[kf->nrows++];
	guid_halves(id, &r->id_hi, &r->id_lo);
	r->key = *key;
}

static void take_row(struct wr_keys_file *kf, const struct record *rec, long id_col, long key_col)
{
	size_t need = (size_t)(id_col > key_col ? id_col : key_col) + 1;
	if (rec->nfields < need) {
		add_problem(kf, rec->line, "too few columns");
		return;
	}
	size_t id_len, key_len;
	const char *id_text = field_text(rec, (size_t)id_col, &id_len);
	const char *key_text = field_text(rec, (size_t)key_col, &key_len);
	uint8_t id[16];
	if (wr_guid_parse(id_text, id_len, id)) {
		add_problem(kf, rec->line, "the Key ID is not a GUID");
		return;
	}
	struct wr_recovery_key key;
	int bad_block = 0;
	int rc = wr_recovery_key_parse(key_text, &key, &bad_block, NULL);
	if (rc) {
		char *what = bad_block ? wr_xasprintf("block %d of the recovery key is not valid", bad_block)
			   : wr_xstrdup(key_len ? "the recovery key is not 8 blocks of 6 digits"
					: "no recovery key");
		add_problem(kf, rec->line, what);
		free(what);
		return;
	}
	add_row(kf, id, &key);
	wr_recovery_key_wipe(&key);
}

static int compare_ids(uint64_t hi, uint64_t lo, const struct row *r)
{
	if (hi != r->id_hi)
		return hi < r->id_hi ? -1 : 1;
	return lo != r->id_lo ? (lo < r->id_lo ? -1 : 1) : 0;
}

static int compare_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = compare_ids(x->id_hi, x->id_lo, y);
	return c ? c : strcmp(x->key.text, y->key.text);
}

/* Sorts for bsearch and drops rows repeating the same Key ID with the same key. */
static void sort_and_dedupe(struct wr_keys_file *kf)
{
	if (!kf->nrows)
		return;
	qsort(kf->rows, kf->nrows, sizeof(*kf->rows), compare_rows);
	size_t out = 1;
	for (size_t i = 1; i < kf->nrows; i++) {
		if (!compare_rows(&kf->rows[i], &kf->rows[out - 1]))
			continue;
		if (out != i)
			kf->rows[out] = kf->rows[i];
		out++;
	}
	wr_wipe(kf->rows + out, (kf->nrows - out) * sizeof(*kf->rows));
	kf->nrows = out;
}

static void finish_problems(struct wr_keys_file *kf)
{
	if (kf->problem_lines <= MAX_PROBLEM_LINES)
		return;
	char *old = kf->problems;
	kf->problems = wr_xasprintf("%s\n... and %zu more bad rows", old,
				    kf->problem_lines - MAX_PROBLEM_LINES);
	free(old);
}

/* Skips blank lines and the "#TYPE ..." line Windows PowerShell's Export-Csv
 * writes: returns where the header starts, *line its line number. */
static const char *skip_to_header(const char *p, const char *end, unsigned *line)
{
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *q = p;
		while (q < eol && isspace((unsigned char)*q))
			q++;
		if (q < eol && *q != '#')
			return p;
		p = nl ? nl + 1 : end;
		(*line)++;
	}
	return end;
}

/* A mapped export's pages already parsed leave memory as the reader goes on: a
 * 100,000-row file never sits in memory whole (the rescue stick's RAM is small). */
#define RELEASE_STEP (1u << 20)
static void release_parsed(struct reader *rd)
{
	if (!rd->released || rd->p - rd->released < (ptrdiff_t)RELEASE_STEP)
		return;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = (uintptr_t)rd->released & ~(page - 1);
	uintptr_t to = (uintptr_t)rd->p & ~(page - 1);
	if (to > from)
		madvise((void *)from, to - from, MADV_DONTNEED);
	rd->released = (const char *)to;
}

static int parse_text(const char *text, size_t len, bool mapped, struct wr_keys_file *kf,
		      char **errmsg)
{
	const char *end = text + len;
	unsigned line = 1;
	const char *header = skip_to_header(text, end, &line);
	struct reader rd = { header, end, detect_delimiter(header, end), line,
			     mapped ? text : NULL };
	struct record rec = { 0 };
	int rc = 0;
	if (!read_record(&rd, &rec)) {
		wr_set_message(errmsg, "the keys file is empty");
		rc = -EINVAL;
		goto out;
	}
	long id_col = find_column(&rec, ID_COLUMNS), key_col = find_column(&rec, KEY_COLUMNS);
	if (id_col < 0 || key_col < 0) {
		wr_set_message(errmsg, "the first line of a keys file must name its columns, "
			       "with one for the %s (such as %s)",
			       id_col < 0 ? "Key ID" : "recovery key",
			       id_col < 0 ? "KeyID, \"Key ID\" or BitLockerRecoveryKeyId"
					  : "RecoveryKey, \"Recovery Key\" or RecoveryPassword");
		rc = -EINVAL;
		goto out;
	}
	while (read_record(&rd, &rec)) {
		if (!record_blank(&rec))
			take_row(kf, &rec, id_col, key_col);
		release_parsed(&rd);
	}
	sort_and_dedupe(kf);
	finish_problems(kf);
out:
	record_free(&rec);
	return rc;
}

static int parse_buffer(const char *buf, size_t len, bool mapped, struct wr_keys_file **out,
			char **errmsg)
{
	struct wr_keys_file *kf = wr_xcalloc(1, sizeof(*kf));
	char *decoded = NULL;
	if (len >= 2 && (unsigned char)buf[0] == 0xff && (unsigned char)buf[1] == 0xfe) {
		decoded = utf16le_to_ascii(buf + 2, len - 2, &len);
		buf = decoded;
	} else if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
		buf += 3;
		len -= 3;
	}
	int rc = parse_text(buf, len, mapped && !decoded, kf, errmsg);
	if (decoded) {
		wr_wipe(decoded, len);
		free(decoded);
	}
	if (rc) {
		wr_keys_file_free(kf);
		kf = NULL;
	}
	*out = kf;
	return rc;
}

int wr_keys_file_parse(const char *buf, size_t len, struct wr_keys_file **out, char **errmsg)
{
	return parse_buffer(buf, len, false, out, errmsg);
}

/* The export is mapped, not copied: the reader gives back what it has parsed. */
static int map_file(const char *path, const char **buf, size_t *len)
{
	int fd = wr_open_regular(path);
	if (fd < 0)
		return fd;
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_KEYS_FILE_SIZE)
		rc = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
	*len = rc ? 0 : (size_t)st.st_size;
	*buf = "";
	if (!rc && *len) {
		void *m = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED)
			rc = -errno;
		else
			*buf = m;
	}
	close(fd);
	return rc;
}

int wr_keys_file_load(const char *path, struct wr_keys_file **out, char **errmsg)
{
	const char *buf = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = map_file(path, &buf, &len);
	if (rc) {
		wr_set_message(errmsg, "cannot read keys file %s: %s", path,
			       rc == -EINVAL ? "not a regular file" : strerror(-rc));
		return rc;
	}
	char *msg = NULL;
	rc = parse_buffer(buf, len, true, out, &msg);
	if (rc)
		wr_set_message(errmsg, "keys file %s: %s", path, msg);
	free(msg);
	if (len)
		munmap((void *)buf, len);
	return rc;
}

void wr_keys_file_free(struct wr_keys_file *kf)
{
	if (!kf)
		return;
	wr_wipe(kf->rows, kf->cap * sizeof(*kf->rows));
	free(kf->rows);
	free(kf->problems);
	free(kf);
}

static int compare_id(const void *key, const void *elem)
{
	const uint64_t *id = key;
	return compare_ids(id[0], id[1], elem);
}

size_t wr_keys_file_lookup(const struct wr_keys_file *kf, const char *key_id,
			   const struct wr_recovery_key **keys, size_t max)
{
	uint8_t bytes[16];
	uint64_t id[2];
	if (!kf || !key_id || !kf->nrows || wr_guid_parse(key_id, strlen(key_id), bytes))
		return 0;
	guid_halves(bytes, &id[0], &id[1]);
	const struct row *hit = bsearch(id, kf->rows, kf->nrows, sizeof(*kf->rows), compare_id);
	if (!hit)
		return 0;
	while (hit > kf->rows && !compare_ids(id[0], id[1], hit - 1))
		hit--;
	size_t n = 0;
	for (; hit + n < kf->rows + kf->nrows && !compare_ids(id[0], id[1], hit + n); n++)
		if (n < max)
			keys[n] = &hit[n].key;
	return n;
}

size_t wr_keys_file_count(const struct wr_keys_file *kf) { return kf ? kf->nrows : 0; }
size_t wr_keys_file_bad_rows(const struct wr_keys_file *kf) { return kf ? kf->bad_rows : 0; }
const char *wr_keys_file_problems(const struct wr_keys_file *kf) { return kf ? kf->problems : NULL; }

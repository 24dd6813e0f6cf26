/*
 * wr-mkfixture IMAGE SPECFILE: populates a freshly made NTFS image with the tree a
 * spec describes, through libntfs-3g (no FUSE), so tests get Windows-like volumes
 * (8.3 aliases, reparse points, exact times, unclean/hibernated states) on any host.
 * The spec language is documented in tests/tools/specs/README.md.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ntfs-3g/volume.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/index.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/logfile.h>
#include <ntfs-3g/logging.h>
#include <ntfs-3g/reparse.h>
#include <ntfs-3g/unistr.h>

#define MAX_TOKENS 16
#define MAX_DEPTH 64
#define DEFAULT_SIZE 4096
#define HIBERFIL_SIZE 65536
#define LOG_PAGE 4096
/* 2024-06-01T12:00:00Z: every time the spec does not set, so images are reproducible. */
#define DEFAULT_TIME_UNIX 1717243200LL
#define NTFS_EPOCH_OFFSET 11644473600LL

enum kind { K_DIR, K_FILE, K_MANY, K_SYMLINK, K_JUNCTION, K_HARDLINK, K_STATE };
enum content { C_MAGIC, C_ZERO, C_RANDOM, C_TEXT };
enum state_bits { S_UNCLEAN = 1, S_FAST_STARTUP = 2, S_HIBERNATED = 4, S_DIRTY = 8 };

struct file_opts {
	long long size;
	enum content content;
	char *word;
	sle64 created, modified; /* NTFS times, host order */
	char *dos;
	bool has_seed;
	uint64_t seed;
};

struct directive {
	enum kind kind;
	const char *file;
	int line;
	char *path;   /* first argument, normalised to '/' separators, no leading '/' */
	char *target; /* symlink/junction target (as written) or hardlink source (normalised) */
	long count;
	unsigned state;
	struct file_opts opts;
};

/* Every inode we made or changed, with the times it must end with. */
struct tracked {
	u64 mref;
	sle64 created, modified;
};

struct fixture {
	ntfs_volume *vol;
	const char *spec;
	struct tracked *inodes;
	size_t n_inodes, cap_inodes;
	char msg[512];
};

static sle64 unix_to_ntfs(long long secs)
{
	return (secs + NTFS_EPOCH_OFFSET) * 10000000LL;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "wr-mkfixture: out of memory\n");
		exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	return strcpy(xmalloc(strlen(s) + 1), s);
}

static int fail(struct fixture *fx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fx->msg, sizeof(fx->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- spec parsing ------------------------------------------------------- */

/* Splits a line into whitespace-separated tokens; "double quotes" keep spaces. */
static int tokenize(char *line, char **tok, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == max)
			return -1;
		if (*p == '"') {
			tok[n++] = ++p;
			p = strchr(p, '"');
			if (!p)
				return -1;
		} else {
			tok[n++] = p;
			while (*p && !isspace((unsigned char)*p))
				p++;
			if (!*p)
				return n;
		}
		*p++ = '\0';
	}
}

/* "\Windows\System32" or "Windows/System32" -> "Windows/System32"; NULL if it has
 * "." / ".." components or no name at all. */
static char *normalise_path(const char *in)
{
	char *out = xmalloc(strlen(in) + 1), *o = out;
	const char *p = in;
	while (*p) {
		while (*p == '\\' || *p == '/')
			p++;
		size_t len = strcspn(p, "\\/");
		if (!len)
			break;
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
			free(out);
			return NULL;
		}
		if (o != out)
			*o++ = '/';
		memcpy(o, p, len);
		o += len;
		p += len;
	}
	*o = '\0';
	if (o == out) {
		free(out);
		return NULL;
	}
	return out;
}

static int parse_iso_time(const char *s, sle64 *out)
{
	struct tm tm = { 0 };
	char z = 0;
	int n = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z, &n) != 7 || z != 'Z' || s[n])
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_year < 1601)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = unix_to_ntfs((long long)timegm(&tm));
	return 0;
}

static int parse_number(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return -1;
	*out = v;
	return 0;
}

static int parse_content(const char *v, struct file_opts *o)
{
	static const char *const names[] = { "magic", "zero", "random" };
	for (int i = 0; i < 3; i++)
		if (!strcmp(v, names[i])) {
			o->content = (enum content)i;
			return 0;
		}
	if (!strncmp(v, "text:", 5) && v[5]) {
		o->content = C_TEXT;
		o->word = xstrdup(v + 5);
		return 0;
	}
	return -1;
}

/* One key=value file option; returns an error message or NULL. */
static const char *parse_option(const char *tok, struct file_opts *o)
{
	const char *eq = strchr(tok, '=');
	if (!eq)
		return "option is not key=value";
	size_t klen = (size_t)(eq - tok);
	const char *v = eq + 1;
	long long num;
#define KEY(k) (klen == sizeof(k) - 1 && !strncmp(tok, k, klen))
	if (KEY("size")) {
		if (parse_number(v, &num))
			return "size must be a byte count";
		o->size = num;
		return NULL;
	}
	if (KEY("content"))
		return parse_content(v, o) ? "content must be magic, zero, random or text:WORD" : NULL;
	if (KEY("created"))
		return parse_iso_time(v, &o->created) ? "created must be like 2024-07-19T04:09:00Z" : NULL;
	if (KEY("modified"))
		return parse_iso_time(v, &o->modified) ? "modified must be like 2024-07-19T04:09:00Z" : NULL;
	if (KEY("seed")) {
		if (parse_number(v, &num))
			return "seed must be a number";
		o->has_seed = true;
		o->seed = (uint64_t)num;
		return NULL;
	}
	if (KEY("dos")) {
		if (!*v || strlen(v) > 12)
			return "dos must be an 8.3 name";
		o->dos = xstrdup(v);
		return NULL;
	}
#undef KEY
	return "unknown option";
}

static const char *parse_file_opts(char **tok, int n, struct file_opts *o)
{
	o->size = DEFAULT_SIZE;
	o->content = C_MAGIC;
	o->created = o->modified = unix_to_ntfs(DEFAULT_TIME_UNIX);
	for (int i = 0; i < n; i++) {
		const char *err = parse_option(tok[i], o);
		if (err)
			return err;
	}
	return NULL;
}

/* A `many` pattern holds exactly one %d, %Nd or %0Nd, in the file name. */
static bool valid_many_pattern(const char *p)
{
	const char *pct = strchr(p, '%');
	if (!pct || strchr(pct + 1, '%') || (strrchr(p, '/') && pct < strrchr(p, '/')))
		return false;
	pct++;
	while (isdigit((unsigned char)*pct))
		pct++;
	return *pct == 'd';
}

static const char *parse_state(const char *v, unsigned *state)
{
	static const char *const names[] = { "unclean", "fast_startup", "hibernated", "dirty" };
	for (unsigned i = 0; i < 4; i++)
		if (!strcmp(v, names[i])) {
			*state = 1u << i;
			return NULL;
		}
	return "state must be unclean, fast_startup, hibernated or dirty";
}

static const char *parse_directive(char **tok, int n, struct directive *d)
{
	static const struct { const char *name; enum kind kind; int min, max; } table[] = {
		{ "dir", K_DIR, 2, 2 },           { "file", K_FILE, 2, MAX_TOKENS },
		{ "many", K_MANY, 3, MAX_TOKENS }, { "symlink", K_SYMLINK, 3, 3 },
		{ "junction", K_JUNCTION, 3, 3 }, { "hardlink", K_HARDLINK, 3, 3 },
		{ "state", K_STATE, 2, 2 },
	};
	size_t i = 0;
	while (i < sizeof(table) / sizeof(table[0]) && strcmp(tok[0], table[i].name))
		i++;
	if (i == sizeof(table) / sizeof(table[0]))
		return "unknown directive";
	if (n < table[i].min || n > table[i].max)
		return "wrong number of arguments";
	d->kind = table[i].kind;
	if (d->kind == K_STATE)
		return parse_state(tok[1], &d->state);
	d->path = normalise_path(tok[1]);
	if (!d->path)
		return "bad path (empty, or with . or .. components)";
	switch (d->kind) {
	case K_FILE:
		return parse_file_opts(tok + 2, n - 2, &d->opts);
	case K_MANY: {
		long long count;
		if (!valid_many_pattern(d->path))
			return "pattern needs exactly one %d (or %05d) in the file name";
		if (parse_number(tok[2], &count) || count < 1 || count > 1000000)
			return "count must be 1..1000000";
		d->count = (long)count;
		return parse_file_opts(tok + 3, n - 3, &d->opts);
	}
	case K_SYMLINK:
	case K_JUNCTION:
		d->target = xstrdup(tok[2]);
		return NULL;
	case K_HARDLINK:
		d->target = normalise_path(tok[2]);
		return d->target ? NULL : "bad existing path";
	default:
		return NULL;
	}
}

struct spec {
	struct directive *ds;
	size_t n, cap;
	char **files; /* every spec file read, for messages */
	size_t n_files;
};

static void free_spec(struct spec *sp)
{
	for (size_t i = 0; i < sp->n; i++) {
		free(sp->ds[i].path);
		free(sp->ds[i].target);
		free(sp->ds[i].opts.word);
		free(sp->ds[i].opts.dos);
	}
	for (size_t i = 0; i < sp->n_files; i++)
		free(sp->files[i]);
	free(sp->files);
	free(sp->ds);
}

static struct directive *new_directive(struct spec *sp, const char *file, int line)
{
	if (sp->n == sp->cap) {
		sp->cap = sp->cap ? sp->cap * 2 : 64;
		sp->ds = realloc(sp->ds, sp->cap * sizeof(*sp->ds));
		if (!sp->ds)
			exit(1);
	}
	struct directive *d = memset(&sp->ds[sp->n++], 0, sizeof(*d));
	d->file = file;
	d->line = line;
	return d;
}

static const char *remember_file(struct spec *sp, const char *file)
{
	sp->files = realloc(sp->files, (sp->n_files + 1) * sizeof(*sp->files));
	if (!sp->files)
		exit(1);
	return sp->files[sp->n_files++] = xstrdup(file);
}

/* "include NAME" names a spec next to the including one. */
static char *sibling_path(const char *spec, const char *name)
{
	const char *slash = strrchr(spec, '/');
	int dirlen = slash && name[0] != '/' ? (int)(slash - spec + 1) : 0;
	char *out = xmalloc((size_t)dirlen + strlen(name) + 1);
	sprintf(out, "%.*s%s", dirlen, spec, name);
	return out;
}

static bool read_spec(struct spec *sp, const char *spec, int depth);

/* Parses one non-empty line; returns an error message or NULL. */
static const char *parse_line(struct spec *sp, const char *file, int lineno, char **tok,
			      int nt, int depth)
{
	if (nt < 0)
		return "unterminated quote or too many words";
	if (!strcmp(tok[0], "include")) {
		if (nt != 2)
			return "include takes one file name";
		if (depth > 8)
			return "includes nest too deeply";
		char *path = sibling_path(file, tok[1]);
		bool ok = read_spec(sp, path, depth + 1);
		free(path);
		return ok ? NULL : "included from here";
	}
	return parse_directive(tok, nt, new_directive(sp, file, lineno));
}

static bool read_spec(struct spec *sp, const char *spec, int depth)
{
	FILE *f = fopen(spec, "r");
	if (!f) {
		fprintf(stderr, "wr-mkfixture: %s: %s\n", spec, strerror(errno));
		return false;
	}
	const char *file = remember_file(sp, spec);
	char *line = NULL, *tok[MAX_TOKENS + 1];
	size_t len = 0;
	int lineno = 0;
	bool ok = true;
	while (ok && getline(&line, &len, f) >= 0) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		char *copy = xstrdup(line);
		int nt = tokenize(copy, tok, MAX_TOKENS + 1);
		const char *err = nt ? parse_line(sp, file, lineno, tok, nt, depth) : NULL;
		if (err) {
			fprintf(stderr, "wr-mkfixture: %s:%d: %s: %s\n", file, lineno, err, line);
			ok = false;
		}
		free(copy);
	}
	free(line);
	fclose(f);
	return ok;
}

/* ---- volume helpers ----------------------------------------------------- */

/* Sets all four times in $STANDARD_INFORMATION and every $FILE_NAME (and, through
 * TimesSet, the directory index entries when the inode is closed). ntfs-3g's own
 * ntfs_inode_set_times stamps the MFT change time with "now", which breaks
 * reproducibility, hence this. */
static int set_times(ntfs_inode *ni, sle64 created, sle64 modified)
{
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!ctx)
		return -1;
	int rc = ntfs_attr_lookup(AT_STANDARD_INFORMATION, AT_UNNAMED, 0, CASE_SENSITIVE, 0,
				  NULL, 0, ctx);
	if (!rc) {
		STANDARD_INFORMATION *si = (STANDARD_INFORMATION *)((u8 *)ctx->attr +
			le16_to_cpu(ctx->attr->value_offset));
		si->creation_time = ni->creation_time = cpu_to_sle64(created);
		si->last_data_change_time = ni->last_data_change_time = cpu_to_sle64(modified);
		si->last_mft_change_time = ni->last_mft_change_time = cpu_to_sle64(modified);
		si->last_access_time = ni->last_access_time = cpu_to_sle64(modified);
		ntfs_attr_reinit_search_ctx(ctx);
		while (!ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0,
					 ctx)) {
			FILE_NAME_ATTR *fn = (FILE_NAME_ATTR *)((u8 *)ctx->attr +
				le16_to_cpu(ctx->attr->value_offset));
			fn->creation_time = cpu_to_sle64(created);
			fn->last_data_change_time = fn->last_mft_change_time =
				fn->last_access_time = cpu_to_sle64(modified);
		}
		set_nino_flag(ni, TimesSet);
		ntfs_inode_mark_dirty(ni);
		NInoFileNameSetDirty(ni);
	}
	ntfs_attr_put_search_ctx(ctx);
	return rc;
}

/* Remembers an inode for the final time fix-up, and stamps its times now already:
 * names added later (8.3 alias, hard links) copy them, and equal-typed $FILE_NAME
 * attributes are ordered by value, so "now" there would make the layout vary. */
static void track(struct fixture *fx, ntfs_inode *ni, sle64 created, sle64 modified)
{
	set_times(ni, created, modified);
	if (fx->n_inodes == fx->cap_inodes) {
		fx->cap_inodes = fx->cap_inodes ? fx->cap_inodes * 2 : 256;
		fx->inodes = realloc(fx->inodes, fx->cap_inodes * sizeof(*fx->inodes));
		if (!fx->inodes)
			exit(1);
	}
	fx->inodes[fx->n_inodes++] = (struct tracked){ ni->mft_no, created, modified };
}

static bool is_dir(const ntfs_inode *ni)
{
	return (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) != 0;
}

static ntfs_inode *create_child(struct fixture *fx, ntfs_inode *dir, const char *name,
				mode_t type)
{
	ntfschar *uname = NULL;
	int ulen = ntfs_mbstoucs(name, &uname);
	if (ulen <= 0 || ulen > 255) {
		free(uname);
		fail(fx, "bad name \"%s\"", name);
		return NULL;
	}
	ntfs_inode *ni = ntfs_create(dir, const_cpu_to_le32(0), uname, (u8)ulen, type);
	if (!ni)
		fail(fx, "cannot create \"%s\": %s", name, strerror(errno));
	free(uname);
	return ni;
}

/* Not ntfs_inode_lookup_by_mbsname: its cache keeps "not found" after we create. */
static u64 lookup_child(ntfs_inode *dir, const char *name)
{
	ntfschar *uname = NULL;
	int ulen = ntfs_mbstoucs(name, &uname);
	u64 mref = ulen > 0 ? ntfs_inode_lookup_by_name(dir, uname, ulen) : (u64)-1;
	free(uname);
	return mref;
}

/* Opens (creating as needed, like mkdir -p) the first `depth` components of path.
 * One inode open at a time: a second open copy of a directory would go stale. */
static ntfs_inode *open_dirs(struct fixture *fx, const char *path, int depth)
{
	ntfs_inode *dir = ntfs_inode_open(fx->vol, FILE_root);
	char *copy = xstrdup(path), *save = NULL, *name = strtok_r(copy, "/", &save);
	for (int i = 0; dir && name && i < depth; i++, name = strtok_r(NULL, "/", &save)) {
		u64 mref = lookup_child(dir, name);
		if (mref == (u64)-1) {
			ntfs_inode *child = create_child(fx, dir, name, S_IFDIR);
			if (child) {
				sle64 t = unix_to_ntfs(DEFAULT_TIME_UNIX);
				track(fx, child, t, t);
				mref = child->mft_no;
				ntfs_inode_close_in_dir(child, dir);
			}
		}
		ntfs_inode_close(dir);
		dir = mref == (u64)-1 ? NULL : ntfs_inode_open(fx->vol, mref);
		if (dir && !is_dir(dir)) {
			fail(fx, "\"%s\" exists and is not a directory", name);
			ntfs_inode_close(dir);
			dir = NULL;
		}
	}
	free(copy);
	return dir;
}

static int path_depth(const char *path)
{
	int d = 1;
	for (const char *p = path; *p; p++)
		d += *p == '/';
	return d;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Opens the parent directory of path (creating it) for a new entry. */
static ntfs_inode *open_parent(struct fixture *fx, const char *path)
{
	return open_dirs(fx, path, path_depth(path) - 1);
}

/* ---- file contents ------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t hash_string(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

/* Fills buf with bytes [pos, pos+len) of the file's content. */
static void fill_content(const struct file_opts *o, uint64_t *prng, unsigned char *buf,
			 long long pos, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		long long at = pos + (long long)i;
		switch (o->content) {
		case C_ZERO:
			buf[i] = 0;
			break;
		case C_TEXT:
			buf[i] = (unsigned char)o->word[at % (long long)strlen(o->word)];
			break;
		case C_MAGIC:
			if (at < 4) {
				buf[i] = 0xAA;
				break;
			}
			/* fall through */
		case C_RANDOM:
			buf[i] = (unsigned char)splitmix64(prng);
			break;
		}
	}
}

static int write_content(struct fixture *fx, ntfs_inode *ni, const struct file_opts *o,
			 uint64_t seed)
{
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na)
		return fail(fx, "cannot open data: %s", strerror(errno));
	static unsigned char buf[65536];
	uint64_t prng = seed;
	int rc = 0;
	for (long long pos = 0; pos < o->size && !rc;) {
		size_t len = (size_t)(o->size - pos < (long long)sizeof(buf) ? o->size - pos
									   : (long long)sizeof(buf));
		fill_content(o, &prng, buf, pos, len);
		if (ntfs_attr_pwrite(na, pos, (s64)len, buf) != (s64)len)
			rc = fail(fx, "cannot write data: %s", strerror(errno));
		pos += (long long)len;
	}
	ntfs_attr_close(na);
	return rc;
}

/* ---- directives --------------------------------------------------------- */

static int apply_dir(struct fixture *fx, const struct directive *d)
{
	ntfs_inode *dir = open_dirs(fx, d->path, path_depth(d->path));
	if (!dir)
		return -1;
	ntfs_inode_close(dir);
	return 0;
}

static int set_dos_name(struct fixture *fx, ntfs_inode *ni, ntfs_inode *dir, const char *dos)
{
	/* ntfs_set_ntfs_dos_name closes both inodes, whatever happens. */
	if (ntfs_set_ntfs_dos_name(ni, dir, dos, strlen(dos), 0))
		return fail(fx, "cannot set 8.3 name \"%s\": %s", dos, strerror(errno));
	return 0;
}

/* Creates one regular file in dir, and closes dir (setting an 8.3 name closes it). */
static int create_file(struct fixture *fx, ntfs_inode *dir, const char *path,
		       const struct file_opts *o, uint64_t seed)
{
	ntfs_inode *ni = create_child(fx, dir, base_name(path), S_IFREG);
	if (!ni) {
		ntfs_inode_close(dir);
		return -1;
	}
	track(fx, ni, o->created, o->modified);
	int rc = write_content(fx, ni, o, seed);
	if (!rc && o->dos)
		return set_dos_name(fx, ni, dir, o->dos);
	ntfs_inode_close_in_dir(ni, dir);
	ntfs_inode_close(dir);
	return rc;
}

static uint64_t file_seed(const struct file_opts *o, const char *path, long index)
{
	return o->has_seed ? o->seed + (uint64_t)index : hash_string(path);
}

static int apply_file(struct fixture *fx, const struct directive *d)
{
	ntfs_inode *dir = open_parent(fx, d->path);
	if (!dir)
		return -1;
	return create_file(fx, dir, d->path, &d->opts, file_seed(&d->opts, d->path, 0));
}

/* Expands the single %d / %0Nd of a validated pattern. */
static char *expand_pattern(const char *pattern, long value)
{
	const char *pct = strchr(pattern, '%');
	bool zero = pct[1] == '0';
	int width = atoi(pct + 1);
	const char *rest = strchr(pct, 'd') + 1;
	char num[64];
	snprintf(num, sizeof(num), zero ? "%0*ld" : "%*ld", width, value);
	size_t head = (size_t)(pct - pattern);
	char *out = xmalloc(head + strlen(num) + strlen(rest) + 1);
	memcpy(out, pattern, head);
	strcpy(out + head, num);
	strcat(out, rest);
	return out;
}

static int apply_many(struct fixture *fx, const struct directive *d)
{
	if (d->opts.dos)
		return fail(fx, "many cannot give each file the same 8.3 name");
	ntfs_inode *dir = open_parent(fx, d->path);
	if (!dir)
		return -1;
	u64 dir_mref = dir->mft_no;
	int rc = 0;
	for (long i = 0; i < d->count && !rc; i++) {
		if (i && !(dir = ntfs_inode_open(fx->vol, dir_mref)))
			return fail(fx, "cannot reopen the directory: %s", strerror(errno));
		char *path = expand_pattern(d->path, i);
		rc = create_file(fx, dir, path, &d->opts, file_seed(&d->opts, path, i));
		free(path);
	}
	return rc;
}

/* Appends a UTF-16LE copy of s (with '/' as '\') at buf+off; returns its byte length. */
static size_t put_utf16(unsigned char *buf, size_t off, const char *s)
{
	ntfschar *u = NULL;
	int n = ntfs_mbstoucs(s, &u);
	for (int i = 0; i < n; i++)
		if (u[i] == const_cpu_to_le16('/'))
			u[i] = const_cpu_to_le16('\\');
	memcpy(buf + off, u, (size_t)n * 2);
	free(u);
	return (size_t)(n > 0 ? n : 0) * 2;
}

static void put_le16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	put_le16(p, v & 0xffff);
	put_le16(p + 2, v >> 16);
}

static bool is_absolute(const char *t)
{
	return t[0] == '\\' || t[0] == '/' || (isalpha((unsigned char)t[0]) && t[1] == ':');
}

/* Builds a symlink or mount-point REPARSE_POINT the way Windows writes them:
 * substitute name "\??\C:\target" (relative symlinks keep the target as is),
 * print name "C:\target"; returns its size. */
static size_t build_reparse(unsigned char *buf, bool junction, const char *target)
{
	char subst[1200], print[1200];
	bool relative = !is_absolute(target);
	const char *drive = isalpha((unsigned char)target[0]) && target[1] == ':' ? "" : "C:";
	if (relative) {
		snprintf(subst, sizeof(subst), "%s", target);
		snprintf(print, sizeof(print), "%s", target);
	} else {
		snprintf(subst, sizeof(subst), "\\??\\%s%s", drive, target);
		snprintf(print, sizeof(print), "%s%s", drive, target);
	}
	size_t hdr = 8, fixed = junction ? 8 : 12;
	size_t slen = put_utf16(buf, hdr + fixed, subst);
	size_t plen = put_utf16(buf, hdr + fixed + slen, print);
	put_le32(buf, junction ? 0xA0000003u : 0xA000000Cu);
	put_le16(buf + 4, (unsigned)(fixed + slen + plen));
	put_le16(buf + 6, 0);
	put_le16(buf + 8, 0);                    /* substitute name offset */
	put_le16(buf + 10, (unsigned)slen);
	put_le16(buf + 12, (unsigned)slen);      /* print name offset */
	put_le16(buf + 14, (unsigned)plen);
	if (!junction)
		put_le32(buf + 16, relative ? 1 : 0); /* SYMLINK_FLAG_RELATIVE */
	return hdr + fixed + slen + plen;
}

/* Resolves target (absolute, or relative to the link's directory) to a volume path. */
static char *resolve_target(const char *link_path, const char *target)
{
	char joined[2048];
	const char *t = target;
	if (isalpha((unsigned char)t[0]) && t[1] == ':')
		t += 2;
	if (is_absolute(t))
		snprintf(joined, sizeof(joined), "%s", t);
	else
		snprintf(joined, sizeof(joined), "%.*s/%s",
			 (int)(base_name(link_path) - link_path), link_path, t);
	/* Fold "." and ".." by hand: normalise_path refuses them. */
	char *out = xmalloc(strlen(joined) + 1), *o = out;
	for (char *save = NULL, *c = strtok_r(joined, "\\/", &save); c;
	     c = strtok_r(NULL, "\\/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			while (o > out && *--o != '/')
				;
			continue;
		}
		o += sprintf(o, "%s%s", o == out ? "" : "/", c);
	}
	*o = '\0';
	return out;
}

static bool target_is_dir(struct fixture *fx, const char *link_path, const char *target)
{
	char *resolved = resolve_target(link_path, target);
	char *abs = xmalloc(strlen(resolved) + 2);
	sprintf(abs, "/%s", resolved);
	ntfs_inode *ni = ntfs_pathname_to_inode(fx->vol, NULL, abs);
	bool dir = ni && is_dir(ni);
	if (ni)
		ntfs_inode_close(ni);
	free(abs);
	free(resolved);
	return dir;
}

static int apply_reparse(struct fixture *fx, const struct directive *d)
{
	bool junction = d->kind == K_JUNCTION;
	if (junction && !is_absolute(d->target))
		return fail(fx, "a junction target must be an absolute path");
	bool dir_link = junction || target_is_dir(fx, d->path, d->target);
	ntfs_inode *dir = open_parent(fx, d->path);
	if (!dir)
		return -1;
	ntfs_inode *ni = create_child(fx, dir, base_name(d->path), dir_link ? S_IFDIR : S_IFREG);
	int rc = -1;
	if (ni) {
		sle64 t = unix_to_ntfs(DEFAULT_TIME_UNIX);
		track(fx, ni, t, t);
		unsigned char buf[8192];
		size_t size = build_reparse(buf, junction, d->target);
		rc = ntfs_set_ntfs_reparse_data(ni, (const char *)buf, size, 0);
		if (rc)
			fail(fx, "cannot set reparse data: %s", strerror(errno));
		ntfs_inode_close_in_dir(ni, dir);
	}
	ntfs_inode_close(dir);
	return rc;
}

static int apply_hardlink(struct fixture *fx, const struct directive *d)
{
	char *abs = xmalloc(strlen(d->target) + 2);
	sprintf(abs, "/%s", d->target);
	ntfs_inode *ni = ntfs_pathname_to_inode(fx->vol, NULL, abs);
	free(abs);
	if (!ni)
		return fail(fx, "\"%s\" not found", d->target);
	if (is_dir(ni)) {
		ntfs_inode_close(ni);
		return fail(fx, "cannot hard-link a directory");
	}
	ntfs_inode *dir = open_parent(fx, d->path);
	int rc = -1;
	if (dir) {
		ntfschar *uname = NULL;
		int ulen = ntfs_mbstoucs(base_name(d->path), &uname);
		rc = ulen > 0 ? ntfs_link(ni, dir, uname, (u8)ulen) : -1;
		if (rc)
			fail(fx, "cannot link: %s", strerror(errno));
		free(uname);
		ntfs_inode_close(dir);
	}
	ntfs_inode_close(ni);
	return rc;
}

/* ---- states ------------------------------------------------------------- */

static int create_hiberfil(struct fixture *fx)
{
	static const char path[] = "hiberfil.sys";
	struct file_opts o = { .size = HIBERFIL_SIZE, .content = C_ZERO };
	o.created = o.modified = unix_to_ntfs(DEFAULT_TIME_UNIX);
	ntfs_inode *root = ntfs_inode_open(fx->vol, FILE_root);
	ntfs_inode *ni = root ? create_child(fx, root, path, S_IFREG) : NULL;
	int rc = -1;
	if (ni) {
		track(fx, ni, o.created, o.modified);
		ni->flags |= FILE_ATTR_HIDDEN | FILE_ATTR_SYSTEM;
		rc = write_content(fx, ni, &o, 0);
		ntfs_attr *na = rc ? NULL : ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
		if (!na || ntfs_attr_pwrite(na, 0, 4, "hibr") != 4)
			rc = fail(fx, "cannot write hiberfil.sys");
		if (na)
			ntfs_attr_close(na);
		ntfs_inode_close_in_dir(ni, root);
	}
	if (root)
		ntfs_inode_close(root);
	return rc;
}

/* Writes both $LogFile restart pages as Windows leaves them when it did not shut the
 * volume down cleanly: one client in use, RESTART_VOLUME_IS_CLEAN not set. Version 2.0
 * is what Windows 8+ writes when Fast Startup keeps metadata cached. */
static int write_restart_pages(struct fixture *fx, int major, int minor)
{
	ntfs_inode *ni = ntfs_inode_open(fx->vol, FILE_LogFile);
	ntfs_attr *na = ni ? ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0) : NULL;
	if (!na) {
		if (ni)
			ntfs_inode_close(ni);
		return fail(fx, "cannot open $LogFile: %s", strerror(errno));
	}
	int rc = 0;
	for (int page = 0; page < 2 && !rc; page++) {
		static unsigned char buf[LOG_PAGE];
		memset(buf, 0, sizeof(buf));
		RESTART_PAGE_HEADER *rp = (RESTART_PAGE_HEADER *)buf;
		const u16 usa_ofs = offsetof(RESTART_PAGE_HEADER, usn);
		const u16 usa_count = 1 + LOG_PAGE / NTFS_BLOCK_SIZE;
		const u16 ra_ofs = (u16)((usa_ofs + usa_count * 2 + 7) & ~7);
		rp->magic = magic_RSTR;
		rp->usa_ofs = cpu_to_le16(usa_ofs);
		rp->usa_count = cpu_to_le16(usa_count);
		rp->system_page_size = rp->log_page_size = cpu_to_le32(LOG_PAGE);
		rp->restart_area_offset = cpu_to_le16(ra_ofs);
		rp->major_ver = cpu_to_sle16(major);
		rp->minor_ver = cpu_to_sle16(minor);
		RESTART_AREA *ra = (RESTART_AREA *)(buf + ra_ofs);
		const u16 ca_ofs = (sizeof(RESTART_AREA) + 7) & ~7;
		int fs_bits = 0;
		for (u64 s = (u64)na->data_size; s; s >>= 1)
			fs_bits++;
		ra->current_lsn = cpu_to_sle64(0x100000 + page);
		ra->log_clients = cpu_to_le16(1);
		ra->client_free_list = LOGFILE_NO_CLIENT;
		ra->client_in_use_list = cpu_to_le16(0);
		ra->flags = const_cpu_to_le16(0);
		ra->seq_number_bits = cpu_to_le32((u32)(67 - fs_bits));
		ra->restart_area_length = cpu_to_le16(ca_ofs + sizeof(LOG_CLIENT_RECORD));
		ra->client_array_offset = cpu_to_le16(ca_ofs);
		ra->file_size = cpu_to_sle64(na->data_size);
		ra->log_record_header_length = cpu_to_le16(0x30);
		ra->log_page_data_offset = cpu_to_le16(0x40);
		LOG_CLIENT_RECORD *cr = (LOG_CLIENT_RECORD *)((u8 *)ra + ca_ofs);
		cr->prev_client = cr->next_client = LOGFILE_NO_CLIENT;
		cr->client_name_length = cpu_to_le32(8);
		for (int i = 0; i < 4; i++)
			cr->client_name[i] = cpu_to_le16((u16) "NTFS"[i]);
		if (ntfs_attr_mst_pwrite(na, page * LOG_PAGE, 1, LOG_PAGE, buf) != 1)
			rc = fail(fx, "cannot write $LogFile: %s", strerror(errno));
	}
	ntfs_attr_close(na);
	ntfs_inode_close(ni);
	return rc;
}

/* ---- times -------------------------------------------------------------- */

/* Sets the name space of fn's entry in its directory index to Win32. */
static int retype_index_entry(ntfs_inode *ni, FILE_NAME_ATTR *fn)
{
	u64 parent = MREF_LE(fn->parent_directory);
	ntfs_inode *dir = parent == ni->mft_no ? ni : ntfs_inode_open(ni->vol, parent);
	ntfs_index_context *ictx = dir ? ntfs_index_ctx_get(dir, NTFS_INDEX_I30, 4) : NULL;
	int rc = -1;
	if (ictx && !ntfs_index_lookup(fn, sizeof(FILE_NAME_ATTR), ictx)) {
		((FILE_NAME_ATTR *)ictx->data)->file_name_type = FILE_NAME_WIN32;
		ntfs_index_entry_mark_dirty(ictx);
		rc = 0;
	}
	if (ictx)
		ntfs_index_ctx_put(ictx);
	if (dir && dir != ni && ntfs_inode_close(dir))
		rc = -1;
	return rc;
}

/* ntfs_create makes POSIX (case-sensitive) names; Windows makes Win32 ones. The name
 * space is no part of the index key, so it can change in place. */
static int use_win32_names(ntfs_inode *ni)
{
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!ctx)
		return -1;
	int rc = 0;
	while (!rc && !ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0,
					ctx)) {
		FILE_NAME_ATTR *fn = (FILE_NAME_ATTR *)((u8 *)ctx->attr +
			le16_to_cpu(ctx->attr->value_offset));
		if (fn->file_name_type != FILE_NAME_POSIX)
			continue;
		fn->file_name_type = FILE_NAME_WIN32;
		ntfs_inode_mark_dirty(ni);
		rc = retype_index_entry(ni, fn);
	}
	ntfs_attr_put_search_ctx(ctx);
	return rc;
}

/* Creating entries touches their directories' times; fix everything at the end,
 * and give every name the Win32 name space. */
static int fix_all_times(struct fixture *fx)
{
	sle64 t = unix_to_ntfs(DEFAULT_TIME_UNIX);
	ntfs_inode *root = ntfs_inode_open(fx->vol, FILE_root);
	if (!root || set_times(root, t, t) || ntfs_inode_close(root))
		return fail(fx, "cannot set the root's times: %s", strerror(errno));
	for (size_t i = fx->n_inodes; i-- > 0;) {
		const struct tracked *tr = &fx->inodes[i];
		ntfs_inode *ni = ntfs_inode_open(fx->vol, tr->mref);
		if (!ni || use_win32_names(ni) || set_times(ni, tr->created, tr->modified) ||
		    ntfs_inode_close(ni))
			return fail(fx, "cannot set names or times of inode %llu: %s",
				    (unsigned long long)tr->mref, strerror(errno));
	}
	return 0;
}

/* ---- main --------------------------------------------------------------- */

static int apply(struct fixture *fx, const struct directive *d)
{
	switch (d->kind) {
	case K_DIR:
		return apply_dir(fx, d);
	case K_FILE:
		return apply_file(fx, d);
	case K_MANY:
		return apply_many(fx, d);
	case K_SYMLINK:
	case K_JUNCTION:
		return apply_reparse(fx, d);
	case K_HARDLINK:
		return apply_hardlink(fx, d);
	case K_STATE:
		return 0; /* applied after everything else */
	}
	return 0;
}

static int apply_states(struct fixture *fx, unsigned states)
{
	if ((states & S_UNCLEAN) && (states & S_FAST_STARTUP))
		return fail(fx, "states unclean and fast_startup exclude each other");
	if ((states & S_HIBERNATED) && create_hiberfil(fx))
		return -1;
	if (fix_all_times(fx))
		return -1;
	if ((states & (S_UNCLEAN | S_FAST_STARTUP)) &&
	    write_restart_pages(fx, states & S_UNCLEAN ? 1 : 2, states & S_UNCLEAN ? 1 : 0))
		return -1;
	if ((states & S_DIRTY) && ntfs_volume_write_flags(fx->vol, fx->vol->flags | VOLUME_IS_DIRTY))
		return fail(fx, "cannot set the dirty flag: %s", strerror(errno));
	return 0;
}

static int populate(struct fixture *fx, const struct directive *ds, size_t n)
{
	unsigned states = 0;
	for (size_t i = 0; i < n; i++) {
		if (apply(fx, &ds[i])) {
			fprintf(stderr, "wr-mkfixture: %s:%d: %s\n", ds[i].file, ds[i].line, fx->msg);
			return -1;
		}
		states |= ds[i].state;
	}
	if (apply_states(fx, states)) {
		fprintf(stderr, "wr-mkfixture: %s: %s\n", fx->spec, fx->msg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: wr-mkfixture IMAGE SPECFILE\n");
		return 2;
	}
	struct spec sp = { 0 };
	if (!read_spec(&sp, argv[2], 0)) {
		free_spec(&sp);
		return 1;
	}
	ntfs_log_set_handler(ntfs_log_handler_stderr);
	ntfs_log_clear_levels(NTFS_LOG_LEVEL_INFO | NTFS_LOG_LEVEL_QUIET | NTFS_LOG_LEVEL_VERBOSE);
	struct fixture fx = { .spec = argv[2] };
	fx.vol = ntfs_mount(argv[1], 0);
	if (!fx.vol) {
		fprintf(stderr, "wr-mkfixture: %s: cannot mount read-write: %s\n", argv[1],
			strerror(errno));
		free_spec(&sp);
		return 1;
	}
	int rc = populate(&fx, sp.ds, sp.n);
	if (ntfs_umount(fx.vol, FALSE)) {
		fprintf(stderr, "wr-mkfixture: %s: unmount failed: %s\n", argv[1], strerror(errno));
		rc = -1;
	}
	free(fx.inodes);
	free_spec(&sp);
	return rc ? 1 : 0;
}

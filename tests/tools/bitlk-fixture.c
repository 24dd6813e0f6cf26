/* wr-bitlk-fixture: BitLocker test volumes with real NTFS contents.
 *
 *   wr-bitlk-fixture encrypt --template REAL.img --key RP --plain PLAIN.img --out ENC.img
 *   wr-bitlk-fixture decrypt --key RP --in ENC.img --out PLAIN.img|-
 *   wr-bitlk-fixture placeholder-spec
 *   wr-bitlk-fixture reserve --template REAL.img --plain PLAIN.img
 *   wr-bitlk-fixture info IMG
 *
 * encrypt keeps the Windows-made header and FVE metadata of REAL.img and stores PLAIN.img
 * (an NTFS image of the same size) so that the plaintext view libcryptsetup/dm-crypt maps
 * equals PLAIN.img on every sector that NTFS uses and on every non-zero sector. Free
 * all-zero sectors are not written: the output stays sparse, and they decrypt to noise,
 * as free space does on a real volume encrypted "used space only".
 * Sectors in the header and metadata areas read as zeros; data there is refused. So
 * placeholder-spec prints the spec lines of empty placeholder files (as Windows' FVE2.*
 * files in \System Volume Information), and reserve, run on a fresh NTFS with just
 * those, gives each BitLocker area to its placeholder before anything else is added. */
#include "bitlk-fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1u << 20)

struct options {
	const char *template_path;
	const char *key;
	const char *plain;
	const char *in;
	const char *out;
};

/* Collects sectors bound for consecutive offsets so they go out in few writes. A
 * stream (standard output) gets every sector in order, zeros included. */
struct run_writer {
	int fd;
	bool stream;
	uint64_t start;
	size_t len;
	unsigned char buf[CHUNK];
};

static int fail(const char *msg)
{
	fprintf(stderr, "wr-bitlk-fixture: %s\n", msg);
	return 1;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && !memcmp(p, p + 1, n - 1));
}

static int read_full(int fd, uint64_t off, unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)off);
		if (n <= 0)
			return -1;
		buf += n, off += (uint64_t)n, len -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, bool stream, uint64_t off, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = stream ? write(fd, buf, len) : pwrite(fd, buf, len, (off_t)off);
		if (n <= 0)
			return -1;
		buf += n, off += (uint64_t)n, len -= (size_t)n;
	}
	return 0;
}

static int run_flush(struct run_writer *w)
{
	int r = write_full(w->fd, w->stream, w->start, w->buf, w->len);
	w->len = 0;
	return r;
}

static int run_add(struct run_writer *w, uint64_t off, const unsigned char *data, size_t len)
{
	if (w->len && (w->start + w->len != off || w->len + len > sizeof(w->buf)) && run_flush(w))
		return -1;
	if (!w->len)
		w->start = off;
	memcpy(w->buf + w->len, data, len);
	w->len += len;
	return 0;
}

static int open_output(const char *path, uint64_t size, char err[BITLK_ERR_LEN])
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)size)) {
		bitlk_set_err(err, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int open_input(const char *path, uint64_t expected_size, char err[BITLK_ERR_LEN])
{
	int fd = open(path, O_RDONLY);
	off_t end;

	if (fd < 0 || (end = lseek(fd, 0, SEEK_END)) < 0) {
		bitlk_set_err(err, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if ((uint64_t)end != expected_size) {
		bitlk_set_err(err, "%s: size %jd, but the BitLocker volume has %" PRIu64 " bytes",
			      path, (intmax_t)end, expected_size);
		close(fd);
		return -1;
	}
	return fd;
}

static int open_input_check(const char *path, uint64_t expected_size, char err[BITLK_ERR_LEN])
{
	int fd = open_input(path, expected_size, err);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Copies the template's non-zero sectors (header, FVE metadata, leftovers) so the
 * output is as sparse as the template. */
static int copy_template(int in, struct run_writer *w, const struct bitlk_layout *l,
			 unsigned char *chunk, char err[BITLK_ERR_LEN])
{
	for (uint64_t off = 0; off < l->volume_size; off += CHUNK) {
		size_t len = (size_t)(l->volume_size - off < CHUNK ? l->volume_size - off : CHUNK);
		if (read_full(in, off, chunk, len))
			goto io_error;
		for (size_t s = 0; s < len; s += l->sector_size)
			if (!all_zero(chunk + s, l->sector_size) &&
			    run_add(w, off + s, chunk + s, l->sector_size))
				goto io_error;
	}
	if (run_flush(w))
		goto io_error;
	return 0;
io_error:
	bitlk_set_err(err, "copying the template: %s", strerror(errno));
	return -1;
}

struct encrypt_job {
	const struct bitlk_layout *layout;
	const struct bitlk_ntfs_bitmap *bitmap;
	struct bitlk_cipher *cipher;
	struct run_writer *writer;
	const char *plain_path;
};

static int refuse_reserved(const struct encrypt_job *job, uint64_t off, char err[BITLK_ERR_LEN])
{
	const struct bitlk_area *a = bitlk_reserved_area_at(job->layout, off);

	bitlk_set_err(err, "%s: NTFS cluster %" PRIu64 " (byte %" PRIu64 ") is in use but lies "
		      "in the BitLocker %s area at %" PRIu64 "+%" PRIu64 ", which reads as zeros",
		      job->plain_path, off / job->bitmap->cluster_size, off,
		      a == &job->layout->header ? "volume header" : "metadata", a->offset, a->size);
	return -1;
}

static int encrypt_sector(const struct encrypt_job *job, uint64_t plain, unsigned char *sector,
			  char err[BITLK_ERR_LEN])
{
	uint64_t physical;

	/* A zero sector reads back right even there (the placeholder files' case). */
	if (!bitlk_plain_to_physical(job->layout, plain, &physical))
		return bitlk_ntfs_in_use(job->bitmap, plain) &&
		       !all_zero(sector, job->layout->sector_size) ? refuse_reserved(job, plain, err) : 0;
	if (plain >= job->layout->header.size && !bitlk_ntfs_in_use(job->bitmap, plain) &&
	    all_zero(sector, job->layout->sector_size))
		return 0;
	if (bitlk_cipher_sector(job->cipher, physical, sector, sector) ||
	    run_add(job->writer, physical, sector, job->layout->sector_size)) {
		bitlk_set_err(err, "encrypting plaintext byte %" PRIu64 " failed", plain);
		return -1;
	}
	return 0;
}

static int encrypt_all(const struct encrypt_job *job, int plain_fd, unsigned char *chunk,
		       char err[BITLK_ERR_LEN])
{
	const struct bitlk_layout *l = job->layout;

	for (uint64_t off = 0; off < l->volume_size; off += CHUNK) {
		size_t len = (size_t)(l->volume_size - off < CHUNK ? l->volume_size - off : CHUNK);
		if (read_full(plain_fd, off, chunk, len)) {
			bitlk_set_err(err, "%s: %s", job->plain_path, strerror(errno));
			return -1;
		}
		for (size_t s = 0; s < len; s += l->sector_size)
			if (encrypt_sector(job, off + s, chunk + s, err))
				return -1;
	}
	if (run_flush(job->writer)) {
		bitlk_set_err(err, "writing: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The shared state of one encrypt or decrypt run, released in one place. */
struct session {
	struct bitlk_volume vol;
	struct bitlk_cipher *cipher;
	struct run_writer *writer;
	unsigned char *chunk;
	int in_fd, aux_fd;
	char err[BITLK_ERR_LEN];
};

static int session_start(struct session *s, const char *volume_path, const char *key,
			 bool encrypt, const char *out_path)
{
	memset(s, 0, sizeof(*s));
	s->in_fd = s->aux_fd = -1;
	s->writer = malloc(sizeof(*s->writer));
	s->chunk = malloc(CHUNK);
	if (!s->writer || !s->chunk)
		abort();
	s->writer->len = 0;
	s->writer->stream = false;
	s->writer->fd = -1;
	if (bitlk_volume_open(volume_path, key, &s->vol, s->err))
		return -1;
	s->cipher = bitlk_cipher_new(&s->vol, encrypt, s->err);
	if (!s->cipher)
		return -1;
	s->writer->stream = !strcmp(out_path, "-");
	s->writer->fd = s->writer->stream ? dup(STDOUT_FILENO) :
					    open_output(out_path, s->vol.layout.volume_size, s->err);
	return s->writer->fd < 0 ? -1 : 0;
}

static int session_end(struct session *s, int r)
{
	if (r)
		fail(s->err);
	bitlk_cipher_free(s->cipher);
	bitlk_volume_close(&s->vol);
	if (s->writer->fd >= 0 && close(s->writer->fd) && !r)
		r = fail(strerror(errno));
	if (s->in_fd >= 0)
		close(s->in_fd);
	if (s->aux_fd >= 0)
		close(s->aux_fd);
	free(s->writer);
	free(s->chunk);
	return r ? 1 : 0;
}

static int cmd_encrypt(const struct options *o)
{
	struct bitlk_ntfs_bitmap bitmap = { 0 };
	struct session s;
	int r;

	if (!o->template_path || !o->key || !o->plain || !o->out)
		return fail("encrypt needs --template, --key, --plain and --out");
	if (!strcmp(o->out, "-"))
		return fail("encrypt writes an image file, not standard output");
	r = session_start(&s, o->template_path, o->key, true, o->out);
	if (!r && (s.in_fd = open_input(o->plain, s.vol.layout.volume_size, s.err)) < 0)
		r = -1;
	if (!r)
		r = bitlk_ntfs_bitmap_read(o->plain, &bitmap, s.err);
	if (!r && (s.aux_fd = open_input(o->template_path, s.vol.layout.volume_size, s.err)) < 0)
		r = -1;
	if (!r)
		r = copy_template(s.aux_fd, s.writer, &s.vol.layout, s.chunk, s.err);
	if (!r) {
		struct encrypt_job job = { &s.vol.layout, &bitmap, s.cipher, s.writer, o->plain };
		r = encrypt_all(&job, s.in_fd, s.chunk, s.err);
	}
	bitlk_ntfs_bitmap_free(&bitmap);
	if (r)
		unlink(o->out);
	return session_end(&s, r);
}

/* Writes the plaintext of sector plain (read from the encrypted volume); zeros only
 * to a stream, a file keeps holes. */
static int decrypt_sector(struct session *s, uint64_t plain, const unsigned char *chunk_sector)
{
	unsigned sector_size = s->vol.layout.sector_size;
	unsigned char buf[4096];
	uint64_t physical;

	if (!bitlk_plain_to_physical(&s->vol.layout, plain, &physical)) {
		memset(buf, 0, sector_size);
		return s->writer->stream ? run_add(s->writer, plain, buf, sector_size) : 0;
	}
	if (physical != plain) {
		if (read_full(s->in_fd, physical, buf, sector_size))
			return -1;
		chunk_sector = buf;
	}
	if (bitlk_cipher_sector(s->cipher, physical, chunk_sector, buf))
		return -1;
	if (!s->writer->stream && all_zero(buf, sector_size))
		return 0;
	return run_add(s->writer, plain, buf, sector_size);
}

static int decrypt_all(struct session *s)
{
	const struct bitlk_layout *l = &s->vol.layout;

	for (uint64_t off = 0; off < l->volume_size; off += CHUNK) {
		size_t len = (size_t)(l->volume_size - off < CHUNK ? l->volume_size - off : CHUNK);
		if (read_full(s->in_fd, off, s->chunk, len))
			goto io_error;
		for (size_t sec = 0; sec < len; sec += l->sector_size)
			if (decrypt_sector(s, off + sec, s->chunk + sec))
				goto io_error;
	}
	if (run_flush(s->writer))
		goto io_error;
	return 0;
io_error:
	bitlk_set_err(s->err, "decrypting failed: %s", errno ? strerror(errno) : "cipher error");
	return -1;
}

static int cmd_decrypt(const struct options *o)
{
	struct session s;
	int r;

	if (!o->key || !o->in || !o->out)
		return fail("decrypt needs --key, --in and --out");
	r = session_start(&s, o->in, o->key, false, o->out);
	if (!r && (s.in_fd = open_input(o->in, s.vol.layout.volume_size, s.err)) < 0)
		r = -1;
	if (!r)
		r = decrypt_all(&s);
	if (r && strcmp(o->out, "-"))
		unlink(o->out);
	return session_end(&s, r);
}

static int cmd_reserve(const struct options *o)
{
	struct bitlk_volume vol;
	char err[BITLK_ERR_LEN];

	if (!o->template_path || !o->plain || o->key)
		return fail("reserve needs --template and --plain (and no key)");
	if (bitlk_volume_open(o->template_path, NULL, &vol, err) ||
	    open_input_check(o->plain, vol.layout.volume_size, err) ||
	    bitlk_ntfs_reserve(o->plain, &vol.layout, err))
		return fail(err);
	return 0;
}

/* The spec lines (tests/tools/specs/README.md) that make the empty placeholders. */
static int cmd_placeholder_spec(void)
{
	const char *path;

	for (size_t i = 0; (path = bitlk_ntfs_placeholder(i)); i++) {
		printf("file \"");
		for (; *path; path++)
			putchar(*path == '/' ? '\\' : *path);
		printf("\" size=0\n");
	}
	return 0;
}

static void print_area(const char *name, const struct bitlk_area *a)
{
	printf("%-15s offset %" PRIu64 " size %" PRIu64 "\n", name, a->offset, a->size);
}

static int cmd_info(const char *path)
{
	struct bitlk_volume vol;
	char err[BITLK_ERR_LEN];

	if (bitlk_volume_open(path, NULL, &vol, err))
		return fail(err);
	printf("volume size:    %" PRIu64 "\n", vol.layout.volume_size);
	printf("sector size:    %u\n", vol.layout.sector_size);
	printf("cipher:         %s-%s\n", vol.layout.cipher, vol.layout.mode);
	print_area("volume header:", &vol.layout.header);
	for (size_t i = 0; i < vol.layout.n_meta; i++)
		print_area("metadata area:", &vol.layout.meta[i]);
	return 0;
}

static int usage(FILE *f, int code)
{
	fputs("Usage: wr-bitlk-fixture encrypt --template REAL.img --key RECOVERYPW "
	      "--plain PLAIN.img --out ENC.img\n"
	      "       wr-bitlk-fixture decrypt --key RECOVERYPW --in ENC.img --out PLAIN.img|-\n"
	      "       wr-bitlk-fixture placeholder-spec\n"
	      "       wr-bitlk-fixture reserve --template REAL.img --plain PLAIN.img\n"
	      "       wr-bitlk-fixture info IMG\n", f);
	return code;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "template", required_argument, NULL, 't' }, { "key", required_argument, NULL, 'k' },
		{ "plain", required_argument, NULL, 'p' },    { "in", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },      { NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		const char **slot = c == 't' ? &o->template_path : c == 'k' ? &o->key :
				    c == 'p' ? &o->plain : c == 'i' ? &o->in : c == 'o' ? &o->out : NULL;
		if (!slot)
			return -1;
		*slot = optarg;
	}
	return optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct options o;

	if (argc < 2)
		return usage(stderr, 2);
	if (!strcmp(argv[1], "placeholder-spec"))
		return argc == 2 ? cmd_placeholder_spec() : usage(stderr, 2);
	if (!strcmp(argv[1], "info"))
		return argc == 3 ? cmd_info(argv[2]) : usage(stderr, 2);
	if (parse_options(argc - 1, argv + 1, &o))
		return usage(stderr, 2);
	if (!strcmp(argv[1], "encrypt"))
		return cmd_encrypt(&o);
	if (!strcmp(argv[1], "decrypt"))
		return cmd_decrypt(&o);
	if (!strcmp(argv[1], "reserve"))
		return cmd_reserve(&o);
	if (!strcmp(argv[1], "--help"))
		return usage(stdout, 0);
	return usage(stderr, 2);
}

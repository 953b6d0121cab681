/* nametab.c - the names table of a dump, built in memory and written after it
 *
 * See nametab.h.  The table grows by doubling; the dump is written as
 * parts (ppc_dump_writev): a copy of the header that points at the table,
 * the rest of the dump as it is, padding to 8 bytes, the entries, the pool.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dumpfile.h"
#include "nametab.h"

void ppc_names_init(struct ppc_names *t)
{
	memset(t, 0, sizeof(*t));
}

void ppc_names_free(struct ppc_names *t)
{
	free(t->ent);
	free(t->pool);
	ppc_names_init(t);
}

/* Appends `len` bytes of s and a NUL to the pool; the offset, or 0 when it
 * does not fit (t->full) or memory runs out (*oom). */
static uint32_t pool_add(struct ppc_names *t, const char *s, size_t len, int *oom)
{
	size_t need = t->used + len + 1;
	uint32_t off;

	if (!t->used)
		need++;		/* the NUL at offset 0 */
	if (need > PPF_NAMES_POOL_MAX) {
		t->full = 1;
		return 0;
	}
	if (need > t->pool_cap) {
		size_t cap = t->pool_cap ? t->pool_cap : 4096;
		char *p;

		while (cap < need)
			cap *= 2;
		if (!(p = realloc(t->pool, cap))) {
			*oom = 1;
			return 0;
		}
		t->pool = p;
		t->pool_cap = cap;
	}
	if (!t->used)
		t->pool[t->used++] = '\0';
	off = (uint32_t)t->used;
	memcpy(t->pool + t->used, s, len);
	t->pool[t->used + len] = '\0';
	t->used += len + 1;
	return off;
}

int ppc_names_add(struct ppc_names *t, uint32_t module, uint64_t offset, const char *symbol,
		  const char *demangled, uint32_t nth)
{
	size_t len = strlen(symbol), used = t->used, dlen;
	uint32_t sym, dem = 0;
	int oom = 0;

	if (!len || len > PPF_NAME_MAX || t->n >= PPF_NAMES_MAX) {
		t->full = 1;
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct ppf_name *e = realloc(t->ent, cap * sizeof(*e));

		if (!e)
			return -1;
		t->ent = e;
		t->cap = cap;
	}
	if (!(sym = pool_add(t, symbol, len, &oom)))
		return oom ? -1 : 0;
	if (demangled && strcmp(demangled, symbol) != 0) {
		dlen = strlen(demangled);
		dem = pool_add(t, demangled, dlen < PPF_NAME_MAX ? dlen : PPF_NAME_MAX, &oom);
		if (!dem) {
			t->used = used;	/* all or nothing */
			return oom ? -1 : 0;
		}
	}
	t->ent[t->n++] = (struct ppf_name){ .module = module, .symbol = sym, .demangled = dem,
					     .nth = nth, .offset = offset };
	return 0;
}

/* The parts of the dump with the table: *hdr is the header's copy. */
static unsigned make_parts(const void *buf, uint64_t len, const struct ppc_names *t,
			   struct ppf_header *hdr, struct ppc_part parts[5])
{
	static const char zeros[8];
	uint64_t off = (len + 7) & ~(uint64_t)7;

	memcpy(hdr, buf, sizeof(*hdr));
	parts[0] = (struct ppc_part){ hdr, sizeof(*hdr) };
	parts[1] = (struct ppc_part){ (const char *)buf + sizeof(*hdr), len - sizeof(*hdr) };
	if (!t || !t->n) {
		hdr->names_off = hdr->names_count = hdr->names_bytes = 0;
		return 2;
	}
	hdr->names_off = off;
	hdr->names_count = t->n;
	hdr->names_bytes = t->n * sizeof(struct ppf_name) + t->used;
	hdr->used_size = off + hdr->names_bytes;
	parts[2] = (struct ppc_part){ zeros, off - len };
	parts[3] = (struct ppc_part){ t->ent, t->n * sizeof(struct ppf_name) };
	parts[4] = (struct ppc_part){ t->pool, t->used };
	return 5;
}

int ppc_names_write(int dirfd, const char *stem, const void *buf, uint64_t len,
		    const struct ppc_names *t, char *name, size_t namelen)
{
	struct ppf_header hdr;
	struct ppc_part parts[5];
	unsigned n;

	if (len < sizeof(hdr)) {
		errno = EINVAL;
		return -1;
	}
	n = make_parts(buf, len, t, &hdr, parts);
	return ppc_dump_writev(dirfd, stem, parts, n, name, namelen);
}

int ppc_names_write_file(const char *path, const void *buf, uint64_t len,
			 const struct ppc_names *t)
{
	struct ppf_header hdr;
	struct ppc_part parts[5];
	unsigned n;
	int fd, err;

	if (len < sizeof(hdr)) {
		errno = EINVAL;
		return -1;
	}
	n = make_parts(buf, len, t, &hdr, parts);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (ppc_write_all(fd, parts[i].buf, parts[i].len) < 0)
			goto fail;
	if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	unlink(path);
	errno = err;
	return -1;
}

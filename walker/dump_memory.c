// Process memory: MemoryList and Memory64List merged into one sorted,
// non-overlapping range table, and reads through it.
//
// Layouts (minidumpapiset.h): MINIDUMP_MEMORY_LIST is a u32 count and
// MINIDUMP_MEMORY_DESCRIPTORs {u64 StartOfMemoryRange; u32 DataSize; u32 Rva};
// MINIDUMP_MEMORY64_LIST is a u64 count, a u64 BaseRva and
// MINIDUMP_MEMORY_DESCRIPTOR64s {u64 StartOfMemoryRange; u64 DataSize} whose
// bytes lie back to back from BaseRva.
#include "walker/dump_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/limits.h"

#define MD_MEMORY_DESCRIPTOR_SIZE 16   // MINIDUMP_MEMORY_DESCRIPTOR
#define MD_MEMORY_DESCRIPTOR64_SIZE 16 // MINIDUMP_MEMORY_DESCRIPTOR64
#define MD_MEMORY64_LIST_HEADER 16     // NumberOfMemoryRanges (u64) + BaseRva (u64)

dw_err
dw_dump__list_count(dw_dump *d, const dw_md_stream *s, dw_cur *c, size_t elem, uint64_t cap,
                    const char *what, uint32_t *out)
{
	*out       = 0;
	uint32_t n = dw_cur_u32le(c);
	if (c->err != DW_OK)
		return dw_fail(&d->notes, DW_ETRUNC,
		               "%s at offset 0x%x: %u bytes, too short for its entry count", what,
		               s->rva, s->size);
	if (n > cap)
		return dw_fail(&d->notes, DW_ELIMIT,
		               "%s at offset 0x%x: %u entries, more than the limit of %llu; stream "
		               "ignored",
		               what, s->rva, n, (unsigned long long)cap);
	// Folklore: padded lists. Writers that align entries to 8 bytes (lldb's
	// test files thread-list-padded.dmp and friends, some old dbghelp
	// builds) write 4 zero bytes after the count. The only trustworthy
	// evidence is the size: 8 + n*elem means padded, anything else is read
	// unpadded.
	if ((uint64_t)s->size == 8 + (uint64_t)n * elem)
		dw_cur_skip(c, 4);
	if (dw_cur_count(c, n, elem, cap) != DW_OK) {
		uint32_t fit = (uint32_t)(dw_cur_left(c) / elem);
		dw_fail(&d->notes, DW_ETRUNC,
		        "%s at offset 0x%x: declares %u entries of %zu bytes but its %u bytes hold "
		        "only %u; reading those",
		        what, s->rva, n, elem, s->size, fit);
		*out = fit;
		return DW_ETRUNC;
	}
	*out = n;
	return DW_OK;
}

// Folklore: nearly sorted lists. Wine's dbghelp writes thousands of tiny
// ranges (4-byte pointer targets) in address order but for a handful of
// stacks and module headers: null_write.dmp from tests/corpus has 4645
// ranges in 7 ascending runs, and glibc's qsort took 2/3 of the whole open.
// A natural merge sort merges the runs the input already has: one pass over
// sorted input, log2(runs) passes in general, n log n at worst. It is stable,
// which the overlap rule below relies on (equal starts keep file order).
static dw_err
sort_ranges(dw_md_memory_range *p, size_t n)
{
	size_t runs = 1;
	for (size_t i = 1; i < n; i++)
		runs += p[i - 1].start > p[i].start;
	if (n < 2 || runs == 1)
		return DW_OK;
	dw_md_memory_range *tmp   = malloc(n * sizeof(*tmp));
	size_t             *edges = malloc((runs + 1) * sizeof(*edges)); // run i: [edges[i], edges[i+1])
	if (tmp == NULL || edges == NULL) {
		free(tmp);
		free(edges);
		return DW_ENOMEM;
	}
	size_t k   = 0;
	edges[k++] = 0;
	for (size_t i = 1; i < n; i++)
		if (p[i - 1].start > p[i].start)
			edges[k++] = i;
	edges[k] = n;

	dw_md_memory_range *src = p, *dst = tmp;
	while (runs > 1) {
		size_t merged = 0;
		for (size_t r = 0; r < runs; r += 2) {
			size_t lo = edges[r], mid = edges[r + 1];
			size_t hi = r + 2 <= runs ? edges[r + 2] : mid;
			size_t a = lo, b = mid, o = lo;
			while (a < mid && b < hi)
				dst[o++] = src[a].start <= src[b].start ? src[a++] : src[b++];
			memcpy(dst + o, src + a, (mid - a) * sizeof(*dst));
			o += mid - a;
			memcpy(dst + o, src + b, (hi - b) * sizeof(*dst));
			edges[merged++] = lo;
		}
		edges[merged] = n;
		runs          = merged;
		dw_md_memory_range *t = src;
		src                   = dst;
		dst                   = t;
	}
	if (src != p)
		memcpy(p, src, n * sizeof(*p));
	free(tmp);
	free(edges);
	return DW_OK;
}

// add_range checks one descriptor's bytes against the file, clips what lies
// past its end or past the top of the address space, and appends it.
static inline void
add_range(dw_dump *d, dw_md_memory_range *p, size_t *n, const char *what, size_t i,
          uint64_t start, uint64_t size, uint64_t file_off)
{
	uint64_t avail = file_off >= d->file.len ? 0 : d->file.len - file_off;
	if (size > avail) {
		dw_fail(&d->notes, DW_ETRUNC,
		        "%s range %zu (0x%llx, %llu bytes at offset 0x%llx) extends past end of file; "
		        "keeping %llu bytes",
		        what, i, (unsigned long long)start, (unsigned long long)size,
		        (unsigned long long)file_off, (unsigned long long)avail);
		size = avail;
	}
	if (size > UINT64_MAX - start) {
		dw_fail(&d->notes, DW_ECORRUPT,
		        "%s range %zu at 0x%llx with %llu bytes wraps past the top of the address "
		        "space; clipped",
		        what, i, (unsigned long long)start, (unsigned long long)size);
		size = UINT64_MAX - start;
	}
	if (size == 0)
		return;
	p[*n] = (dw_md_memory_range){start, size, file_off};
	(*n)++;
}

dw_err
dw_dump__parse_memory(dw_dump *d)
{
	dw_cur              ml, m64;
	const dw_md_stream *s   = dw_dump__stream(d, DW_MD_STREAM_MEMORY_LIST, &ml);
	const dw_md_stream *s64 = dw_dump__stream(d, DW_MD_STREAM_MEMORY64_LIST, &m64);
	uint32_t            n32 = 0;
	uint64_t            n64 = 0, base64 = 0;
	dw_err              rv;

	if (s != NULL) {
		rv = dw_dump__list_count(d, s, &ml, MD_MEMORY_DESCRIPTOR_SIZE, DW_MAX_MEMORY_RANGES,
		                         "MemoryListStream", &n32);
		if (rv != DW_OK)
			dw_dump__mark(d, s, DW_MD_STREAM_MALFORMED);
	}
	if (s64 != NULL) {
		n64    = dw_cur_u64le(&m64);
		base64 = dw_cur_u64le(&m64);
		if (m64.err != DW_OK) {
			dw_fail(&d->notes, DW_ETRUNC,
			        "Memory64ListStream at offset 0x%x: %u bytes, shorter than its %d-byte "
			        "header; stream ignored",
			        s64->rva, s64->size, MD_MEMORY64_LIST_HEADER);
			dw_dump__mark(d, s64, DW_MD_STREAM_MALFORMED);
			n64 = 0;
		} else if ((rv = dw_cur_count(&m64, n64, MD_MEMORY_DESCRIPTOR64_SIZE,
		                              DW_MAX_MEMORY_RANGES)) != DW_OK) {
			if (rv == DW_ELIMIT) {
				dw_fail(&d->notes, DW_ELIMIT,
				        "Memory64ListStream at offset 0x%x: %llu ranges, more than the limit "
				        "of %u; stream ignored",
				        s64->rva, (unsigned long long)n64, (unsigned)DW_MAX_MEMORY_RANGES);
				n64 = 0;
			} else {
				uint64_t fit = dw_cur_left(&m64) / MD_MEMORY_DESCRIPTOR64_SIZE;
				dw_fail(&d->notes, DW_ETRUNC,
				        "Memory64ListStream at offset 0x%x: declares %llu ranges but its %u "
				        "bytes hold only %llu; reading those",
				        s64->rva, (unsigned long long)n64, s64->size, (unsigned long long)fit);
				n64 = fit;
			}
			dw_dump__mark(d, s64, DW_MD_STREAM_MALFORMED);
		}
	}
	if (n32 == 0 && n64 == 0)
		return DW_OK;

	dw_md_memory_range *p = malloc(((size_t)n32 + (size_t)n64) * sizeof(*p));
	if (p == NULL)
		return DW_ENOMEM;
	// The counts were checked against the streams' sizes: the descriptors
	// are read straight from the bytes (thousands of them in a Wine dump).
	const uint8_t *q32 = n32 != 0 ? dw_cur_bytes(&ml, (size_t)n32 * MD_MEMORY_DESCRIPTOR_SIZE) : NULL;
	const uint8_t *q64 =
	    n64 != 0 ? dw_cur_bytes(&m64, (size_t)n64 * MD_MEMORY_DESCRIPTOR64_SIZE) : NULL;
	if (q32 == NULL)
		n32 = 0;
	if (q64 == NULL)
		n64 = 0;
	size_t n = 0;
	for (uint32_t i = 0; i < n32; i++, q32 += MD_MEMORY_DESCRIPTOR_SIZE)
		add_range(d, p, &n, "MemoryListStream", i, dw_get_u64le(q32), dw_get_u32le(q32 + 8),
		          dw_get_u32le(q32 + 12));
	// Memory64 data is contiguous from BaseRva; the offsets are running sums
	// that a hostile file can overflow, so stop at the first one that does.
	uint64_t off = base64;
	for (uint64_t i = 0; i < n64; i++, q64 += MD_MEMORY_DESCRIPTOR64_SIZE) {
		uint64_t start = dw_get_u64le(q64);
		uint64_t size  = dw_get_u64le(q64 + 8);
		if (off > d->file.len) {
			dw_fail(&d->notes, DW_ETRUNC,
			        "Memory64ListStream: range %llu and later (of %llu) start past end of "
			        "file at offset 0x%llx; dropped",
			        (unsigned long long)i, (unsigned long long)n64, (unsigned long long)off);
			dw_dump__mark(d, s64, DW_MD_STREAM_MALFORMED);
			break;
		}
		add_range(d, p, &n, "Memory64ListStream", (size_t)i, start, size, off);
		off = size > UINT64_MAX - off ? UINT64_MAX : off + size;
	}

	if (sort_ranges(p, n) != DW_OK) {
		free(p);
		return DW_ENOMEM;
	}
	// Folklore: overlapping ranges. Dumps that carry both lists, or writers
	// that add a thread's stack twice, give ranges that overlap (lldb's
	// regions-memlist.dmp tests exactly this). Memory has one value per
	// address, so the earlier range (by start, then file order) keeps the
	// shared bytes and the later one is trimmed to what it adds. Compacted in
	// place (m <= i), then copied to the arena once.
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		dw_md_memory_range r = p[i];
		if (m > 0) {
			const dw_md_memory_range *prev = &p[m - 1];
			uint64_t                  pend = prev->start + prev->size;
			if (r.start < pend) {
				uint64_t end = r.start + r.size;
				dw_fail(&d->notes, DW_ECORRUPT,
				        "memory range 0x%llx-0x%llx overlaps range 0x%llx-0x%llx; the "
				        "overlapping bytes of the later one are ignored",
				        (unsigned long long)r.start, (unsigned long long)end,
				        (unsigned long long)prev->start, (unsigned long long)pend);
				if (end <= pend)
					continue;
				r.file_off += pend - r.start;
				r.size = end - pend;
				r.start = pend;
			}
		}
		p[m++] = r;
	}
	d->memory = m != 0 ? dw_arena_memdup(&d->arena, p, m, sizeof(*d->memory))
	                   : dw_arena_alloc(&d->arena, sizeof(*d->memory));
	free(p);
	if (d->memory == NULL)
		return DW_ENOMEM;
	d->memory_count = m;
	return DW_OK;
}

// find_range returns the index of the range holding addr, or SIZE_MAX.
static size_t
find_range(const dw_dump *d, uint64_t addr)
{
	size_t lo = 0, hi = d->memory_count;
	while (lo < hi) { // first range with start > addr
		size_t mid = lo + (hi - lo) / 2;
		if (d->memory[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return SIZE_MAX;
	const dw_md_memory_range *r = &d->memory[lo - 1];
	return addr - r->start < r->size ? lo - 1 : SIZE_MAX;
}

const uint8_t *
dw_dump_memory_at(const dw_dump *d, uint64_t addr, size_t *avail)
{
	*avail   = 0;
	size_t i = find_range(d, addr);
	if (i == SIZE_MAX)
		return NULL;
	const dw_md_memory_range *r = &d->memory[i];
	uint64_t                  k = addr - r->start, left = r->size - k;
	if (left > SIZE_MAX)
		left = SIZE_MAX;
	dw_cur w;
	if (dw_cur_window(&w, &d->file, r->file_off + k, left) != DW_OK)
		return NULL; // ranges were clipped to the file at parse time
	*avail = (size_t)left;
	return w.base;
}

const uint8_t *
dw_dump_memory_before(const dw_dump *d, uint64_t end, size_t *avail)
{
	*avail = 0;
	if (end == 0)
		return NULL;
	size_t i = find_range(d, end - 1);
	if (i == SIZE_MAX)
		return NULL;
	const dw_md_memory_range *r = &d->memory[i];
	uint64_t                  k = end - r->start; // 1 .. r->size
	if (k > SIZE_MAX)
		return NULL;
	dw_cur w;
	if (dw_cur_window(&w, &d->file, r->file_off, k) != DW_OK)
		return NULL; // ranges were clipped to the file at parse time
	*avail = (size_t)k;
	return w.base + k;
}

dw_err
dw_dump_read(const dw_dump *d, uint64_t addr, void *buf, size_t len, size_t *got)
{
	uint8_t *out  = buf;
	size_t   done = 0;
	if (got != NULL)
		*got = 0;
	while (done < len) {
		if (addr + done < addr) // wrapped past the top of the address space
			break;
		size_t         avail;
		const uint8_t *p = dw_dump_memory_at(d, addr + done, &avail);
		if (p == NULL)
			break;
		size_t take = avail < len - done ? avail : len - done;
		memcpy(out + done, p, take);
		done += take;
	}
	if (got != NULL)
		*got = done;
	return done == len ? DW_OK : DW_ENOTFOUND;
}

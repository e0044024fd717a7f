// symbols/msf.c - MSF 7.00 container: superblock, stream directory, streams.
#include "symbols/msf.h"

#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/limits.h"

// "Microsoft C/C++ MSF 7.00\r\n" 0x1A "DS" and three NULs (LLVM msf::Magic).
static const uint8_t msf_magic[DW_MSF_MAGIC_SIZE] = {
    'M', 'i', 'c', 'r', 'o', 's', 'o', 'f', 't', ' ', 'C', '/', 'C', '+', '+', ' ',
    'M', 'S', 'F', ' ', '7', '.', '0', '0', '\r', '\n', 0x1a, 'D', 'S', 0, 0, 0};

// The old format ("Microsoft C/C++ program database 2.00\r\n") starts so.
static const char msf_old_magic[] = "Microsoft C/C++ program database 2.00";

typedef struct msf_stream {
	uint32_t        size;    // DW_MSF_NIL_SIZE for nil
	uint32_t        nblocks; // blocks listed for it in the directory
	const uint8_t  *blocks;  // nblocks little-endian u32 block numbers (in the directory copy)
	const uint8_t  *flat;    // whole stream, once resolved (mapping or arena copy)
	bool            bad;     // rejected by the directory check
} msf_stream;

struct dw_msf {
	const uint8_t *data;
	size_t         len;
	dw_notes      *notes; // borrowed
	dw_arena       arena;
	uint32_t       block_size;
	uint32_t       nblocks;      // usable blocks: min(superblock count, file blocks)
	uint32_t       nstreams;
	msf_stream    *streams;      // arena
};

uint32_t
dw_msf_block_size(const dw_msf *m)
{
	return m->block_size;
}

uint32_t
dw_msf_stream_count(const dw_msf *m)
{
	return m->nstreams;
}

uint32_t
dw_msf_stream_size(const dw_msf *m, uint32_t index)
{
	return index < m->nstreams ? m->streams[index].size : 0;
}

bool
dw_msf_stream_ok(const dw_msf *m, uint32_t index)
{
	return index < m->nstreams && m->streams[index].size != DW_MSF_NIL_SIZE &&
	       !m->streams[index].bad;
}

static bool
block_size_ok(uint32_t bs)
{
	// LLVM accepts 512..4096; Microsoft's linker uses 8192 and up for PDBs
	// past 4 GiB (/PDBPAGESIZE). Any power of two in [512, 32768].
	return bs >= 512 && bs <= 32768 && (bs & (bs - 1)) == 0;
}

static uint32_t
blocks_for(uint32_t size, uint32_t bs)
{
	return (uint32_t)(((uint64_t)size + bs - 1) / bs);
}

// Claims one block for `what`; false (with a note) when the block is out of
// range or already taken. `owner` records who took each block, +1 (0 = free);
// owner 1 is the superblock, 2 the block map / directory, s+3 stream s.
static bool
claim(dw_msf *m, uint32_t *owner, uint32_t block, uint32_t who, const char *what,
      uint32_t index)
{
	if (block >= m->nblocks) {
		dw_fail(m->notes, DW_ECORRUPT,
		        "MSF %s %u: block %u is past the end of the file (%u blocks)", what, index,
		        block, m->nblocks);
		return false;
	}
	if (owner[block] != 0 && owner[block] != who) {
		uint32_t o = owner[block];
		dw_fail(m->notes, DW_ECORRUPT, "MSF %s %u: block %u already belongs to %s%u", what,
		        index, block, o == 1 ? "the superblock" : o == 2 ? "the directory" : "stream ",
		        o >= 3 ? o - 3 : 0);
		return false;
	}
	if (owner[block] == who) {
		dw_fail(m->notes, DW_ECORRUPT, "MSF %s %u: block %u is listed twice", what, index,
		        block);
		return false;
	}
	owner[block] = who;
	return true;
}

// Copies `size` bytes spread over the blocks listed at `list` into `dst`. The
// block numbers were validated by the caller.
static void
gather(const dw_msf *m, uint8_t *dst, const uint8_t *list, uint32_t size)
{
	uint32_t bs = m->block_size;
	for (uint32_t i = 0, done = 0; done < size; i++) {
		uint32_t b = dw_get_u32le(list + 4 * (size_t)i);
		uint32_t n = size - done < bs ? size - done : bs;
		memcpy(dst + done, m->data + (size_t)b * bs, n);
		done += n;
	}
}

static dw_err
read_directory(dw_msf *m, uint32_t dir_bytes, uint32_t map_addr, uint32_t *owner)
{
	uint32_t bs    = m->block_size;
	uint32_t ndirb = blocks_for(dir_bytes, bs);
	if (dir_bytes < 4 || ndirb > m->nblocks)
		return dw_fail(m->notes, DW_ECORRUPT,
		               "MSF superblock: directory size %u does not fit %u blocks", dir_bytes,
		               m->nblocks);
	// The block map: ndirb u32 block numbers starting at block map_addr. LLVM
	// reads it as one contiguous run, which is what writers produce even when
	// it exceeds one block; we do the same, each of its blocks checked.
	uint64_t map_bytes = (uint64_t)ndirb * 4;
	uint32_t map_blocks = blocks_for((uint32_t)map_bytes, bs);
	for (uint32_t i = 0; i < map_blocks; i++) {
		if (map_addr > UINT32_MAX - i ||
		    !claim(m, owner, map_addr + i, 2, "block map block", i))
			return DW_ECORRUPT;
	}
	const uint8_t *map = m->data + (size_t)map_addr * bs;
	for (uint32_t i = 0; i < ndirb; i++) {
		if (!claim(m, owner, dw_get_u32le(map + 4 * (size_t)i), 2, "directory block", i))
			return DW_ECORRUPT;
	}
	uint8_t *dir = dw_arena_alloc(&m->arena, dir_bytes);
	if (dir == NULL)
		return dw_fail(m->notes, DW_ENOMEM, "MSF directory: %u bytes", dir_bytes);
	gather(m, dir, map, dir_bytes);

	dw_cur   c;
	dw_err   rv;
	dw_cur_init(&c, dir, dir_bytes);
	uint32_t n = dw_cur_u32le(&c);
	if ((rv = dw_cur_count(&c, n, 4, DW_MAX_MSF_STREAMS)) != DW_OK)
		return dw_fail(m->notes, rv, "MSF directory: %u streams (%u directory bytes)", n,
		               dir_bytes);
	m->nstreams = n;
	m->streams  = dw_arena_array(&m->arena, n ? n : 1, sizeof(*m->streams));
	if (m->streams == NULL)
		return dw_fail(m->notes, DW_ENOMEM, "MSF directory: %u streams", n);
	for (uint32_t i = 0; i < n; i++)
		m->streams[i].size = dw_cur_u32le(&c);
	for (uint32_t i = 0; i < n; i++) {
		msf_stream *s = &m->streams[i];
		if (s->size == DW_MSF_NIL_SIZE)
			continue;
		s->nblocks = blocks_for(s->size, bs);
		if (s->nblocks > m->nblocks) {
			// Not even the block list is plausible; the rest of the
			// directory cannot be located, so stop here.
			return dw_fail(m->notes, DW_ECORRUPT,
			               "MSF directory: stream %u size %u needs %u blocks, file has %u", i,
			               s->size, s->nblocks, m->nblocks);
		}
		s->blocks = dw_cur_bytes(&c, (size_t)s->nblocks * 4);
		if (s->blocks == NULL)
			return dw_fail(m->notes, DW_ETRUNC,
			               "MSF directory: block list of stream %u (%u blocks) ends past "
			               "the directory (%u bytes)",
			               i, s->nblocks, dir_bytes);
		for (uint32_t k = 0; k < s->nblocks; k++) {
			if (!claim(m, owner, dw_get_u32le(s->blocks + 4 * (size_t)k), i + 3, "stream",
			           i)) {
				s->bad = true;
				break;
			}
		}
	}
	return DW_OK;
}

dw_err
dw_msf_open(dw_msf **out, const uint8_t *data, size_t len, dw_notes *notes)
{
	*out = NULL;
	dw_msf *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return dw_fail(notes, DW_ENOMEM, "MSF: out of memory");
	m->data  = data;
	m->len   = len;
	m->notes = notes;
	dw_arena_init(&m->arena, 0);

	dw_err   rv;
	uint32_t *owner = NULL;
	dw_cur   c;
	dw_cur_init(&c, data, len);
	const uint8_t *magic = dw_cur_bytes(&c, DW_MSF_MAGIC_SIZE);
	if (magic == NULL) {
		rv = dw_fail(notes, DW_ETRUNC, "MSF: file of %zu bytes is shorter than the magic", len);
		goto out;
	}
	if (memcmp(magic, msf_magic, sizeof(msf_magic)) != 0) {
		// The PDB 2.00 signature (37 bytes) is longer than the 32 read so
		// far: take it through its own window, or a 33-byte file starting
		// "Microsof" is compared past its end (fuzz_pdb found this).
		dw_cur whole, old;
		dw_cur_init(&whole, data, len);
		if (dw_cur_window(&old, &whole, 0, sizeof(msf_old_magic) - 1) == DW_OK &&
		    memcmp(old.base, msf_old_magic, sizeof(msf_old_magic) - 1) == 0)
			rv = dw_fail(notes, DW_EUNSUPPORTED, "MSF: old PDB 2.00 format is not supported");
		else
			rv = dw_fail(notes, DW_ECORRUPT, "MSF: bad magic (not an MSF 7.00 file)");
		goto out;
	}
	uint32_t bs       = dw_cur_u32le(&c);
	uint32_t fpm      = dw_cur_u32le(&c);
	uint32_t nblocks  = dw_cur_u32le(&c);
	uint32_t dir_size = dw_cur_u32le(&c);
	(void)dw_cur_u32le(&c); // unknown, always 0
	uint32_t map_addr = dw_cur_u32le(&c);
	if (c.err != DW_OK) {
		rv = dw_fail(notes, DW_ETRUNC, "MSF: superblock truncated (%zu bytes)", len);
		goto out;
	}
	if (!block_size_ok(bs)) {
		rv = dw_fail(notes, DW_ECORRUPT, "MSF superblock: bad block size %u", bs);
		goto out;
	}
	if (fpm != 1 && fpm != 2)
		dw_remark(notes, "MSF superblock: free block map at block %u (expected 1 or 2)", fpm);
	m->block_size = bs;
	uint64_t file_blocks = len / bs;
	if (nblocks > file_blocks) {
		// Truncated download or copy. Streams inside the part we have still
		// read fine; blocks past it are rejected one by one.
		dw_fail(notes, DW_ETRUNC,
		        "MSF superblock: %u blocks of %u bytes but the file holds only %llu", nblocks,
		        bs, (unsigned long long)file_blocks);
		nblocks = (uint32_t)file_blocks;
	}
	m->nblocks = nblocks;
	if (nblocks < 3) {
		rv = dw_fail(notes, DW_ECORRUPT, "MSF superblock: only %u blocks", nblocks);
		goto out;
	}
	owner = calloc(nblocks, sizeof(*owner));
	if (owner == NULL) {
		rv = dw_fail(notes, DW_ENOMEM, "MSF: block owner map for %u blocks", nblocks);
		goto out;
	}
	// Block 0 is the superblock. The free-block maps (blocks 1 and 2, then
	// every block_size blocks) are never claimed by a valid stream either, but
	// we only read, so they are left unchecked: a block listed there and in a
	// stream is harmless to us.
	owner[0] = 1;
	rv       = read_directory(m, dir_size, map_addr, owner);

out:
	free(owner);
	if (rv != DW_OK) {
		dw_msf_free(m);
		return rv;
	}
	*out = m;
	return DW_OK;
}

void
dw_msf_free(dw_msf *m)
{
	if (m == NULL)
		return;
	dw_arena_fini(&m->arena);
	free(m);
}

dw_err
dw_msf_stream(dw_cur *out, dw_msf *m, uint32_t index)
{
	dw_cur_init(out, NULL, 0);
	if (index >= m->nstreams || m->streams[index].size == DW_MSF_NIL_SIZE)
		return out->err = DW_ENOTFOUND;
	msf_stream *s = &m->streams[index];
	if (s->bad)
		return out->err = DW_ECORRUPT;
	if (s->size == 0) {
		static const uint8_t empty[1];
		dw_cur_init(out, empty, 0);
		return DW_OK;
	}
	if (s->flat == NULL) {
		uint32_t first = dw_get_u32le(s->blocks);
		bool     run   = true;
		for (uint32_t k = 1; k < s->nblocks && run; k++)
			run = (uint64_t)dw_get_u32le(s->blocks + 4 * (size_t)k) == (uint64_t)first + k;
		if (run) {
			s->flat = m->data + (size_t)first * m->block_size;
		} else {
			uint8_t *copy = dw_arena_alloc(&m->arena, s->size);
			if (copy == NULL)
				return out->err = dw_fail(m->notes, DW_ENOMEM, "MSF stream %u: copy of %u bytes",
				                          index, s->size);
			gather(m, copy, s->blocks, s->size);
			s->flat = copy;
		}
	}
	dw_cur_init(out, s->flat, s->size);
	return DW_OK;
}

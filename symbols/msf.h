// symbols/msf.h - the MSF 7.00 ("big MSF") multi-stream container under every PDB.
//
// Format reference: LLVM's "The MSF File Format" (llvm.org/docs/PDB/MsfFile.html)
// and microsoft-pdb's msf.cpp; confident, every PDB in the corpus follows it.
//
//   block 0     superblock: magic, block size, free-block-map block, block
//               count, directory byte count, block-map address
//   block map   the directory's block numbers (u32 each), at block-map address
//   directory   u32 stream count, u32 size of each stream (0xFFFFFFFF = nil),
//               then each stream's block numbers in order
//
// The free-block maps are ignored: readers never need them. Every block number
// is checked against the block count and the file length before use, and a
// block claimed twice (by two streams, by the directory, or by the superblock)
// makes the later claimant unreadable, with a note.
//
// Reading a stream: dw_msf_stream gives one flat dw_cur over the whole stream.
// When the stream's blocks lie consecutively in the file (most small streams,
// and most large ones in freshly linked PDBs) the cursor points straight into
// the mapping; otherwise the blocks are copied once into the MSF's arena and
// the copy is kept for later calls. We copy rather than offer a block-aware
// cursor because every layer above (DBI substreams, CodeView records, C13
// subsections) has records that straddle block boundaries at arbitrary
// offsets, and a flat window lets them all use plain dw_cur reads; the price
// is one memcpy per fragmented stream, read only when a layer asks for it.
//
// Not thread-safe: the copies are made lazily. Use one dw_msf from one thread
// at a time (the PDB is read once, to compile a symbol table).
#ifndef DW_SYMBOLS_MSF_H
#define DW_SYMBOLS_MSF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cur.h"
#include "common/err.h"

typedef struct dw_msf dw_msf;

// Superblock size (LLVM msf::SuperBlock): 32-byte magic and six u32 fields.
#define DW_MSF_SUPERBLOCK_SIZE 56
#define DW_MSF_MAGIC_SIZE 32
// Size recorded for a stream that does not exist (microsoft-pdb cbNil).
#define DW_MSF_NIL_SIZE 0xFFFFFFFFu

// dw_msf_open reads the superblock and stream directory of the MSF file in
// [data, data+len). The bytes are borrowed and must outlive the MSF. `notes`
// is borrowed too: problems found now and later (while reading streams) are
// appended to it, so it must outlive the MSF as well. Fails with DW_ETRUNC,
// DW_ECORRUPT, DW_EUNSUPPORTED (not MSF 7.00, e.g. the old 2.00 format) or
// DW_ELIMIT when the superblock or directory is unusable, and DW_ENOMEM; then
// *out is NULL. A bad individual stream does not fail the open.
dw_err dw_msf_open(dw_msf **out, const uint8_t *data, size_t len, dw_notes *notes);

// dw_msf_free releases the MSF and every stream copy it handed out.
void dw_msf_free(dw_msf *m);

// dw_msf_block_size returns the block size (512, 1024, 2048, 4096, 8192,
// 16384 or 32768).
uint32_t dw_msf_block_size(const dw_msf *m);

// dw_msf_stream_count returns the number of streams in the directory.
uint32_t dw_msf_stream_count(const dw_msf *m);

// dw_msf_stream_size returns the stream's size in bytes, DW_MSF_NIL_SIZE for a
// nil stream, and 0 for an index past the directory.
uint32_t dw_msf_stream_size(const dw_msf *m, uint32_t index);

// dw_msf_stream_ok reports whether stream `index` exists and is readable.
bool dw_msf_stream_ok(const dw_msf *m, uint32_t index);

// dw_msf_stream sets *out to a cursor over the whole of stream `index`. The
// bytes are borrowed and live until dw_msf_free. DW_ENOTFOUND for an index
// past the directory or a nil stream (not noted: callers decide whether that
// is a problem); DW_ECORRUPT for a stream the directory check rejected (noted
// once, at open); DW_ENOMEM when the copy cannot be made. On failure *out is
// an empty cursor carrying the error.
dw_err dw_msf_stream(dw_cur *out, dw_msf *m, uint32_t index);

#endif

// symbols/pe_resource.c - the version resource: the resource directory walked
// to RT_VERSION, then VS_VERSIONINFO's VS_FIXEDFILEINFO and StringFileInfo.
//
// Layouts: pecoff "The .rsrc Section" (directory tables, entries, data
// entries; offsets relative to the resource section, data entries holding
// RVAs) and the Win32 "VS_VERSIONINFO", "StringFileInfo", "StringTable",
// "String" and "VS_FIXEDFILEINFO" reference pages. Every version block has the
// same head: wLength, wValueLength, wType, a NUL-terminated UTF-16 key, padding
// to 32 bits, the value, padding, then child blocks up to wLength.
#include <string.h>

#include "common/limits.h"
#include "common/text.h"
#include "symbols/pe_int.h"

#define RT_VERSION          16
#define VS_FFI_SIGNATURE    0xfeef04bdu
#define RES_HIGH_BIT        0x80000000u

// Finds, in the resource directory at `dir_off` (relative to the resource
// section), the entry with integer id `id`, or the first entry when id < 0.
// *out_off receives its OffsetToData. Notes and returns DW_ENOTFOUND on a miss.
static dw_err
res_find(dw_pe *pe, const dw_cur *rsrc, uint32_t dir_off, long id, uint32_t *out_off)
{
	dw_cur c;
	if (dw_cur_tail(&c, rsrc, dir_off) != DW_OK || dw_cur_skip(&c, 12) != DW_OK)
		return dw_fail(&pe->notes, DW_ETRUNC, "PE resources: directory at +0x%x outside the "
		               "%zu-byte resource data", dir_off, rsrc->len);
	uint32_t n = (uint32_t)dw_cur_u16le(&c) + dw_cur_u16le(&c);
	dw_err   rv;
	if ((rv = dw_cur_count(&c, n, DW_PE_RES_ENTRY_SIZE, DW_MAX_PE_RESOURCE_ENTRIES)) != DW_OK)
		return dw_fail(&pe->notes, rv, "PE resources: directory at +0x%x declares %u entries, "
		               "%zu bytes left", dir_off, n, dw_cur_left(&c));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t name = dw_cur_u32le(&c);
		uint32_t data = dw_cur_u32le(&c);
		if (id < 0 || (!(name & RES_HIGH_BIT) && name == (uint32_t)id)) {
			*out_off = data;
			return DW_OK;
		}
	}
	return DW_ENOTFOUND;
}

// One version block's head.
typedef struct vblock {
	size_t         start, end;        // block bounds in the version data
	const uint8_t *key;               // UTF-16 key and its length in bytes
	size_t         key_bytes;
	size_t         value, value_end;  // value bounds
	size_t         children;          // first child
	uint16_t       value_len, type;
} vblock;

static size_t
align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

static dw_err
vblock_read(vblock *b, const dw_cur *data, size_t off, size_t limit)
{
	dw_cur c;
	if (dw_cur_window(&c, data, off, limit > off ? limit - off : 0) != DW_OK)
		return DW_ETRUNC;
	uint16_t len = dw_cur_u16le(&c);
	b->value_len = dw_cur_u16le(&c);
	b->type      = dw_cur_u16le(&c);
	if (c.err != DW_OK || len < 6 || len > limit - off)
		return DW_ECORRUPT;
	b->start     = off;
	b->end       = off + len;
	b->key       = c.base + c.off;
	b->key_bytes = 0;
	for (;;) {
		uint16_t u = dw_cur_u16le(&c);
		if (c.err != DW_OK || c.off > len)
			return DW_ECORRUPT;
		if (u == 0)
			break;
		b->key_bytes += 2;
	}
	b->value = align4(off + c.off);
	if (b->value > b->end)
		b->value = b->end;
	// Text values count UTF-16 units, binary ones bytes.
	size_t vbytes = b->type == 1 ? (size_t)b->value_len * 2 : b->value_len;
	b->value_end  = b->value + vbytes > b->end ? b->end : b->value + vbytes;
	b->children   = align4(b->value_end);
	if (b->children > b->end)
		b->children = b->end;
	return DW_OK;
}

// Compares a block's UTF-16 key with an ASCII string.
static bool
vblock_key_is(const vblock *b, const char *ascii)
{
	size_t n = strlen(ascii);
	if (b->key_bytes != n * 2)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (dw_get_u16le(b->key + 2 * i) != (uint8_t)ascii[i])
			return false;
	}
	return true;
}

static dw_err
read_strings(dw_pe *pe, dw_pe_version *v, const dw_cur *data, const vblock *table)
{
	dw_pe_version_string *out =
	    dw_arena_array(&pe->arena, DW_MAX_PE_VERSION_STRINGS, sizeof(*out));
	if (out == NULL)
		return DW_ENOMEM;
	char  *lang = NULL;
	dw_err rv   = dw_utf16le_to_utf8(&lang, &pe->arena, table->key, table->key_bytes);
	if (rv != DW_OK)
		return rv;
	v->lang  = lang;
	size_t n = 0;
	for (size_t off = table->children; off + 6 <= table->end; ) {
		vblock s;
		if (vblock_read(&s, data, off, table->end) != DW_OK) {
			dw_fail(&pe->notes, DW_ECORRUPT, "PE version: String block at +0x%zx malformed", off);
			break;
		}
		if (n == DW_MAX_PE_VERSION_STRINGS) {
			dw_fail(&pe->notes, DW_ELIMIT, "PE version: more than %u strings",
			        DW_MAX_PE_VERSION_STRINGS);
			break;
		}
		char *key = NULL, *val = NULL;
		if ((rv = dw_utf16le_to_utf8(&key, &pe->arena, s.key, s.key_bytes)) != DW_OK ||
		    (rv = dw_utf16le_to_utf8(&val, &pe->arena, data->base + s.value,
		                             s.type == 1 ? s.end - s.value : s.value_end - s.value)) !=
		        DW_OK)
			return rv;
		out[n].key   = key;
		out[n].value = val;
		n++;
		off = align4(s.end);
	}
	v->strings  = out;
	v->nstrings = n;
	return DW_OK;
}

static dw_err
parse_version(dw_pe *pe, const dw_cur *data, uint32_t rva)
{
	vblock root;
	if (vblock_read(&root, data, 0, data->len) != DW_OK || !vblock_key_is(&root, "VS_VERSION_INFO"))
		return dw_fail(&pe->notes, DW_ECORRUPT, "PE version: no VS_VERSION_INFO block at RVA 0x%x",
		               rva);
	dw_pe_version *v = dw_arena_alloc(&pe->arena, sizeof(*v));
	if (v == NULL)
		return DW_ENOMEM;
	if (root.value_end - root.value >= DW_PE_FIXED_FILE_INFO_SIZE) {
		dw_cur f;
		dw_cur_window(&f, data, root.value, DW_PE_FIXED_FILE_INFO_SIZE);
		if (dw_cur_u32le(&f) != VS_FFI_SIGNATURE) {
			dw_fail(&pe->notes, DW_ECORRUPT, "PE version: VS_FIXEDFILEINFO signature wrong at "
			        "RVA 0x%zx", rva + root.value);
		} else {
			dw_cur_u32le(&f); // dwStrucVersion
			v->file_version_ms    = dw_cur_u32le(&f);
			v->file_version_ls    = dw_cur_u32le(&f);
			v->product_version_ms = dw_cur_u32le(&f);
			v->product_version_ls = dw_cur_u32le(&f);
			v->flags_mask         = dw_cur_u32le(&f);
			v->flags              = dw_cur_u32le(&f);
			v->os                 = dw_cur_u32le(&f);
			v->type               = dw_cur_u32le(&f);
			v->subtype            = dw_cur_u32le(&f);
			v->date_ms            = dw_cur_u32le(&f);
			v->date_ls            = dw_cur_u32le(&f);
		}
	}
	pe->version = v;
	// Children: StringFileInfo (with StringTables) and VarFileInfo, any order.
	for (size_t off = root.children; off + 6 <= root.end; ) {
		vblock b;
		if (vblock_read(&b, data, off, root.end) != DW_OK) {
			dw_fail(&pe->notes, DW_ECORRUPT, "PE version: child block at +0x%zx malformed", off);
			break;
		}
		if (vblock_key_is(&b, "StringFileInfo") && v->strings == NULL) {
			vblock table;
			if (b.children + 6 <= b.end &&
			    vblock_read(&table, data, b.children, b.end) == DW_OK)
				return read_strings(pe, v, data, &table);
			dw_fail(&pe->notes, DW_ECORRUPT, "PE version: StringFileInfo at +0x%zx has no "
			        "readable StringTable", off);
		}
		off = align4(b.end);
	}
	return DW_OK;
}

dw_err
dw_pe__read_version(dw_pe *pe)
{
	const dw_pe_dir *d = &pe->hdr.dirs[DW_PE_DIR_RESOURCE];
	if (d->rva == 0 || d->size == 0)
		return DW_OK;
	dw_cur rsrc;
	if (dw_pe__rva_tail(&rsrc, pe, d->rva) != DW_OK) {
		dw_fail(&pe->notes, DW_ETRUNC, "PE resources: directory at RVA 0x%x unreadable", d->rva);
		return DW_OK;
	}
	if (rsrc.len > d->size)
		rsrc.len = d->size;
	// Three levels: type, name, language. Each step must be a subdirectory
	// except the last, which must be a data entry.
	uint32_t off = 0;
	dw_err   rv  = res_find(pe, &rsrc, 0, RT_VERSION, &off);
	for (int level = 1; rv == DW_OK && level < 3; level++) {
		if (!(off & RES_HIGH_BIT)) {
			dw_fail(&pe->notes, DW_ECORRUPT, "PE resources: RT_VERSION level %d entry is data, "
			        "not a directory", level);
			return DW_OK;
		}
		rv = res_find(pe, &rsrc, off & ~RES_HIGH_BIT, -1, &off);
	}
	if (rv == DW_ENOTFOUND)
		return DW_OK; // no version resource
	if (rv != DW_OK)
		return DW_OK; // noted
	if (off & RES_HIGH_BIT) {
		dw_fail(&pe->notes, DW_ECORRUPT, "PE resources: RT_VERSION language entry is a directory");
		return DW_OK;
	}
	dw_cur e;
	if (dw_cur_window(&e, &rsrc, off, DW_PE_RES_DATA_SIZE) != DW_OK) {
		dw_fail(&pe->notes, DW_ETRUNC, "PE resources: data entry at +0x%x unreadable", off);
		return DW_OK;
	}
	uint32_t rva  = dw_cur_u32le(&e);
	uint32_t size = dw_cur_u32le(&e);
	if (size > DW_MAX_PE_VERSION_BYTES) {
		dw_fail(&pe->notes, DW_ELIMIT, "PE version: %u bytes at RVA 0x%x (cap %u)", size, rva,
		        DW_MAX_PE_VERSION_BYTES);
		return DW_OK;
	}
	dw_cur data;
	if (dw_pe__rva_window(&data, pe, rva, size) != DW_OK) {
		dw_fail(&pe->notes, DW_ETRUNC, "PE version: %u bytes at RVA 0x%x unreadable", size, rva);
		return DW_OK;
	}
	rv = parse_version(pe, &data, rva);
	return rv == DW_ENOMEM ? rv : DW_OK;
}

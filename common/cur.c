#include "common/cur.h"

#include <string.h>

void
dw_cur_init(dw_cur *out, const void *base, size_t len)
{
	out->base = base;
	out->len  = base ? len : 0;
	out->off  = 0;
	out->err  = DW_OK;
}

static void
cur_empty(dw_cur *out, dw_err err)
{
	out->base = NULL;
	out->len  = 0;
	out->off  = 0;
	out->err  = err;
}

dw_err
dw_cur_window(dw_cur *out, const dw_cur *c, uint64_t off, uint64_t len)
{
	if (off > c->len || len > c->len - off) {
		cur_empty(out, DW_ETRUNC);
		return DW_ETRUNC;
	}
	dw_cur_init(out, c->base + off, (size_t)len);
	return DW_OK;
}

dw_err
dw_cur_tail(dw_cur *out, const dw_cur *c, uint64_t off)
{
	if (off > c->len) {
		cur_empty(out, DW_ETRUNC);
		return DW_ETRUNC;
	}
	return dw_cur_window(out, c, off, c->len - off);
}

dw_err
dw_cur_seek(dw_cur *c, uint64_t off)
{
	if (c->err != DW_OK)
		return c->err;
	if (off > c->len)
		return c->err = DW_ETRUNC;
	c->off = (size_t)off;
	return DW_OK;
}

dw_err
dw_cur_skip(dw_cur *c, uint64_t n)
{
	if (c->err != DW_OK)
		return c->err;
	if (n > c->len - c->off)
		return c->err = DW_ETRUNC;
	c->off += (size_t)n;
	return DW_OK;
}

size_t
dw_cur_left(const dw_cur *c)
{
	return c->err != DW_OK ? 0 : c->len - c->off;
}

const uint8_t *
dw_cur_bytes(dw_cur *c, size_t n)
{
	if (c->err != DW_OK)
		return NULL;
	if (n > c->len - c->off) {
		c->err = DW_ETRUNC;
		return NULL;
	}
	const uint8_t *p = c->base + c->off;
	c->off += n;
	return p;
}

dw_err
dw_cur_copy(dw_cur *c, void *dst, size_t n)
{
	const uint8_t *p = dw_cur_bytes(c, n);
	if (p == NULL) {
		memset(dst, 0, n);
		return c->err;
	}
	memcpy(dst, p, n);
	return DW_OK;
}

uint8_t
dw_cur_u8(dw_cur *c)
{
	const uint8_t *p = dw_cur_bytes(c, 1);
	return p ? p[0] : 0;
}

uint16_t
dw_cur_u16le(dw_cur *c)
{
	const uint8_t *p = dw_cur_bytes(c, 2);
	return p ? dw_get_u16le(p) : 0;
}

uint32_t
dw_cur_u32le(dw_cur *c)
{
	const uint8_t *p = dw_cur_bytes(c, 4);
	return p ? dw_get_u32le(p) : 0;
}

uint64_t
dw_cur_u64le(dw_cur *c)
{
	const uint8_t *p = dw_cur_bytes(c, 8);
	return p ? dw_get_u64le(p) : 0;
}

int32_t
dw_cur_i32le(dw_cur *c)
{
	return (int32_t)dw_cur_u32le(c);
}

uint16_t
dw_cur_u16be(dw_cur *c)
{
	const uint8_t *p = dw_cur_bytes(c, 2);
	return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

uint32_t
dw_cur_u32be(dw_cur *c)
{
	const uint8_t *p = dw_cur_bytes(c, 4);
	return p ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]
	         : 0;
}

dw_err
dw_cur_count(const dw_cur *c, uint64_t n, size_t elem, uint64_t cap)
{
	if (c->err != DW_OK)
		return c->err;
	if (n > cap)
		return DW_ELIMIT;
	size_t left = c->len - c->off;
	if (elem != 0 && n > left / elem)
		return DW_ETRUNC;
	return DW_OK;
}

const char *
dw_cur_cstr(dw_cur *c, size_t max, size_t *out_len)
{
	*out_len = 0;
	if (c->err != DW_OK)
		return NULL;
	size_t left  = c->len - c->off;
	size_t limit = left < max + 1 ? left : max + 1;
	const uint8_t *p   = c->base + c->off;
	const uint8_t *nul = memchr(p, 0, limit);
	if (nul == NULL) {
		c->err = DW_ETRUNC;
		return NULL;
	}
	*out_len = (size_t)(nul - p);
	c->off += *out_len + 1;
	return (const char *)p;
}

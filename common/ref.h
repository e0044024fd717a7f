// common/ref.h - atomic reference counts for objects shared between threads
// (compiled symbol tables: the cache holds one reference, each walk one more).
#ifndef DW_COMMON_REF_H
#define DW_COMMON_REF_H

#include <stdatomic.h>
#include <stdbool.h>

typedef struct dw_ref {
	atomic_uint count;
} dw_ref;

// dw_ref_init sets the count to one: the creator's reference.
static inline void
dw_ref_init(dw_ref *r)
{
	atomic_init(&r->count, 1);
}

// dw_ref_hold adds a reference; the caller must already hold one.
static inline void
dw_ref_hold(dw_ref *r)
{
	atomic_fetch_add_explicit(&r->count, 1, memory_order_relaxed);
}

// dw_ref_release drops a reference and returns true when it was the last, in
// which case the caller destroys the object.
static inline bool
dw_ref_release(dw_ref *r)
{
	if (atomic_fetch_sub_explicit(&r->count, 1, memory_order_release) == 1) {
		atomic_thread_fence(memory_order_acquire);
		return true;
	}
	return false;
}

#endif

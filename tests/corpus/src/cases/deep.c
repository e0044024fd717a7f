// A crash eight frames deep that crosses EXE -> DLL -> EXE -> DLL. Built
// twice: -O0 with frame pointers, and -O2 without them, so a walker that
// gets it right on the second has read the x64 unwind info (.pdata/.xdata)
// or, on x86, coped without a frame chain.
#include "crashkit.h"

struct node {
	struct node *next;
	int          value;
};

typedef int (*visit_fn)(struct node *, int);
__declspec(dllimport) int lib_enter(struct node *head, visit_fn visit);
__declspec(dllimport) int lib_apply(struct node *n, int scale);

#define STR2(x) #x
#define STR(x) STR2(x)
#define EXE CASE ".exe!"
#define DLL LIBNAME ".dll!"

CK_NOINLINE static int
visit_cb(struct node *n, int acc)
{
	// The last node sends the DLL through a NULL next pointer.
	int v = n->next ? n->value : lib_apply(n, acc);
	CK_KEEP();
	return v;
}

CK_NOINLINE static int
stage2(struct node *head)
{
	int v = lib_enter(head, visit_cb);
	CK_KEEP();
	return v + 3;
}

CK_NOINLINE static int
stage1(struct node *head)
{
	int v = stage2(head);
	CK_KEEP();
	return v - 1;
}

int
main(void)
{
	ck_init(CASE);
	ck_module(GetModuleHandleA(LIBNAME ".dll"));
	static struct node c = {NULL, 3}, b = {&c, 2}, a = {&b, 1};
	ck_thread(GetCurrentThreadId(), "faulting", DLL "lib_fault", DLL "lib_apply",
	          EXE "visit_cb", DLL "lib_walk", DLL "lib_enter", EXE "stage2", EXE "stage1",
	          EXE "main", (const char *)NULL);
	ck_fact("fault_module", "\"" LIBNAME ".dll\"");
	ck_fact("optimized", STR(OPTIMIZED));
	ck_pattern("NULL Pointer (Data)");
	ck_pattern("Exception Stack Trace");
	ck_pattern("Exception Module");
	ck_pattern("Stored Exception");
	ck_pattern("Main Thread");
	// Not `return stage1(&a)`: at -O2 clang turns that into a tail call
	// (x64 deep_opt before this change: main ran its epilog and jumped to
	// stage1, so the caller of stage1 on the stack was mingw's
	// __tmainCRTStartup and main was on no stack at all). The barrier after
	// the call keeps main's frame alive, as in every other function here.
	int r = stage1(&a);
	CK_KEEP();
	return r;
}

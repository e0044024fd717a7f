// The DLL half of the deep case. It walks a list on behalf of the EXE and
// calls back into it, so the crashing stack alternates between modules.
#include <windows.h>

#include "crashkit.h"

struct node {
	struct node *next;
	int          value;
};

typedef int (*visit_fn)(struct node *, int);

CK_NOINLINE static int
lib_fault(struct node *n, int scale)
{
	// n->next is NULL at the end of the list; reading its value faults.
	int v = n->next->value * scale;
	CK_KEEP();
	return v;
}

CK_NOINLINE __declspec(dllexport) int lib_apply(struct node *n, int scale)
{
	int v = lib_fault(n, scale + 1);
	CK_KEEP();
	return v + 1;
}

CK_NOINLINE static int
lib_walk(struct node *n, visit_fn visit)
{
	int sum = 0;
	for (; n; n = n->next)
		sum += visit(n, sum);
	CK_KEEP();
	return sum;
}

CK_NOINLINE __declspec(dllexport) int lib_enter(struct node *head, visit_fn visit)
{
	int s = lib_walk(head, visit);
	CK_KEEP();
	return s * 2;
}

// Stack-based detectors (dw_classify_walk in walker/classify.h): what the
// walked and symbolized stacks of every thread say. Function names are
// matched as Windows' (and Wine's) exports and the CRTs spell them; a name
// list is the whole of each rule, so an analyst can see why a thread was
// classified.
#include "walker/classify_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "walker/context.h"
#include "walker/walk.h"

#define DW_P_EXC_STACK "Exception Stack Trace"
#define DW_P_COLLECTION "Stack Trace / Stack Trace Collection (Unmanaged Space)"
#define DW_P_MAIN "Main Thread"
#define DW_P_BLOCKED "Blocked Thread (Software)"
#define DW_P_PASSIVE "Passive Thread (User Space)"
#define DW_P_INPUT "Input Thread"
#define DW_P_MSGBOX "Message Box"
#define DW_P_CS_CHAIN "Wait Chain (Critical Sections)"
#define DW_P_CS_DEADLOCK "Deadlock (Critical Sections)"
#define DW_P_GENERAL_CHAIN "Wait Chain (General) / Deadlock (Mixed Objects, User Space)"
#define DW_P_BLOCKING_MODULE "Blocking Module"
#define DW_P_TRUNCATED "Truncated Stack Trace"
#define DW_P_SUBTRACE "Language-Specific Subtrace (Rust)"
#define DW_P_MULTIPLE "Multiple Exceptions (User Mode)"
#define DW_P_DOUBLE_FREE "Double Free (Process Heap)"

// Frames looked at from the top for a thread's state: waits sit under a few
// system frames, a message box under the window manager's loop.
#define TOP_FRAMES 16
#define MSGBOX_FRAMES 40

typedef enum tstate {
	T_UNKNOWN = 0, // no rule matched (no symbols, or system code we do not name)
	T_RUNNING,     // top frame in the program's own code, not in a wait
	T_BLOCKED,     // a wait on a synchronisation object
	T_CS,          // inside EnterCriticalSection (also blocked)
	T_PASSIVE,     // an idle wait: sleep, I/O completion port, worker factory
	T_INPUT,       // a message loop
	T_MSGBOX,      // inside MessageBox*
} tstate;

static const char *const cs_waits[] = {
    "RtlEnterCriticalSection", "RtlpEnterCriticalSectionContended", "RtlpWaitOnCriticalSection",
    "RtlpWaitForCriticalSection",
    "EnterCriticalSection",    NULL,
};
static const char *const sync_waits[] = {
    "NtWaitForSingleObject", "ZwWaitForSingleObject", "NtWaitForMultipleObjects",
    "ZwWaitForMultipleObjects", "NtWaitForAlertByThreadId", "NtWaitForKeyedEvent",
    "NtSignalAndWaitForSingleObject", "WaitForSingleObject", "WaitForSingleObjectEx",
    "WaitForMultipleObjects", "WaitForMultipleObjectsEx", "SignalObjectAndWait",
    "RtlWaitOnAddress", "WaitOnAddress", "SleepConditionVariableCS", "SleepConditionVariableSRW",
    "RtlSleepConditionVariableCS", "RtlSleepConditionVariableSRW", "AcquireSRWLockExclusive",
    "AcquireSRWLockShared", "RtlAcquireSRWLockExclusive", "RtlAcquireSRWLockShared", NULL,
};
static const char *const idle_waits[] = {
    "NtDelayExecution", "ZwDelayExecution", "Sleep", "SleepEx", "NtRemoveIoCompletion",
    "NtRemoveIoCompletionEx", "GetQueuedCompletionStatus", "GetQueuedCompletionStatusEx",
    "NtWaitForWorkViaWorkerFactory", "ZwWaitForWorkViaWorkerFactory", NULL,
};
static const char *const input_waits[] = {
    "NtUserGetMessage", "GetMessageA", "GetMessageW", "NtUserPeekMessage", "PeekMessageA",
    "PeekMessageW", "NtUserMsgWaitForMultipleObjectsEx", "MsgWaitForMultipleObjects",
    "MsgWaitForMultipleObjectsEx", "NtUserWaitMessage", "WaitMessage", NULL,
};
static const char *const msgbox_fns[] = {
    "MessageBoxA", "MessageBoxW", "MessageBoxExA", "MessageBoxExW", "MessageBoxTimeoutA",
    "MessageBoxTimeoutW", "MessageBoxIndirectA", "MessageBoxIndirectW", "SoftModalMessageBox",
    NULL,
};
static const char *const entry_fns[] = {
    "main", "wmain", "WinMain", "wWinMain", "mainCRTStartup", "wmainCRTStartup",
    "WinMainCRTStartup", "wWinMainCRTStartup", "__tmainCRTStartup", "__mainCRTStartup",
    "__scrt_common_main_seh", NULL,
};
static const char *const start_fns[] = {
    "RtlUserThreadStart", "BaseThreadInitThunk", "BaseThreadStart", "RtlpUserThreadStart",
    "start_thread", NULL,
};
static const char *const dispatch_fns[] = {
    "KiUserExceptionDispatcher", "RtlDispatchException", "UnhandledExceptionFilter",
    "WerpReportFault", "RtlRaiseException", NULL,
};
static const char *const heap_fail_fns[] = {
    "RtlReportCriticalFailure", "RtlpHeapHandleError", "RtlpLogHeapFailure",
    "RtlpReportHeapFailure", NULL,
};
static const char *const free_fns[] = {
    "RtlFreeHeap", "HeapFree", "free", "_free_base", "_free_dbg", "RtlpFreeHeap", NULL,
};
static const char *const writer_fns[] = {
    "MiniDumpWriteDump", "DbgUiRemoteBreakin", "DbgBreakPoint", NULL,
};
// Language runtimes' panic / throw machinery (substrings of a function name).
static const struct {
	const char *needle;
	const char *language;
} subtrace_fns[] = {
    {"std::panicking", "Rust panic"},   {"core::panicking", "Rust panic"},
    {"rust_panic", "Rust panic"},       {"rust_begin_unwind", "Rust panic"},
    {"_CxxThrowException", "C++ throw"}, {"__cxa_throw", "C++ throw"},
    {"_Unwind_RaiseException", "C++ throw"}, {"__cxa_rethrow", "C++ throw"},
    {"std::terminate", "C++ terminate"}, {"__verbose_terminate_handler", "C++ terminate"},
    {"__gnu_cxx::__verbose_terminate_handler", "C++ terminate"},
    {"__terminate", "C++ terminate"},   {"IL_Throw", "CLR throw"},
    {"RaiseTheExceptionInternalOnly", "CLR throw"},
};

// Runtime abort paths matched by exact name (a substring would catch
// "xraise" or "abort_transaction").
static const char *const abort_fns[] = {
    "abort", "raise", "_abort", "terminate", "_invoke_watson", "_invalid_parameter_noinfo", NULL,
};

// The lists hold undecorated names, as exports and dumpwalk's own symbol
// tables give them. A provider that keeps x86 decoration ("_Sleep@4",
// "_RtlEnterCriticalSection@4", fastcall "@Fn@8"; Breakpad files from
// older dump_syms, raw PDB publics) must still match: one leading '_' or '@'
// and a trailing "@<digits>" are ignored when the name has them.
static bool
in_list(const char *name, const char *const *list)
{
	if (name == NULL)
		return false;
	// The first letters are compared before anything else: a frame is
	// matched against a dozen lists of up to twenty names, and nearly every
	// name differs from nearly every entry in its first letter.
	for (size_t i = 0; list[i] != NULL; i++)
		if (list[i][0] == name[0] && strcmp(name, list[i]) == 0)
			return true;
	if (name[0] != '_' && name[0] != '@')
		return false;
	const char *core = name + 1;
	size_t      len  = strlen(core);
	const char *at   = strrchr(core, '@');
	if (at != NULL && at[1] != 0 && strspn(at + 1, "0123456789") == strlen(at + 1))
		len = (size_t)(at - core);
	for (size_t i = 0; list[i] != NULL; i++)
		if (list[i][0] == core[0] && strlen(list[i]) == len && strncmp(core, list[i], len) == 0)
			return true;
	return false;
}

// Whether frame i (or one of its inline frames) is named in `list`.
static bool
frame_is(const dw_frame *f, const char *const *list)
{
	if (in_list(f->function, list))
		return true;
	for (size_t k = 0; k < f->ninlines; k++)
		if (in_list(f->inlines[k].function, list))
			return true;
	return false;
}

static const char *
fname(const dw_frame *f)
{
	return f->function != NULL ? f->function : "?";
}

static void
frame_evidence(dw_cx *cx, dw_finding *f, const char *what, const dw_frame *fr)
{
	char where[256];
	dw_classify__frame_where(fr, where, sizeof(where));
	dw_finding_frame(cx->fs, f, what, fr->ip, where);
}

// The stack a thread's state is judged from: its current one (ThreadList);
// for the exception thread the exception context's.
static const dw_stack *
current_stack(const dw_thread_walk *tw)
{
	return &tw->stack;
}

typedef struct tinfo {
	const dw_thread_walk *tw;
	tstate                state;
	size_t                wait_frame; // index of the frame that names the wait
	size_t                user_frame; // first frame in a non-system module, or nframes
} tinfo;

static void
classify_thread(const dw_cx *cx, tinfo *ti)
{
	const dw_stack *st = current_stack(ti->tw);
	ti->state          = T_UNKNOWN;
	ti->user_frame     = st->nframes;
	for (size_t i = 0; i < st->nframes; i++)
		if (st->frames[i].module != NULL && !dw_vml_is_system(st->frames[i].module)) {
			ti->user_frame = i;
			break;
		}
	for (size_t i = 0; i < st->nframes && i < MSGBOX_FRAMES; i++)
		if (frame_is(&st->frames[i], msgbox_fns)) {
			ti->state      = T_MSGBOX;
			ti->wait_frame = i;
			return;
		}
	size_t lim = ti->user_frame < TOP_FRAMES ? ti->user_frame + 1 : TOP_FRAMES;
	for (size_t i = 0; i < st->nframes && i < lim; i++) {
		const dw_frame *f = &st->frames[i];
		tstate          s = frame_is(f, cs_waits)      ? T_CS
		                    : frame_is(f, input_waits) ? T_INPUT
		                    : frame_is(f, idle_waits)  ? T_PASSIVE
		                    : frame_is(f, sync_waits)  ? T_BLOCKED
		                                               : T_UNKNOWN;
		if (s == T_UNKNOWN)
			continue;
		// The outermost matching frame decides (WaitForSingleObject over
		// NtWaitForSingleObject, EnterCriticalSection over the wait under it).
		if (ti->state == T_UNKNOWN || s == T_CS || s == T_INPUT || s == T_PASSIVE) {
			ti->state      = s;
			ti->wait_frame = i;
		}
	}
	(void)cx;
	if (ti->state == T_UNKNOWN && st->nframes != 0 && st->frames[0].module != NULL &&
	    !dw_vml_is_system(st->frames[0].module))
		ti->state = T_RUNNING;
}

// ---- critical sections ----------------------------------------------------------

// RTL_CRITICAL_SECTION (winnt.h / ntdll): DebugInfo, LockCount, RecursionCount,
// OwningThread (a thread id in a HANDLE-sized field), LockSemaphore,
// SpinCount. x64: 0x00, 0x08, 0x0C, 0x10, 0x18, 0x20; x86: 0, 4, 8, 0xC, 0x10, 0x14.
static bool
read_cs(const dw_cx *cx, uint64_t addr, uint32_t *owner, int32_t *recursion)
{
	uint32_t rec, own;
	uint64_t rec_off = cx->ptr == 8 ? 0x0C : 0x08, own_off = cx->ptr == 8 ? 0x10 : 0x0C;
	if (!dw_classify__u32(cx, addr + rec_off, &rec) || !dw_classify__u32(cx, addr + own_off, &own))
		return false;
	*owner     = own;
	*recursion = (int32_t)rec;
	return true;
}

typedef struct cswait {
	uint32_t tid;
	uint64_t cs;    // 0 when not found in memory
	uint32_t owner; // 0 when unknown
} cswait;

// Looks for the critical section a thread waits on: a value in a register of
// the frames above its first program frame, or a stack word in that range,
// that points at memory shaped like a critical section owned by another
// thread of the dump.
static void
find_cs(const dw_cx *cx, const tinfo *ti, cswait *out)
{
	const dw_stack *st = current_stack(ti->tw);
	out->tid           = ti->tw->thread_id;
	uint64_t cand[64];
	size_t   nc = 0;
	size_t   last = ti->user_frame < st->nframes ? ti->user_frame : st->nframes ? st->nframes - 1 : 0;
	for (size_t i = 0; i <= last && i < st->nframes && nc < 48; i++) {
		const dw_context *c = &st->frames[i].ctx;
		size_t            nr = dw_context_reg_count(c);
		for (size_t r = 0; r < nr && nc < 48; r++) {
			uint64_t v;
			if (dw_context_reg_get(c, r, &v) && v > 0x10000)
				cand[nc++] = v;
		}
	}
	uint64_t lo = st->nframes ? dw_context_sp(&st->frames[0].ctx) : 0;
	uint64_t hi = st->nframes ? dw_context_sp(&st->frames[last].ctx) + 64 : 0;
	for (uint64_t a = lo; a < hi && a - lo < 4096 && nc < 64; a += cx->ptr) {
		uint64_t v;
		if (dw_classify__ptr(cx, a, &v) && v > 0x10000)
			cand[nc++] = v;
	}
	for (size_t i = 0; i < nc; i++) {
		uint32_t owner;
		int32_t  rec;
		if (!read_cs(cx, cand[i], &owner, &rec) || owner == 0 || owner == out->tid || rec < 1 ||
		    rec > 1000 || dw_dump_thread_find(cx->d, owner) == NULL)
			continue;
		out->cs    = cand[i];
		out->owner = owner;
		return;
	}
}

static void
critical_sections(dw_cx *cx, const tinfo *ti, size_t n)
{
	cswait *w  = calloc(n + 1, sizeof(*w));
	size_t  nw = 0;
	if (w == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		if (ti[i].state != T_CS)
			continue;
		find_cs(cx, &ti[i], &w[nw]);
		const cswait   *c  = &w[nw++];
		const dw_stack *st = current_stack(ti[i].tw);
		dw_finding     *f;
		if (c->cs != 0)
			f = dw_findings_add(cx->fs, DW_P_CS_CHAIN, DW_CONF_CERTAIN,
			                    "thread %u waits for critical section 0x%" PRIx64
			                    ", owned by thread %u",
			                    c->tid, c->cs, c->owner);
		else
			f = dw_findings_add(cx->fs, DW_P_CS_CHAIN, DW_CONF_LIKELY,
			                    "thread %u waits in %s; the critical section's memory (and so "
			                    "its owner) is not in the dump",
			                    c->tid, fname(&st->frames[ti[i].wait_frame]));
		dw_finding_thread(cx->fs, f, "waiting thread", c->tid);
		frame_evidence(cx, f, "wait frame", &st->frames[ti[i].wait_frame]);
		if (ti[i].user_frame < st->nframes)
			frame_evidence(cx, f, "caller", &st->frames[ti[i].user_frame]);
		if (c->cs != 0) {
			dw_finding_address(cx->fs, f, "critical section", c->cs, NULL);
			dw_finding_thread(cx->fs, f, "owning thread", c->owner);
		}
	}
	// Deadlock: follow waiter -> owner; a walk that comes back is a cycle.
	bool *reported = calloc(nw + 1, sizeof(*reported));
	for (size_t i = 0; reported != NULL && i < nw; i++) {
		if (w[i].cs == 0 || reported[i])
			continue;
		size_t chain[32], len = 0, cur = i;
		bool   cycle = false;
		while (len < 32) {
			chain[len++] = cur;
			size_t next  = nw;
			for (size_t k = 0; k < nw; k++)
				if (w[k].tid == w[cur].owner && w[k].cs != 0)
					next = k;
			if (next == nw)
				break;
			if (next == i) {
				cycle = true;
				break;
			}
			bool seen = false;
			for (size_t k = 0; k < len; k++)
				seen |= chain[k] == next;
			if (seen)
				break;
			cur = next;
		}
		if (!cycle)
			continue;
		dw_finding *f = dw_findings_add(cx->fs, DW_P_CS_DEADLOCK, DW_CONF_CERTAIN,
		                                "%zu threads wait for each other's critical sections",
		                                len);
		for (size_t k = 0; k < len; k++) {
			reported[chain[k]] = true;
			dw_finding_thread(cx->fs, f, "thread in the cycle", w[chain[k]].tid);
			dw_finding_text(cx->fs, f, "edge",
			                "thread %u waits for 0x%" PRIx64 " owned by thread %u",
			                w[chain[k]].tid, w[chain[k]].cs, w[chain[k]].owner);
		}
	}
	free(reported);
	free(w);
}

// ---- the detectors ---------------------------------------------------------------

static void
exception_stack(dw_cx *cx, const dw_walk *w)
{
	const dw_md_exception *ex = dw_dump_exception(cx->d);
	if (ex == NULL)
		return;
	const dw_thread_walk *tw = dw_walk_thread_find(w, ex->thread_id);
	if (tw == NULL || tw->stack.nframes == 0)
		return;
	dw_finding *f = dw_findings_add(
	    cx->fs, DW_P_EXC_STACK, tw->from_exception ? DW_CONF_CERTAIN : DW_CONF_POSSIBLE,
	    "thread %u walked from the %s context: %zu frames (%s)", ex->thread_id,
	    tw->from_exception ? "exception's" : "thread's own (no exception context)",
	    tw->stack.nframes, dw_walk_end_name(tw->stack.end));
	dw_finding_thread(cx->fs, f, "exception thread", ex->thread_id);
	for (size_t i = 0; i < tw->stack.nframes && i < 8; i++)
		frame_evidence(cx, f, i == 0 ? "top frame" : "frame", &tw->stack.frames[i]);
}

static void
collection(dw_cx *cx, const dw_walk *w)
{
	size_t                n;
	const dw_thread_walk *tw = dw_walk_threads(w, &n);
	if (n < 2)
		return;
	size_t frames = 0, named = 0, scanned = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < tw[i].stack.nframes; k++) {
			frames++;
			named += tw[i].stack.frames[k].function != NULL;
			scanned += tw[i].stack.frames[k].trust == DW_TRUST_SCAN;
		}
	dw_finding *f = dw_findings_add(cx->fs, DW_P_COLLECTION, DW_CONF_CERTAIN,
	                                "%zu threads walked: %zu frames, %zu with a function name, "
	                                "%zu found by scanning",
	                                n, frames, named, scanned);
	for (size_t i = 0; i < n; i++) {
		dw_finding_thread(cx->fs, f, "thread", tw[i].thread_id);
		dw_finding_text(cx->fs, f, "walk", "%zu frames, %s", tw[i].stack.nframes,
		                dw_walk_end_name(tw[i].stack.end));
	}
}

static void
main_thread(dw_cx *cx, const dw_walk *w)
{
	size_t                n;
	const dw_thread_walk *tw = dw_walk_threads(w, &n);
	for (size_t i = 0; i < n; i++) {
		const dw_stack *st = &tw[i].stack;
		for (size_t k = st->nframes; k-- > 0;) {
			const dw_frame *fr = &st->frames[k];
			if (fr->module == NULL || fr->module != cx->exe || !frame_is(fr, entry_fns))
				continue;
			dw_finding *f = dw_findings_add(cx->fs, DW_P_MAIN, DW_CONF_LIKELY,
			                                "thread %u runs the executable's entry (%s)",
			                                tw[i].thread_id, fname(fr));
			dw_finding_thread(cx->fs, f, "main thread", tw[i].thread_id);
			frame_evidence(cx, f, "entry frame", fr);
			return;
		}
	}
}

static void
thread_states(dw_cx *cx, tinfo *ti, size_t n)
{
	static const struct {
		tstate      state;
		const char *pattern;
		const char *what;
	} kinds[] = {
	    {T_BLOCKED, DW_P_BLOCKED, "waits on a synchronisation object in"},
	    {T_CS, DW_P_BLOCKED, "waits for a critical section in"},
	    {T_PASSIVE, DW_P_PASSIVE, "is idle in"},
	    {T_INPUT, DW_P_INPUT, "pumps messages in"},
	    {T_MSGBOX, DW_P_MSGBOX, "shows a message box:"},
	};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		// Blocked threads (both kinds) go in one finding.
		if (kinds[k].state == T_CS)
			continue;
		dw_finding *f = NULL;
		size_t      count = 0;
		for (size_t i = 0; i < n; i++) {
			bool match = ti[i].state == kinds[k].state ||
			             (kinds[k].state == T_BLOCKED && ti[i].state == T_CS);
			if (!match)
				continue;
			const dw_stack *st = current_stack(ti[i].tw);
			if (f == NULL)
				f = dw_findings_add(cx->fs, kinds[k].pattern,
				                    kinds[k].state == T_MSGBOX ? DW_CONF_CERTAIN : DW_CONF_LIKELY,
				                    "%s", kinds[k].pattern);
			count++;
			dw_finding_thread(cx->fs, f, "thread", ti[i].tw->thread_id);
			frame_evidence(cx, f, "wait frame", &st->frames[ti[i].wait_frame]);
			if (ti[i].user_frame < st->nframes)
				frame_evidence(cx, f, "first program frame", &st->frames[ti[i].user_frame]);
		}
		if (f == NULL)
			continue;
		const char *what = kinds[k].state == T_BLOCKED   ? "on synchronisation objects"
		                   : kinds[k].state == T_PASSIVE ? "idle (sleep, completion port, worker factory)"
		                   : kinds[k].state == T_INPUT   ? "for input in a message loop"
		                                                 : "inside MessageBox for the user";
		f->explanation = dw_findings_printf(cx->fs, "%zu thread%s wait%s %s", count,
		                                    count == 1 ? "" : "s", count == 1 ? "s" : "", what);
	}
}

static void
active_threads(dw_cx *cx, const tinfo *ti, size_t n)
{
	if (dw_md_streams_thread_infos(cx->s, &(size_t){0}) != NULL)
		return; // ThreadInfoList times decide (detect_threads.c)
	// The exception thread's state is its exception, not activity.
	const dw_md_exception *ex = dw_dump_exception(cx->d);
	uint32_t               skip = ex != NULL ? ex->thread_id : 0;
	size_t running = 0, parked = 0;
	for (size_t i = 0; i < n; i++) {
		if (ex != NULL && ti[i].tw->thread_id == skip)
			continue;
		running += ti[i].state == T_RUNNING;
		parked += ti[i].state != T_RUNNING && ti[i].state != T_UNKNOWN;
	}
	if (running == 0 || parked == 0)
		return;
	dw_finding *f = dw_findings_add(
	    cx->fs, DW_P_SPIKING, running == 1 ? DW_CONF_LIKELY : DW_CONF_POSSIBLE,
	    "%zu thread%s running program code while %zu other%s wait (no ThreadInfoList for CPU "
	    "times)",
	    running, running == 1 ? " is" : "s are", parked, parked == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		if (ti[i].state == T_RUNNING && !(ex != NULL && ti[i].tw->thread_id == skip)) {
			dw_finding_thread(cx->fs, f, "active thread", ti[i].tw->thread_id);
			frame_evidence(cx, f, "top frame", &current_stack(ti[i].tw)->frames[0]);
		}
}

static void
blocking_module(dw_cx *cx, const tinfo *ti, size_t n)
{
	const dw_md_module *best = NULL;
	size_t              best_n = 0;
	for (size_t i = 0; i < n; i++) {
		if (ti[i].state != T_BLOCKED && ti[i].state != T_CS)
			continue;
		const dw_stack *st = current_stack(ti[i].tw);
		if (ti[i].user_frame >= st->nframes)
			continue;
		const dw_md_module *m = st->frames[ti[i].user_frame].module;
		size_t              c = 0;
		for (size_t k = 0; k < n; k++) {
			const dw_stack *sk = current_stack(ti[k].tw);
			c += (ti[k].state == T_BLOCKED || ti[k].state == T_CS) &&
			     ti[k].user_frame < sk->nframes && sk->frames[ti[k].user_frame].module == m;
		}
		if (c > best_n) {
			best   = m;
			best_n = c;
		}
	}
	if (best == NULL || best_n < 2)
		return;
	dw_finding *f = dw_findings_add(cx->fs, DW_P_BLOCKING_MODULE, DW_CONF_POSSIBLE,
	                                "%s is the first program module on the stacks of %zu blocked "
	                                "threads",
	                                best->basename, best_n);
	dw_finding_module(cx->fs, f, "blocking module", best->name, best->base);
	for (size_t i = 0; i < n; i++) {
		const dw_stack *st = current_stack(ti[i].tw);
		if ((ti[i].state == T_BLOCKED || ti[i].state == T_CS) && ti[i].user_frame < st->nframes &&
		    st->frames[ti[i].user_frame].module == best)
			dw_finding_thread(cx->fs, f, "blocked thread", ti[i].tw->thread_id);
	}
}

static bool
any_named(const dw_walk *w)
{
	size_t                n;
	const dw_thread_walk *tw = dw_walk_threads(w, &n);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < tw[i].stack.nframes; k++)
			if (tw[i].stack.frames[k].function != NULL)
				return true;
	return false;
}

static void
truncated(dw_cx *cx, const dw_walk *w)
{
	size_t                n;
	const dw_thread_walk *tw = dw_walk_threads(w, &n);
	for (size_t i = 0; i < n; i++) {
		const dw_stack *st = &tw[i].stack;
		if (st->nframes == 0 || st->end == DW_WALK_END_THREAD_START ||
		    st->end == DW_WALK_END_CAP || st->end == DW_WALK_END_NO_CONTEXT ||
		    st->end == DW_WALK_END_UNAVAILABLE)
			continue;
		bool started = false;
		for (size_t k = 0; k < st->nframes; k++)
			started |= frame_is(&st->frames[k], start_fns) ||
			           (st->frames[k].module == cx->exe && frame_is(&st->frames[k], entry_fns));
		if (started)
			continue;
		const dw_md_thread *t = dw_dump_thread_find(cx->d, tw[i].thread_id);
		uint64_t            sp = dw_context_sp(&st->frames[st->nframes - 1].ctx);
		if (t == NULL || t->stack.loc.size == 0 || sp < t->stack.start ||
		    t->stack.start + t->stack.loc.size - sp < 64)
			continue; // the walk reached the end of the captured stack
		dw_finding *f = dw_findings_add(
		    cx->fs, DW_P_TRUNCATED, DW_CONF_POSSIBLE,
		    "thread %u's walk stopped (%s) after %zu frames with 0x%" PRIx64
		    " bytes of stack left and no thread-start frame",
		    tw[i].thread_id, dw_walk_end_name(st->end), st->nframes,
		    t->stack.start + t->stack.loc.size - sp);
		dw_finding_thread(cx->fs, f, "thread", tw[i].thread_id);
		frame_evidence(cx, f, "last frame", &st->frames[st->nframes - 1]);
		dw_finding_text(cx->fs, f, "why the walk stopped", "%s", st->end_detail);
	}
}

static void
subtraces(dw_cx *cx, const dw_walk *w)
{
	size_t                n;
	const dw_thread_walk *tw = dw_walk_threads(w, &n);
	for (size_t i = 0; i < n; i++) {
		const dw_stack *st    = &tw[i].stack;
		dw_finding     *f     = NULL;
		for (size_t k = 0; k < st->nframes && k < 64; k++) {
			const char *fn = st->frames[k].function;
			if (fn == NULL)
				continue;
			if (in_list(fn, abort_fns)) {
				if (f == NULL) {
					f = dw_findings_add(cx->fs, DW_P_SUBTRACE, DW_CONF_LIKELY,
					                    "thread %u runs the C/C++ runtime's abort path",
					                    tw[i].thread_id);
					dw_finding_thread(cx->fs, f, "thread", tw[i].thread_id);
				}
				frame_evidence(cx, f, "runtime abort", &st->frames[k]);
				continue;
			}
			for (size_t r = 0; r < sizeof(subtrace_fns) / sizeof(subtrace_fns[0]); r++) {
				if (strstr(fn, subtrace_fns[r].needle) == NULL)
					continue;
				if (f == NULL) {
					f = dw_findings_add(cx->fs, DW_P_SUBTRACE, DW_CONF_LIKELY,
					                    "thread %u runs %s machinery", tw[i].thread_id,
					                    subtrace_fns[r].language);
					dw_finding_thread(cx->fs, f, "thread", tw[i].thread_id);
				}
				frame_evidence(cx, f, subtrace_fns[r].language, &st->frames[k]);
				break;
			}
		}
	}
}

static void
exceptions_and_heap(dw_cx *cx, const dw_walk *w)
{
	size_t                 n;
	const dw_thread_walk  *tw = dw_walk_threads(w, &n);
	const dw_md_exception *ex = dw_dump_exception(cx->d);
	size_t                 dispatching = 0;
	for (size_t i = 0; i < n; i++) {
		const dw_stack *st = &tw[i].stack;
		for (size_t k = 0; k < st->nframes && k < 64; k++)
			if (frame_is(&st->frames[k], dispatch_fns)) {
				dispatching++;
				break;
			}
	}
	if (dispatching > 1) {
		dw_finding *f = dw_findings_add(cx->fs, DW_P_MULTIPLE, DW_CONF_LIKELY,
		                                "%zu threads are inside exception dispatching",
		                                dispatching);
		for (size_t i = 0; i < n; i++) {
			const dw_stack *st = &tw[i].stack;
			for (size_t k = 0; k < st->nframes && k < 64; k++)
				if (frame_is(&st->frames[k], dispatch_fns)) {
					dw_finding_thread(cx->fs, f, "thread", tw[i].thread_id);
					frame_evidence(cx, f, "dispatch frame", &st->frames[k]);
					break;
				}
		}
	}
	// Heap corruption seen from the faulting stack.
	if (ex != NULL) {
		const dw_thread_walk *t = dw_walk_thread_find(w, ex->thread_id);
		const dw_stack       *st = t != NULL ? &t->stack : NULL;
		const dw_frame       *heap = NULL, *freeing = NULL;
		for (size_t k = 0; st != NULL && k < st->nframes && k < 32; k++) {
			const dw_frame *fr = &st->frames[k];
			const char     *fn = fr->function;
			if (heap == NULL && (frame_is(fr, heap_fail_fns) ||
			                     (ex->code == 0xC0000005u && k < 4 && fn != NULL &&
			                      strncmp(fn, "Rtl", 3) == 0 && strstr(fn, "Heap") != NULL)))
				heap = fr;
			if (freeing == NULL && frame_is(fr, free_fns))
				freeing = fr;
		}
		if (heap != NULL && ex->code != 0xC0000374u) {
			dw_finding *f = dw_findings_add(cx->fs, DW_P_HEAP_CORRUPTION, DW_CONF_LIKELY,
			                                "the faulting stack is inside the heap manager (%s)",
			                                fname(heap));
			dw_finding_thread(cx->fs, f, "exception thread", ex->thread_id);
			frame_evidence(cx, f, "heap frame", heap);
		}
		if ((heap != NULL || ex->code == 0xC0000374u) && freeing != NULL) {
			dw_finding *f = dw_findings_add(cx->fs, DW_P_DOUBLE_FREE, DW_CONF_POSSIBLE,
			                                "heap corruption reached from a free path (%s)",
			                                fname(freeing));
			dw_finding_thread(cx->fs, f, "exception thread", ex->thread_id);
			frame_evidence(cx, f, "free frame", freeing);
		}
	}
	// Who wrote the dump: a MiniDumpWriteDump or debugger break-in thread.
	for (size_t i = 0; i < n; i++) {
		const dw_stack *st = &tw[i].stack;
		for (size_t k = 0; k < st->nframes && k < 64; k++) {
			if (!frame_is(&st->frames[k], writer_fns))
				continue;
			bool        breakin = strcmp(fname(&st->frames[k]), "MiniDumpWriteDump") != 0;
			dw_finding *f;
			if (breakin)
				f = dw_findings_add(cx->fs, DW_P_MANUAL, DW_CONF_CERTAIN,
				                    "thread %u is a debugger break-in thread (%s)",
				                    tw[i].thread_id, fname(&st->frames[k]));
			else if (ex != NULL)
				f = dw_findings_add(cx->fs, DW_P_STORED, DW_CONF_CERTAIN,
				                    "thread %u wrote the dump (MiniDumpWriteDump)%s",
				                    tw[i].thread_id,
				                    tw[i].thread_id == ex->thread_id ? ", the faulting thread itself"
				                                                    : ", not the faulting thread");
			else
				f = dw_findings_add(cx->fs, DW_P_MANUAL, DW_CONF_CERTAIN,
				                    "thread %u wrote the dump (MiniDumpWriteDump) without an "
				                    "exception",
				                    tw[i].thread_id);
			dw_finding_thread(cx->fs, f, "writer thread", tw[i].thread_id);
			frame_evidence(cx, f, "frame", &st->frames[k]);
			break;
		}
	}
}

static void
general_waits(dw_cx *cx, const tinfo *ti, size_t n)
{
	size_t blocked = 0;
	for (size_t i = 0; i < n; i++)
		blocked += ti[i].state == T_BLOCKED;
	if (blocked == 0)
		return;
	if (dw_md_streams_handle_data(cx->s) == NULL)
		dw_findings_need(cx->fs, DW_P_GENERAL_CHAIN, "HandleData",
		                 "%zu threads wait on handles; the objects' types, names and mutant "
		                 "owners come from HandleData, which this dump does not have",
		                 blocked);
}

dw_err
dw_classify_walk(dw_findings *fs, const dw_dump *d, const dw_walk *w,
                 const dw_classify_config *cfg)
{
	dw_classify_config def;
	if (cfg == NULL) {
		dw_classify_config_default(&def);
		cfg = &def;
	}
	dw_cx cx;
	memset(&cx, 0, sizeof(cx));
	cx.d       = d;
	cx.s       = dw_dump_other_streams(d);
	cx.cfg     = cfg;
	cx.fs      = fs;
	cx.cpu     = dw_dump_cpu(d);
	cx.ptr     = cx.cpu == DW_CPU_AMD64 || cx.cpu == DW_CPU_ARM64 ? 8 : 4;
	cx.modules = dw_dump_modules(d, &cx.nmodules);
	cx.exe     = cx.nmodules != 0 ? &cx.modules[0] : NULL;

	size_t                n;
	const dw_thread_walk *tw = dw_walk_threads(w, &n);
	tinfo                *ti = calloc(n + 1, sizeof(*ti));
	if (ti == NULL)
		return DW_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ti[i].tw = &tw[i];
		classify_thread(&cx, &ti[i]);
	}
	exception_stack(&cx, w);
	collection(&cx, w);
	if (!any_named(w)) {
		dw_findings_need(fs, DW_P_BLOCKED, "symbols",
		                 "no frame has a function name: waits, message loops, thread starts "
		                 "and the entry point are recognised by name");
	} else {
		main_thread(&cx, w);
		thread_states(&cx, ti, n);
		critical_sections(&cx, ti, n);
		general_waits(&cx, ti, n);
		active_threads(&cx, ti, n);
		blocking_module(&cx, ti, n);
		subtraces(&cx, w);
		exceptions_and_heap(&cx, w);
		truncated(&cx, w); // recognises thread-start frames by name
	}
	free(ti);
	dw_err rv = dw_findings_error(fs);
	return rv == DW_ENOMEM ? rv : DW_OK;
}

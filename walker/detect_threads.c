// Thread detectors that need no stack: Thread Age and Active Thread /
// Spiking Thread (ThreadInfoList times), Not My Thread (start addresses),
// Last Error Collection (each thread's TEB).
#include "walker/classify_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "walker/context.h"

// FILETIME (100 ns since 1601-01-01) to seconds since 1970.
#define FILETIME_UNIX_OFFSET 11644473600ull

static void
thread_age(dw_cx *cx)
{
	size_t                   n;
	const dw_md_thread_info *ti = dw_md_streams_thread_infos(cx->s, &n);
	const dw_md_header      *h  = dw_dump_header(cx->d);
	if (ti == NULL || n == 0) {
		dw_findings_need(cx->fs, DW_P_THREAD_AGE, "ThreadInfoList",
		                 "thread creation times come from ThreadInfoList "
		                 "(MiniDumpWithThreadInfo), which this dump does not have");
		return;
	}
	uint64_t now = h != NULL ? h->time_date_stamp : 0;
	if (now == 0) {
		dw_findings_need(cx->fs, DW_P_THREAD_AGE, "header TimeDateStamp",
		                 "the dump header has no time to measure thread ages against");
		return;
	}
	size_t   young = 0, counted = 0, oldest_i = 0, youngest_i = 0;
	uint64_t oldest = 0, youngest = UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		uint64_t s = ti[i].create_time / 10000000u;
		if (ti[i].create_time == 0 || s < FILETIME_UNIX_OFFSET || s - FILETIME_UNIX_OFFSET > now)
			continue;
		uint64_t age = now - (s - FILETIME_UNIX_OFFSET);
		counted++;
		if (age >= oldest) {
			oldest   = age;
			oldest_i = i;
		}
		if (age < youngest) {
			youngest   = age;
			youngest_i = i;
		}
		if (age <= cx->cfg->young_thread_s)
			young++;
	}
	if (counted == 0) {
		dw_findings_need(cx->fs, DW_P_THREAD_AGE, "ThreadInfoList CreateTime",
		                 "ThreadInfoList has no usable creation times");
		return;
	}
	dw_finding *f = dw_findings_add(
	    cx->fs, DW_P_THREAD_AGE, DW_CONF_CERTAIN,
	    "%zu thread ages at dump time: oldest %" PRIu64 " s (thread %u), youngest %" PRIu64
	    " s (thread %u); %zu created within %" PRIu64 " s of the dump",
	    counted, oldest, ti[oldest_i].thread_id, youngest, ti[youngest_i].thread_id, young,
	    cx->cfg->young_thread_s);
	const dw_md_misc_info *mi = dw_md_streams_misc_info(cx->s);
	if (mi != NULL && mi->has_process_times && mi->process_create_time <= now)
		dw_finding_value(cx->fs, f, "process age (s)", now - mi->process_create_time, NULL);
	dw_finding_thread(cx->fs, f, "oldest thread", ti[oldest_i].thread_id);
	dw_finding_thread(cx->fs, f, "youngest thread", ti[youngest_i].thread_id);
	for (size_t i = 0; i < n; i++) {
		uint64_t s = ti[i].create_time / 10000000u;
		if (ti[i].create_time == 0 || s < FILETIME_UNIX_OFFSET || s - FILETIME_UNIX_OFFSET > now)
			continue;
		uint64_t age = now - (s - FILETIME_UNIX_OFFSET);
		dw_finding_text(cx->fs, f, age <= cx->cfg->young_thread_s ? "young thread" : "thread age",
		                "thread %u created %" PRIu64 " s before the dump", ti[i].thread_id, age);
	}
}

static void
spiking(dw_cx *cx)
{
	size_t                   n;
	const dw_md_thread_info *ti = dw_md_streams_thread_infos(cx->s, &n);
	if (ti == NULL || n == 0) {
		dw_findings_need(cx->fs, DW_P_SPIKING, "ThreadInfoList",
		                 "CPU time per thread comes from ThreadInfoList; without it only the "
		                 "stacks (not parked in a wait) can point at an active thread");
		return;
	}
	uint64_t total = 0, best = 0;
	size_t   bi    = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t t = ti[i].user_time + ti[i].kernel_time;
		if (t < ti[i].user_time)
			t = UINT64_MAX;
		total = total + t < total ? UINT64_MAX : total + t;
		if (t > best) {
			best = t;
			bi   = i;
		}
	}
	if (total == 0)
		return;
	unsigned share = (unsigned)(100.0 * (double)best / (double)total);
	if (best < cx->cfg->spike_min_100ns || share < cx->cfg->spike_share_pct) {
		dw_finding *s = dw_findings_summary(cx->fs, DW_P_SPIKING,
		                                    "busiest thread %u: %.3f s of CPU, %u%% of all thread "
		                                    "time (below the spiking thresholds)",
		                                    ti[bi].thread_id, (double)best / 1e7, share);
		dw_finding_thread(cx->fs, s, "busiest thread", ti[bi].thread_id);
		return;
	}
	dw_finding *f = dw_findings_add(
	    cx->fs, DW_P_SPIKING, DW_CONF_LIKELY,
	    "thread %u used %.3f s of CPU (user %.3f s, kernel %.3f s), %u%% of all thread time; "
	    "whether it was running at the dump's moment shows in its stack",
	    ti[bi].thread_id, (double)best / 1e7, (double)ti[bi].user_time / 1e7,
	    (double)ti[bi].kernel_time / 1e7, share);
	dw_finding_thread(cx->fs, f, "spiking thread", ti[bi].thread_id);
	dw_finding_value(cx->fs, f, "user time (100 ns)", ti[bi].user_time, NULL);
	dw_finding_value(cx->fs, f, "kernel time (100 ns)", ti[bi].kernel_time, NULL);
	dw_finding_value(cx->fs, f, "share of thread time (%)", share, NULL);
	const dw_md_thread *t = dw_dump_thread_find(cx->d, ti[bi].thread_id);
	if (t != NULL && t->context != NULL) {
		char where[160];
		dw_classify__where(cx, dw_context_ip(t->context), where, sizeof(where));
		dw_finding_frame(cx->fs, f, "current instruction pointer", dw_context_ip(t->context),
		                 where);
	}
}

// The directory part of a path, without the final separator; 0 for none.
static size_t
dir_len(const char *path)
{
	size_t n = 0;
	for (size_t i = 0; path[i] != 0; i++)
		if (path[i] == '\\' || path[i] == '/')
			n = i;
	return n;
}

static void
not_my_thread(dw_cx *cx)
{
	size_t                   n;
	const dw_md_thread_info *ti = dw_md_streams_thread_infos(cx->s, &n);
	if (ti == NULL || n == 0) {
		dw_findings_need(cx->fs, DW_P_NOT_MY_THREAD, "ThreadInfoList",
		                 "thread start addresses come from ThreadInfoList");
		return;
	}
	if (cx->exe == NULL)
		return;
	size_t dl = dir_len(cx->exe->name);
	for (size_t i = 0; i < n; i++) {
		uint64_t start = ti[i].start_address;
		if (start == 0)
			continue;
		const dw_md_module *m = dw_dump_module_at(cx->d, start);
		char                where[160];
		dw_classify__where(cx, start, where, sizeof(where));
		if (m == NULL) {
			dw_finding *f = dw_findings_add(
			    cx->fs, DW_P_NOT_MY_THREAD, DW_CONF_LIKELY,
			    "thread %u starts at 0x%" PRIx64 ", outside every module (injected or "
			    "generated code)",
			    ti[i].thread_id, start);
			dw_finding_thread(cx->fs, f, "thread", ti[i].thread_id);
			dw_finding_address(cx->fs, f, "start address", start, where);
			continue;
		}
		if (m == cx->exe || dw_vml_is_system(m))
			continue;
		if (dl != 0 && strncasecmp(m->name, cx->exe->name, dl) == 0 &&
		    (m->name[dl] == '\\' || m->name[dl] == '/'))
			continue; // shipped beside the executable
		dw_finding *f = dw_findings_add(
		    cx->fs, DW_P_NOT_MY_THREAD, DW_CONF_LIKELY,
		    "thread %u starts in %s, which is neither the application's nor a Windows module",
		    ti[i].thread_id, m->basename);
		dw_finding_thread(cx->fs, f, "thread", ti[i].thread_id);
		dw_finding_frame(cx->fs, f, "start address", start, where);
		dw_finding_module(cx->fs, f, "start module", m->name, m->base);
	}
}

// TEB offsets (winternl / the public ntdll symbols' _TEB): LastErrorValue at
// 0x68 (x64) / 0x34 (x86); LastStatusValue at 0x1250 (x64) / 0xBF4 (x86).
static void
last_error(dw_cx *cx)
{
	size_t              n;
	const dw_md_thread *th = dw_dump_threads(cx->d, &n);
	if (n == 0)
		return;
	uint64_t    err_off = cx->ptr == 8 ? 0x68 : 0x34, st_off = cx->ptr == 8 ? 0x1250 : 0xBF4;
	size_t      read = 0, nonzero = 0;
	dw_finding *f = NULL;
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			uint32_t e, s;
			bool     has_e = th[i].teb != 0 && dw_classify__u32(cx, th[i].teb + err_off, &e);
			bool     has_s = th[i].teb != 0 && dw_classify__u32(cx, th[i].teb + st_off, &s);
			if (!has_e && !has_s)
				continue;
			if (pass == 0) {
				read++;
				nonzero += (has_e && e != 0) || (has_s && s != 0);
				continue;
			}
			if ((!has_e || e == 0) && (!has_s || s == 0))
				continue;
			const char *en = has_e ? dw_win32_error_name(e) : NULL;
			const char *sn = has_s ? dw_ntstatus_name(s) : NULL;
			dw_finding_thread(cx->fs, f, "thread", th[i].thread_id);
			if (has_e)
				dw_finding_value(cx->fs, f, "last error", e, en);
			if (has_s)
				dw_finding_value(cx->fs, f, "last status", s, sn);
		}
		if (pass == 0) {
			if (read == 0) {
				dw_findings_need(cx->fs, DW_P_LAST_ERROR, "TEB memory",
				                 "last errors live in each thread's TEB, which is not in the "
				                 "dump (MiniDumpWithProcessThreadData)");
				return;
			}
			if (nonzero == 0) {
				dw_findings_summary(cx->fs, DW_P_LAST_ERROR,
				                    "%zu TEBs read: every last error and last status is 0", read);
				return;
			}
			f = dw_findings_add(cx->fs, DW_P_LAST_ERROR, DW_CONF_CERTAIN,
			                    "%zu of %zu threads carry a last error or last status in their "
			                    "TEB",
			                    nonzero, read);
		}
	}
}

void
dw_classify__threads(dw_cx *cx)
{
	thread_age(cx);
	spiking(cx);
	not_my_thread(cx);
	last_error(cx);
}

// Handle Leak (HandleData counts by type, mutant owners) and Embedded
// Comments (CommentStreamA/W).
#include "walker/classify_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void
handle_leak(dw_cx *cx)
{
	const dw_md_handle_data *hd = dw_md_streams_handle_data(cx->s);
	if (hd == NULL) {
		dw_findings_need(cx->fs, DW_P_HANDLE_LEAK, "HandleData",
		                 "handle counts by type come from the HandleData stream "
		                 "(MiniDumpWithHandleData), which this dump does not have");
		return;
	}
	size_t                         ntypes, total;
	const dw_md_handle_type_count *tc = dw_md_streams_handle_type_counts(cx->s, &ntypes, &total);
	dw_finding *s = dw_findings_summary(cx->fs, DW_P_HANDLE_LEAK,
	                                    "%zu handles of %zu types (HandleData)", total, ntypes);
	dw_finding_value(cx->fs, s, "handles", total, NULL);
	for (size_t i = 0; tc != NULL && i < ntypes; i++)
		dw_finding_value(cx->fs, s, "handles of type", tc[i].count,
		                 tc[i].type_name[0] ? tc[i].type_name : "(no type name)");
	// Mutant owners: the thread that owns each named or owned mutex.
	for (size_t i = 0; i < hd->count; i++) {
		const dw_md_handle *h = &hd->handles[i];
		for (size_t k = 0; k < h->info_count; k++) {
			const dw_md_handle_object_info *oi = &h->infos[k];
			if (!oi->decoded || oi->type != DW_MD_HANDLE_INFO_MUTANT_2 ||
			    oi->u.mutant_owner.owner_thread_id == 0)
				continue;
			dw_finding_text(cx->fs, s, "mutant owner",
			                "handle 0x%" PRIx64 " %s owned by thread %" PRIu64
			                " (process %" PRIu64 ")",
			                h->handle, h->object_name ? h->object_name : "(unnamed)",
			                oi->u.mutant_owner.owner_thread_id,
			                oi->u.mutant_owner.owner_process_id);
		}
	}

	bool over_total = total > cx->cfg->handle_total;
	bool over_type  = tc != NULL && ntypes != 0 && tc[0].count > cx->cfg->handle_per_type;
	if (!over_total && !over_type)
		return;
	dw_finding *f;
	if (over_type)
		f = dw_findings_add(cx->fs, DW_P_HANDLE_LEAK, DW_CONF_LIKELY,
		                    "%zu %s handles (threshold %zu per type) of %zu in all: far above "
		                    "normal; a second dump showing growth would make it certain",
		                    tc[0].count, tc[0].type_name[0] ? tc[0].type_name : "untyped",
		                    cx->cfg->handle_per_type, total);
	else
		f = dw_findings_add(cx->fs, DW_P_HANDLE_LEAK, DW_CONF_LIKELY,
		                    "%zu handles in all (threshold %zu): far above normal", total,
		                    cx->cfg->handle_total);
	dw_finding_value(cx->fs, f, "handles", total, NULL);
	for (size_t i = 0; tc != NULL && i < ntypes && i < 8; i++)
		dw_finding_value(cx->fs, f, "handles of type", tc[i].count,
		                 tc[i].type_name[0] ? tc[i].type_name : "(no type name)");
	// A few names of the leading type, as samples.
	size_t shown = 0;
	for (size_t i = 0; over_type && i < hd->count && shown < 5; i++) {
		const dw_md_handle *h = &hd->handles[i];
		if (h->type_name != NULL && strcmp(h->type_name, tc[0].type_name) == 0 &&
		    h->object_name != NULL && h->object_name[0] != 0) {
			dw_finding_text(cx->fs, f, "sample handle", "0x%" PRIx64 " %s", h->handle,
			                h->object_name);
			shown++;
		}
	}
}

static void
comments(dw_cx *cx)
{
	size_t               n;
	const dw_md_comment *c = dw_md_streams_comments(cx->s, &n);
	if (c == NULL || n == 0)
		return;
	dw_finding *f = dw_findings_add(cx->fs, DW_P_COMMENTS, DW_CONF_CERTAIN,
	                                "%zu comment stream%s written into the dump", n,
	                                n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		dw_finding_text(cx->fs, f,
		                c[i].stream_type == DW_MD_STREAM_COMMENT_W ? "comment (CommentStreamW)"
		                                                           : "comment (CommentStreamA)",
		                "%.400s", c[i].text != NULL ? c[i].text : "");
}

void
dw_classify__handles(dw_cx *cx)
{
	handle_leak(cx);
	comments(cx);
}

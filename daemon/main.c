// daemon/main.c - dumpwalkd: load the configuration, start the server, and
// turn signals into actions: SIGTERM/SIGINT drain and exit, SIGHUP reloads.
//
// Signals are blocked in every thread (nng's included, which inherit the
// mask) and taken synchronously here with sigtimedwait, so no handler runs
// in the middle of a request.
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/server.h"
#include "daemon/server_int.h"

// Every analysis allocates and frees its working memory (the dump's arena,
// the walk's frames, the report): a 1 MiB stack_overflow.dmp takes a few
// MiB. With glibc's defaults a worker's arena returns its free top to the
// kernel past 128 KiB (M_TRIM_THRESHOLD), and blocks past the mmap threshold
// are mmap'd and unmapped each time, so the next analysis takes the same
// pages back one fault at a time. Kept instead, each worker reuses the memory
// of its last analysis: the daemon's RSS stays at its workers' high-water
// mark, which is what it needs under load anyway.
#define DWD_MALLOC_TRIM_THRESHOLD (64 << 20)
#define DWD_MALLOC_MMAP_THRESHOLD (32 << 20)

int
main(int argc, char **argv)
{
	mallopt(M_TRIM_THRESHOLD, DWD_MALLOC_TRIM_THRESHOLD);
	mallopt(M_MMAP_THRESHOLD, DWD_MALLOC_MMAP_THRESHOLD);

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	dwd_config cfg;
	bool       help, check;
	char       err[1024];
	if (!dwd_config_load(&cfg, argc, argv, &help, &check, err, sizeof(err))) {
		fprintf(stderr, "dumpwalkd: %s\n", err);
		return 2;
	}
	if (help) {
		dwd_config_usage(stdout);
		dwd_config_fini(&cfg);
		return 0;
	}
	if (check) {
		dwd_config_print(&cfg, stdout);
		dwd_config_fini(&cfg);
		return 0;
	}
	dwd_server *s = dwd_server_start(&cfg);
	if (s == NULL)
		return 1;

	for (;;) {
		struct timespec ts  = {1, 0};
		int             sig = sigtimedwait(&set, NULL, &ts);
		if (sig < 0) {
			dwd_uploads_expire(s);
			continue;
		}
		if (sig == SIGHUP) {
			dwd_config nc;
			if (!dwd_config_load(&nc, argc, argv, &help, &check, err, sizeof(err))) {
				char q[1100];
				dwd_log(DWD_ERROR, "reload_failed", "error=%s note=\"keeping the old "
				                                    "configuration\"",
				        dwd_log_quote(q, sizeof(q), err));
				continue;
			}
			dwd_server_reload(s, &nc);
			continue;
		}
		dwd_log(DWD_INFO, "signal", "signal=%s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}
	unsigned lost = dwd_server_drain(s);
	return lost == 0 ? 0 : 1;
}

#define _GNU_SOURCE
#include "tests/integration/daemon_proc.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

int
dp_free_port(void)
{
	int                s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family         = AF_INET;
	a.sin_addr.s_addr    = htonl(INADDR_LOOPBACK);
	cr_assert_geq(s, 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	getsockname(s, (struct sockaddr *)&a, &l);
	close(s);
	return ntohs(a.sin_port);
}

dwc_client *
dp_client(const char *url, const char *token, const char *ca, unsigned timeout_ms,
          unsigned retries)
{
	const char     *servers[1] = {url};
	dwc_client_opts o          = {0};
	o.servers                  = servers;
	o.nservers                 = 1;
	o.token                    = token;
	o.tls_ca_file              = ca;
	o.tls_server_name          = ca != NULL ? "localhost" : NULL;
	o.timeout_ms               = timeout_ms;
	o.retries                  = retries;
	dwc_client *c;
	dwc_status  st;
	cr_assert_eq(dwc_client_open(&c, &o, &st), 0, "client: %s", st.message);
	return c;
}

char *
dp_http_get(int port, const char *path)
{
	int                s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family         = AF_INET;
	a.sin_port           = htons((uint16_t)port);
	a.sin_addr.s_addr    = htonl(INADDR_LOOPBACK);
	struct timeval tv    = {5, 0};
	cr_assert_geq(s, 0);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	cr_assert_eq(connect(s, (struct sockaddr *)&a, sizeof(a)), 0, "port %d", port);
	char req[256];
	int  n = snprintf(req, sizeof(req),
	                  "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
	cr_assert_eq(write(s, req, (size_t)n), n);
	size_t  cap = 1 << 20, len = 0;
	char   *buf = malloc(cap);
	cr_assert_not_null(buf);
	ssize_t r;
	while (len < cap - 1 && (r = read(s, buf + len, cap - 1 - len)) > 0)
		len += (size_t)r;
	buf[len] = 0;
	close(s);
	return buf;
}

pid_t
dp_spawn(const char *cfg, const char *log)
{
	const char *exe = getenv("DUMPWALKD");
	cr_assert_not_null(exe, "DUMPWALKD not set");
	char *argv[] = {(char *)exe, (char *)"--config", (char *)cfg, NULL};
	int   logfd  = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(logfd, 0, "%s", log);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(0);
		dup2(logfd, 2);
		execv(exe, argv);
		_exit(127);
	}
	close(logfd);
	return pid;
}

void
dp_wait_healthy(pid_t pid, dwc_client *c, const char *log, unsigned seconds)
{
	for (unsigned i = 0; i < seconds * 20; i++) {
		Dumpwalk__V1__HealthReply *h;
		dwc_status                 st;
		if (dwc_client_health(c, &h, &st) == 0) {
			dumpwalk__v1__health_reply__free_unpacked(h, NULL);
			dwc_client_close(c);
			return;
		}
		int status;
		cr_assert_eq(waitpid(pid, &status, WNOHANG), 0, "dumpwalkd exited; see %s", log);
		sleep_ms(50);
	}
	cr_assert_fail("dumpwalkd did not answer Health within %u s; see %s", seconds, log);
}

static int
remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb, (void)type, (void)ftw;
	remove(path);
	return 0;
}

int
dp_stop(pid_t pid, const char *dir)
{
	if (pid <= 0)
		return 0;
	kill(pid, SIGTERM);
	int rc = -1;
	for (int i = 0; i < 400 && rc == -1; i++) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid)
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		else
			sleep_ms(25);
	}
	if (rc == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (rc == 0 && dir != NULL && dir[0] != 0)
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}

pid_t
dp_start(const char *dir, const char *config, dwc_client *c, unsigned seconds)
{
	char cfg[600], log[600];
	snprintf(cfg, sizeof(cfg), "%s/dumpwalkd.ini", dir);
	snprintf(log, sizeof(log), "%s/dumpwalkd.log", dir);
	FILE *f = fopen(cfg, "w");
	cr_assert_not_null(f, "cannot write %s", cfg);
	fputs(config, f);
	fclose(f);
	pid_t pid = dp_spawn(cfg, log);
	dp_wait_healthy(pid, c, log, seconds);
	return pid;
}

char *
dp_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot read %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	cr_assert_geq(n, 0, "cannot size %s", path);
	char *b = malloc((size_t)n + 1);
	cr_assert_not_null(b);
	size_t r = fread(b, 1, (size_t)n, f);
	b[r]     = 0;
	fclose(f);
	if (len != NULL)
		*len = r;
	return b;
}

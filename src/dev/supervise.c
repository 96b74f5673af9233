/* supervise.c - see supervise.h. */
#define _GNU_SOURCE
#include "dev/supervise.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

/* After SIGKILL: how long the program, then the rest of its group, may take to go. */
#define KILL_WAIT_MS  2000
#define DRAIN_WAIT_MS 2000

struct supervisor {
	struct argv_array argv; /* copy of opts->argv */
	struct argv_array env;  /* copy of opts->env */
	int *fds;               /* copy of opts->fds */
	size_t nfds;
	int stdin_fd, stdout_fd, stderr_fd;
	int no_listen_pid;
	int stop_signal;
	int64_t grace_ms;

	pid_t pid;        /* running program (= its process group); 0 when none */
	int pidfd;        /* its pidfd; -1 when none */
	int64_t start_ns; /* monotonic time it was started */
	int64_t delay_ms; /* last restart delay; 0 after supervise_reset_backoff() */
	char marker[64];  /* "GOLIVE_RUN=<our pid>.<n>" in the running program's environment */
	int swept;        /* processes sweep_marked() killed when the last run ended */
};

/* Runs started by this process: each program's marker is unique to it. */
static unsigned run_seq;

/* Everything the child needs, prepared before fork: it only makes async-signal-safe calls. */
struct child_plan {
	const char *path; /* resolved program */
	char **argv;      /* argv for execve */
	char **envp;      /* environment for execve */
	char *listen_pid; /* "LISTEN_PID=" + room for the pid, in envp; NULL without fds */
	const int *fds;   /* to become 3, 4, ... */
	int *high;        /* scratch, nfds entries */
	size_t nfds;
	int stdin_fd;  /* -1: inherit */
	int stdout_fd; /* -1: inherit */
	int stderr_fd; /* -1: inherit */
	int err_fd;    /* CLOEXEC pipe: errno of a failed start, EOF on exec */
	pid_t parent;  /* for the PR_SET_PDEATHSIG race check */
};

int supervise_init_process(char **cause)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		*cause = xasprintf("cannot become a child subreaper: %s", strerror(errno));
		return -1;
	}
	return 0;
}

struct supervisor *supervise_new(const struct supervise_opts *opts)
{
	struct supervisor *s = xcalloc(1, sizeof(*s));
	if (!opts->argv || !opts->argv[0])
		BUG("supervise_new without a program");
	for (size_t i = 0; opts->argv[i]; i++)
		argv_push(&s->argv, opts->argv[i]);
	for (size_t i = 0; opts->env && opts->env[i]; i++)
		argv_push(&s->env, opts->env[i]);
	if (opts->nfds) {
		s->fds = xmalloc(opts->nfds * sizeof(*s->fds));
		memcpy(s->fds, opts->fds, opts->nfds * sizeof(*s->fds));
	}
	s->nfds = opts->nfds;
	s->stdin_fd = opts->stdin_fd;
	s->stdout_fd = opts->stdout_fd;
	s->stderr_fd = opts->stderr_fd;
	s->no_listen_pid = opts->no_listen_pid;
	s->stop_signal = opts->stop_signal ? opts->stop_signal : SIGTERM;
	s->grace_ms = opts->grace_ms > 0 ? opts->grace_ms : SUPERVISE_GRACE_MS;
	s->pidfd = -1;
	return s;
}

pid_t supervise_pid(const struct supervisor *s)
{
	return s->pid;
}

int supervise_pidfd(const struct supervisor *s)
{
	return s->pidfd;
}

void supervise_reset_backoff(struct supervisor *s)
{
	s->delay_ms = 0;
}

int64_t supervise_backoff_ms(int64_t prev_ms, int64_t ran_ms)
{
	if (prev_ms <= 0 || ran_ms >= SUPERVISE_BACKOFF_RESET_MS)
		return SUPERVISE_BACKOFF_MIN_MS;
	if (prev_ms >= SUPERVISE_BACKOFF_MAX_MS / 2)
		return SUPERVISE_BACKOFF_MAX_MS;
	return prev_ms * 2;
}

/*
 * The program to execve: argv0 itself when it has a '/', else the first
 * executable regular file named argv0 in a PATH directory. NULL with errno
 * (ENOENT, or EACCES when only non-executable ones were found).
 */
static char *find_program(const char *argv0)
{
	const char *path = getenv("PATH");
	int err = ENOENT;

	if (strchr(argv0, '/'))
		return xstrdup(argv0);
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		char *cand = end == p ? xasprintf("./%s", argv0)
		                      : xasprintf("%.*s/%s", (int)(end - p), p, argv0);
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(cand, X_OK) == 0)
				return cand;
			err = EACCES;
		}
		free(cand);
		if (!*end)
			break;
		p = end;
	}
	errno = err;
	return NULL;
}

/* True when the environment entry e sets a variable that the child gets from elsewhere. */
static int env_replaced(const char *e, const struct argv_array *add)
{
	static const char *const listen[] = {"LISTEN_PID=", "LISTEN_FDS=", "LISTEN_FDNAMES="};
	size_t n = strcspn(e, "=");

	for (size_t i = 0; i < ARRAY_SIZE(listen); i++)
		if (starts_with(e, listen[i]))
			return 1;
	for (size_t i = 0; i < add->argc; i++)
		if (!strncmp(add->argv[i], e, n) && add->argv[i][n] == '=')
			return 1;
	return 0;
}

/* Writes v in decimal at buf (room for 20 digits), NUL-terminated; async-signal-safe. */
static void put_decimal(char *buf, long v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n)
		*buf++ = tmp[--n];
	*buf = '\0';
}

/*
 * In the forked child: set up and execve. Only async-signal-safe calls
 * (plus prctl, close_range: plain system calls). Never returns; on failure
 * errno goes up the error pipe and the child exits 127.
 */
static NORETURN void child_exec(const struct child_plan *p)
{
	struct sigaction dfl;
	sigset_t none;
	int lo = 3 + (int)p->nfds;
	int err_fd = p->err_fd, in = -1, out = -1, errout = -1, fd;

	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		goto fail;
	if (getppid() != p->parent)
		_exit(127); /* golive died before PR_SET_PDEATHSIG took effect */

	/* Everything to a free spot above the targets first, so no source is overwritten. */
	if ((fd = fcntl(err_fd, F_DUPFD_CLOEXEC, lo)) < 0)
		goto fail;
	err_fd = fd;
	if (p->stdin_fd >= 0 && (in = fcntl(p->stdin_fd, F_DUPFD_CLOEXEC, lo)) < 0)
		goto fail;
	if (p->stdout_fd >= 0 && (out = fcntl(p->stdout_fd, F_DUPFD_CLOEXEC, lo)) < 0)
		goto fail;
	if (p->stderr_fd >= 0 && (errout = fcntl(p->stderr_fd, F_DUPFD_CLOEXEC, lo)) < 0)
		goto fail;
	for (size_t i = 0; i < p->nfds; i++)
		if ((p->high[i] = fcntl(p->fds[i], F_DUPFD_CLOEXEC, lo)) < 0)
			goto fail;
	if (in >= 0 && dup2(in, 0) < 0)
		goto fail;
	if (out >= 0 && dup2(out, 1) < 0)
		goto fail;
	if (errout >= 0 && dup2(errout, 2) < 0)
		goto fail;
	for (size_t i = 0; i < p->nfds; i++)
		if (dup2(p->high[i], 3 + (int)i) < 0)
			goto fail;
	/* Nothing else leaks in; the scratch copies and the error pipe close on exec. */
	close_range((unsigned)lo, ~0U, CLOSE_RANGE_CLOEXEC);

	if (p->listen_pid)
		put_decimal(p->listen_pid + sizeof("LISTEN_PID=") - 1, (long)getpid());

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL); /* refused for glibc's reserved signals */
	/*
	 * glibc's sigaction() refuses its reserved signals (32, 33), so one that
	 * golive inherited as ignored would stay ignored in the program: reset
	 * them with the system call itself (SIG_DFL needs no restorer).
	 */
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask;
	} kdfl = {SIG_DFL, 0, NULL, 0};
	for (int sig = 32; sig < SIGRTMIN; sig++)
		syscall(SYS_rt_sigaction, sig, &kdfl, NULL, sizeof(kdfl.mask));
	/*
	 * The raw system call, not sigprocmask(): glibc never touches its two
	 * reserved signals (32, 33), so a mask inherited with them blocked would
	 * reach the program. The kernel's sigset is 8 bytes on Linux.
	 */
	sigemptyset(&none);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, (size_t)(_NSIG / 8));

	execve(p->path, p->argv, p->envp);
fail:;
	int e = errno;
	ssize_t w = write(err_fd, &e, sizeof(e));
	(void)w;
	_exit(127);
}

int supervise_start(struct supervisor *s, char **cause)
{
	ARRAY(char *) envp = ARRAY_INIT;
	struct child_plan plan;
	char *listen_fds = NULL;
	sigset_t all, old;
	int pipefd[2] = {-1, -1};
	int ret = -1, child_errno = 0;
	pid_t pid;
	ssize_t n;

	memset(&plan, 0, sizeof(plan));
	if (s->pid) {
		*cause = xasprintf("%s is already running (pid %d)", s->argv.argv[0], (int)s->pid);
		return -1;
	}
	plan.path = find_program(s->argv.argv[0]);
	if (!plan.path) {
		*cause = xasprintf("cannot run %s: %s", s->argv.argv[0], strerror(errno));
		return -1;
	}

	for (char **e = environ; e && *e; e++)
		if (!env_replaced(*e, &s->env))
			ARRAY_PUSH(envp, *e);
	for (size_t i = 0; i < s->env.argc; i++)
		ARRAY_PUSH(envp, s->env.argv[i]);
	snprintf(s->marker, sizeof(s->marker), "%s=%d.%u", SUPERVISE_MARKER_ENV, (int)getpid(),
	         ++run_seq);
	ARRAY_PUSH(envp, s->marker);
	if (s->nfds) {
		listen_fds = xasprintf("LISTEN_FDS=%zu", s->nfds);
		ARRAY_PUSH(envp, listen_fds);
		if (!s->no_listen_pid) {
			plan.listen_pid = xmalloc(strlen("LISTEN_PID=") + 24);
			strcpy(plan.listen_pid, "LISTEN_PID=0");
			ARRAY_PUSH(envp, plan.listen_pid);
		}
		plan.high = xmalloc(s->nfds * sizeof(*plan.high));
	}
	ARRAY_PUSH(envp, NULL);

	plan.argv = s->argv.argv;
	plan.envp = envp.v;
	plan.fds = s->fds;
	plan.nfds = s->nfds;
	plan.stdin_fd = s->stdin_fd;
	plan.stdout_fd = s->stdout_fd;
	plan.stderr_fd = s->stderr_fd;
	plan.parent = getpid();
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		*cause = xasprintf("cannot run %s: pipe: %s", s->argv.argv[0], strerror(errno));
		goto out;
	}
	plan.err_fd = pipefd[1];

	/* No handler of golive's may run in the child before its dispositions are reset. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		child_exec(&plan);
	int fork_errno = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(pipefd[1]);
	if (pid < 0) {
		*cause =
		    xasprintf("cannot run %s: fork: %s", s->argv.argv[0], strerror(fork_errno));
		goto out;
	}
	setpgid(pid, pid); /* also here, so the group exists when we return; EACCES after exec */

	do {
		n = read(pipefd[0], &child_errno, sizeof(child_errno));
	} while (n < 0 && errno == EINTR);
	if (n != 0) {
		int status;
		if (n != (ssize_t)sizeof(child_errno))
			child_errno = n < 0 ? errno : EIO;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		*cause = xasprintf("cannot run %s: %s", s->argv.argv[0], strerror(child_errno));
		goto out;
	}

	s->pidfd = pidfd_open(pid, 0);
	if (s->pidfd < 0) {
		int status, e = errno;
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		*cause = xasprintf("cannot watch %s: pidfd_open: %s", s->argv.argv[0], strerror(e));
		goto out;
	}
	s->pid = pid;
	s->start_ns = now_mono_ns();
	ret = 0;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	free((char *)plan.path);
	free(plan.listen_pid);
	free(plan.high);
	free(listen_fds);
	ARRAY_FREE(envp);
	return ret;
}

/* Waits up to ms for the pidfd to become readable: 1 when it did, 0 on timeout, -1 with errno. */
static int wait_ended(int pidfd, int64_t ms)
{
	int64_t deadline = now_mono_ns() + ms * 1000000;
	for (;;) {
		struct pollfd pfd = {pidfd, POLLIN, 0};
		int64_t left = (deadline - now_mono_ns() + 999999) / 1000000;
		int r = poll(&pfd, 1, left > 0 ? (int)left : 0);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = {0, ms * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * The program has ended (a zombie, not yet reaped, so its pid still names
 * the group): SIGKILL what is left of its group, reap the program into
 * *status, reap the members that are our children (reparented to us, the
 * subreaper) and wait, bounded, until the group is empty. The supervisor
 * no longer runs anything afterwards. Returns 0, or -1 with *cause.
 */
static int finish(struct supervisor *s, int *status, char **cause)
{
	pid_t pg = s->pid;
	int64_t deadline;
	int st, ret = 0;

	kill(-pg, SIGKILL);
	while (waitpid(pg, status, 0) < 0) {
		if (errno != EINTR) {
			*cause = xasprintf("cannot wait for pid %d: %s", (int)pg, strerror(errno));
			ret = -1;
			goto out;
		}
	}
	deadline = now_mono_ns() + (int64_t)DRAIN_WAIT_MS * 1000000;
	for (;;) {
		while (waitpid(-pg, &st, WNOHANG) > 0)
			;
		if (kill(-pg, SIGKILL) < 0 && errno == ESRCH)
			break;
		if (now_mono_ns() > deadline) {
			*cause =
			    xasprintf("process group %d is still there after SIGKILL", (int)pg);
			ret = -1;
			break;
		}
		sleep_ms(1); /* only after SIGKILL, while the last members die */
	}
out:
	/* and what it set loose from its group (setsid) */
	s->swept = keeper_sweep_marked(s->marker, 0);
	s->marker[0] = '\0';
	close(s->pidfd);
	s->pidfd = -1;
	s->pid = 0;
	return ret;
}

static void fill_exit(struct supervise_exit *ex, pid_t pid, int status, int64_t start_ns)
{
	ex->pid = pid;
	ex->status = status;
	ex->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	ex->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	ex->ran_ms = (now_mono_ns() - start_ns) / 1000000;
}

int supervise_reap(struct supervisor *s, struct supervise_exit *ex, char **cause)
{
	siginfo_t info;
	pid_t pid = s->pid;
	int status = 0;
	int64_t start_ns = s->start_ns;

	memset(ex, 0, sizeof(*ex));
	if (!pid)
		return 0;
	/* Look without reaping: the zombie keeps the group's id ours while the rest is killed. */
	memset(&info, 0, sizeof(info));
	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
		if (errno != EINTR) {
			*cause = xasprintf("cannot wait for pid %d: %s", (int)pid, strerror(errno));
			return -1;
		}
	}
	if (info.si_pid == 0)
		return 0;
	if (finish(s, &status, cause) < 0)
		return -1;
	fill_exit(ex, pid, status, start_ns);
	s->delay_ms = supervise_backoff_ms(s->delay_ms, ex->ran_ms);
	ex->restart_delay_ms = s->delay_ms;
	return 1;
}

int supervise_stop(struct supervisor *s, struct supervise_exit *ex, char **cause)
{
	pid_t pid = s->pid;
	int status = 0, r;
	int64_t start_ns = s->start_ns;

	memset(ex, 0, sizeof(*ex));
	if (!pid)
		return 0;
	kill(-pid, s->stop_signal);
	r = wait_ended(s->pidfd, s->grace_ms);
	if (r == 0) {
		kill(-pid, SIGKILL);
		ex->killed = 1;
		r = wait_ended(s->pidfd, KILL_WAIT_MS);
	}
	if (r <= 0) {
		*cause = r < 0 ? xasprintf("cannot wait for pid %d: %s", (int)pid, strerror(errno))
		               : xasprintf("pid %d is still running after SIGKILL", (int)pid);
		return -1;
	}
	if (finish(s, &status, cause) < 0)
		return -1;
	fill_exit(ex, pid, status, start_ns);
	return 0;
}

void supervise_free(struct supervisor *s)
{
	if (!s)
		return;
	if (s->pid) {
		char *cause = NULL;
		int status;
		kill(-s->pid, SIGKILL);
		if (wait_ended(s->pidfd, KILL_WAIT_MS) > 0)
			finish(s, &status, &cause);
		else
			close(s->pidfd); /* cannot happen short of a process stuck in the kernel */
		free(cause);
	}
	argv_clear(&s->argv);
	argv_clear(&s->env);
	free(s->fds);
	free(s);
}

int supervise_swept(const struct supervisor *s)
{
	return s->swept;
}

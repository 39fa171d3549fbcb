// SPDX-License-Identifier: GPL-2.0
/*
 * kfault-user: the fault sweep from user space, run inside a UML boot.
 *
 *	kfault-user PLAN RECORDS [OP NTH]
 *	kfault-user PLAN RECORDS only OP ID
 *
 * PLAN is written by the harness (harness/kfault/engine/userspace.py): for each
 * operation, "op NAME pages=0|1 threads=0|1", the leak check's scope ("scope DIR/" or
 * "scope [module]", any number), then its steps, each "setup STEP",
 * "step STEP" or "teardown STEP", then "end".  A STEP is one of
 *
 *	insmod PATH [PARAMS]	finit_module()
 *	rmmod NAME		delete_module(O_NONBLOCK)
 *	open SLOT PATH r|w|rw	open() into one of 8 descriptor slots
 *	close SLOT
 *	read SLOT LEN
 *	write SLOT TEXT		TEXT with \n, \t, \s (space), \\ escapes
 *	ioctl SLOT REQ [ARG]	ARG: N, u32:N, u64:N (a pointer to it),
 *				ptrlen:N (a pointer to {u64 ptr, u64 len} of N bytes),
 *				or hex:HH... (a pointer to those bytes: a struct)
 *	echo TEXT PATH		open, write, close: a sysfs attribute
 *
 * The engine is the kernel's: the kfault library's debugfs kfault/user
 * (kunit/kfault/user.c) counts, arms and judges exactly as the op sweeps
 * do.  For each operation: one run with nothing armed (it warms what is
 * made once), then point 0, the counting run: the STEP steps' allocations
 * are counted, each with its site's id; then points 1..N, each failing
 * counted event K alone, found again by its site and occurrence whatever
 * the kernel's bookkeeping did meanwhile.  A point runs in a child process
 * of its own (its pid names its kmemleak objects): the setup steps, the
 * steps armed, the answer ("fired", "site", the failure's "frame"s), the
 * teardown steps (clone(CLONE_VM | CLONE_VFORK): it runs in this process's
 * memory while this one waits).  Then the parent asks for the leak check ("end": the call
 * sites in scope whose live count grew, deferred frees run first) and
 * drains the kernel's messages of the point (/dev/kmsg).  Every record is
 * one line of RECORDS (read by harness/kfault/engine/userspace.py); "begin" is on
 * the host's disk before the point starts, so a point that crashes the
 * kernel is known.  OP NTH resumes after that point; "only OP ID" runs the
 * counting run and then the one point with that id.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <linux/types.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_STEPS	64
#define SLOTS		8
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_SKIP	4	/* kunit/kfault/internal.h: KFAULT_MAX_SKIP */

enum phase { SETUP, STEP, TEARDOWN };

struct step {
	enum phase phase;
	char *text;
};

struct op {
	char name[128];
	int pages;
	int threads;			/* a KUnit module's case threads count */
	int nr_scope;
	char *scope[16];		/* "dir/" prefixes and "[module]" */
	int nr_steps;
	struct step steps[MAX_STEPS];
};

static int records = -1;
static int kmsg = -1;
/*
 * A point's process shares this one's memory (clone(CLONE_VM | CLONE_VFORK),
 * as posix_spawn() does: a fork costs some 25 ms under UML) while this one
 * waits: these tell it apart.
 */
static int in_child;
static int muted;		/* a point not recorded */

static void flush(void);

static void die(const char *what)
{
	if (records >= 0)
		flush();	/* what was measured before: kept */
	fprintf(stderr, "kfault-user: %s: %s\n", what, strerror(errno));
	if (in_child)
		_exit(2);
	exit(2);
}

/*
 * Records are gathered and written at a point's milestones (flush()): each
 * write reaches the host through hostfs, which costs more than a point's
 * syscalls.  A write is on the host once it returns: a kernel crash loses
 * only what was not flushed yet.
 */
static char pending[64 * 1024];
static size_t pending_len;

static void flush(void)
{
	size_t done = 0;
	ssize_t got;

	while (done < pending_len) {
		got = write(records, pending + done, pending_len - done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			pending_len = 0;
			die("write records");
		}
		done += got;
	}
	pending_len = 0;
}

static void record(const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	int len;

	if (muted)
		return;
	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if (len > (int)sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	if (pending_len + len > sizeof(pending))
		flush();
	memcpy(pending + pending_len, line, len);
	pending_len += len;
}

static char *read_file(const char *path, size_t *size)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY);
	ssize_t got;

	if (fd < 0 || !buf)
		die(path);
	for (;;) {
		if (len + 4096 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				die("realloc");
		}
		got = read(fd, buf + len, cap - len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			die(path);
		if (!got)
			break;
		len += got;
	}
	close(fd);
	buf[len] = '\0';
	if (size)
		*size = len;
	return buf;
}

/* The kernel's messages since the last drain, one record each. */
static void drain_kmsg(const char *op, int nth)
{
	char buf[8192], *msg, *end, *p;
	ssize_t got;

	for (;;) {
		got = read(kmsg, buf, sizeof(buf) - 1);
		if (got < 0 && errno == EPIPE) {
			record("kmsg-lost %s %d", op, nth);
			continue;
		}
		if (got <= 0)
			return;
		buf[got] = '\0';
		msg = strchr(buf, ';');
		if (!msg)
			continue;
		msg++;
		end = strchr(msg, '\n');
		if (end)
			*end = '\0';
		for (p = msg; *p; p++)
			if ((unsigned char)*p < ' ')
				*p = ' ';
		record("kmsg %s %d %s", op, nth, msg);
	}
}

static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			*out++ = *s;
			continue;
		}
		s++;
		*out++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s == 's' ? ' ' : *s;
	}
	*out = '\0';
}

static int fds[SLOTS];
/*
 * Opened before the task is armed, so that the armed steps make only their
 * own allocations: the module file of an insmod step, and the directory of
 * an open or echo step's file (the path walk over the host's root, hostfs,
 * allocates a name per directory, and not the same number every run).
 */
static int module_fd[MAX_STEPS];
static int dir_fd[MAX_STEPS];

/* The file name an open or echo step opens relative to dir_fd. */
static const char *leaf(const char *path, int dirfd)
{
	const char *slash = strrchr(path, '/');

	return dirfd >= 0 && slash ? slash + 1 : path;
}

static int slot(const char *s)
{
	int n = atoi(s);

	return n >= 0 && n < SLOTS ? n : 0;
}

/* One step; its result as -errno, or what the call returned (>= 0). */

/* HEX (two digits a byte) into out; the byte count, or -1 if it is not hex or too long. */
static size_t unhex(const char *hex, unsigned char *out, size_t size)
{
	size_t n = 0;
	unsigned int byte;

	while (hex[0] && hex[1]) {
		if (n == size || !isxdigit((unsigned char)hex[0]) ||
		    !isxdigit((unsigned char)hex[1]) || sscanf(hex, "%2x", &byte) != 1)
			return (size_t)-1;
		out[n++] = byte;
		hex += 2;
	}
	return hex[0] ? (size_t)-1 : n;
}

static long run_step(const char *text, int modfd, int dirfd)
{
	char buf[1024], *argv[8], *save = NULL, data[4096];
	unsigned long long num;
	struct { __u64 ptr, len; } pl;
	long ret;
	int argc = 0, fd, flags;
	void *arg;

	snprintf(buf, sizeof(buf), "%s", text);
	for (char *t = strtok_r(buf, " ", &save); t && argc < 8;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	if (!argc)
		return -EINVAL;
	errno = 0;
	if (!strcmp(argv[0], "insmod") && argc >= 2) {
		if (modfd < 0)
			return -EBADF;
		ret = syscall(SYS_finit_module, modfd, argc > 2 ? argv[2] : "", 0);
		return ret < 0 ? -errno : ret;
	}
	if (!strcmp(argv[0], "rmmod") && argc == 2) {
		ret = syscall(SYS_delete_module, argv[1], O_NONBLOCK);
	} else if (!strcmp(argv[0], "open") && argc == 4) {
		flags = !strcmp(argv[3], "r") ? O_RDONLY :
			!strcmp(argv[3], "w") ? O_WRONLY : O_RDWR;
		ret = openat(dirfd >= 0 ? dirfd : AT_FDCWD, leaf(argv[2], dirfd),
			     flags | O_CLOEXEC);
		if (ret >= 0)
			fds[slot(argv[1])] = ret;
	} else if (!strcmp(argv[0], "close") && argc == 2) {
		ret = close(fds[slot(argv[1])]);
		fds[slot(argv[1])] = -1;
	} else if (!strcmp(argv[0], "read") && argc == 3) {
		num = strtoull(argv[2], NULL, 0);
		ret = read(fds[slot(argv[1])], data,
			   num < sizeof(data) ? num : sizeof(data));
	} else if (!strcmp(argv[0], "write") && argc == 3) {
		unescape(argv[2]);
		ret = write(fds[slot(argv[1])], argv[2], strlen(argv[2]));
	} else if (!strcmp(argv[0], "echo") && argc == 3) {
		unescape(argv[1]);
		fd = openat(dirfd >= 0 ? dirfd : AT_FDCWD, leaf(argv[2], dirfd),
			    O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		ret = write(fd, argv[1], strlen(argv[1]));
		ret = ret < 0 ? -errno : ret;
		close(fd);
		return ret;
	} else if (!strcmp(argv[0], "ioctl") && argc >= 3) {
		arg = NULL;
		if (argc == 4 && !strncmp(argv[3], "u64:", 4)) {
			*(__u64 *)data = strtoull(argv[3] + 4, NULL, 0);
			arg = data;
		} else if (argc == 4 && !strncmp(argv[3], "u32:", 4)) {
			*(__u32 *)data = strtoul(argv[3] + 4, NULL, 0);
			arg = data;
		} else if (argc == 4 && !strncmp(argv[3], "ptrlen:", 7)) {
			num = strtoull(argv[3] + 7, NULL, 0);
			if (num > sizeof(data))
				return -E2BIG;
			memset(data, 0x5a, num);
			pl.ptr = (uintptr_t)data;
			pl.len = num;
			arg = &pl;
		} else if (argc == 4 && !strncmp(argv[3], "hex:", 4)) {
			num = unhex(argv[3] + 4, (unsigned char *)data, sizeof(data));
			if (num == (size_t)-1)
				return -EINVAL;
			arg = data;
		} else if (argc == 4) {
			arg = (void *)(uintptr_t)strtoull(argv[3], NULL, 0);
		}
		ret = ioctl(fds[slot(argv[1])], strtoul(argv[2], NULL, 0), arg);
	} else {
		return -EINVAL;
	}
	return ret < 0 ? -errno : ret;
}

static void write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		die(path);
	close(fd);
}

static const char *phase_name(enum phase phase)
{
	return phase == SETUP ? "setup" : phase == STEP ? "step" : "teardown";
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The engine: debugfs kfault/user, one command per write. */
static int engine = -1;
static char answer[32768];

static int command(const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0 || len >= (int)sizeof(buf))
		return -EINVAL;
	return write(engine, buf, len) == len ? 0 : -errno;
}

/* The engine's answer to the last command, NUL-terminated. */
static const char *ask(void)
{
	ssize_t got = pread(engine, answer, sizeof(answer) - 1, 0);

	answer[got > 0 ? got : 0] = '\0';
	return answer;
}

/* Each line of the answer as a record: "WORD OP NTH REST". */
static void record_answer(const char *op, int nth, const char *text)
{
	char *copy = strdup(text), *line, *next, *sp;

	if (!copy)
		die("strdup");
	for (line = copy; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		record("%s %s %d %s", line, op, nth, sp + 1);
	}
	free(copy);
}

/*
 * The child: the steps, the writer's task armed around the STEP ones
 * (nth 0: counted), the engine's answer recorded before the teardown (the
 * failure's frames are named while what failed is loaded).  Nothing but
 * the steps runs while armed: their results are recorded afterwards.
 */
struct point {
	struct op *op;
	int nth, skip;
};

static int point_child(void *arg)
{
	struct op *op = ((struct point *)arg)->op;
	int nth = ((struct point *)arg)->nth, skip = ((struct point *)arg)->skip;
	long ret[MAX_STEPS];
	int i, armed = 0, err;

	in_child = 1;
	record("pid %s %d %d", op->name, nth, getpid());

	for (i = 0; i < SLOTS; i++)
		fds[i] = -1;
	for (i = 0; i < op->nr_steps; i++) {
		char path[1024], *slash;
		int slot_nr;

		module_fd[i] = -1;
		dir_fd[i] = -1;
		if (sscanf(op->steps[i].text, "insmod %1023s", path) == 1) {
			module_fd[i] = open(path, O_RDONLY | O_CLOEXEC);
			continue;
		}
		if (op->steps[i].phase != STEP ||
		    (sscanf(op->steps[i].text, "open %d %1023s", &slot_nr, path) != 2 &&
		     sscanf(op->steps[i].text, "echo %*s %1023s", path) != 1))
			continue;
		slash = strrchr(path, '/');
		if (!slash || slash == path)
			continue;
		*slash = '\0';
		dir_fd[i] = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	for (i = 0; i <= op->nr_steps; i++) {
		int phase = i < op->nr_steps ? (int)op->steps[i].phase : TEARDOWN;

		if (phase == STEP && !armed && nth >= 0) {
			err = nth ? command("fail %d %d", nth, skip) : command("count");
			if (err) {
				errno = -err;
				die("arm kfault/user");
			}
			armed = 1;
		}
		if (phase == TEARDOWN && armed) {
			if (command("stop"))
				die("stop kfault/user");
			armed = 0;
			record_answer(op->name, nth, ask());
			/* on the host before a teardown that may crash */
			flush();
		}
		if (i < op->nr_steps)
			ret[i] = run_step(op->steps[i].text, module_fd[i], dir_fd[i]);
	}
	for (i = 0; i < op->nr_steps; i++)
		record("step %s %d %d %s %ld", op->name, nth, i,
		       phase_name(op->steps[i].phase), ret[i]);
	for (i = 0; i < SLOTS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (i = 0; i < op->nr_steps; i++) {
		if (module_fd[i] >= 0)
			close(module_fd[i]);
		if (dir_fd[i] >= 0)
			close(dir_fd[i]);
	}
	_exit(0);
}

/* glibc's clone() aligns the stack pointer it is given */
static long child_stack[32 * 1024];

/*
 * One point (nth -1: the warm-up, nothing armed, nothing recorded; quiet:
 * the counting run of a resumed operation, not recorded either).  Returns
 * what the engine answered after the steps: 1 the failure hit its counted
 * event, 0 it did not fire, 2 it fired elsewhere; 3 a bookkeeping failure
 * was rearmed past and nothing more fired.
 */
static int run_point(struct op *op, int nth, int skip, int quiet)
{
	int fired = 0, hit = 0, rearmed = 0, got;
	const char *text;
	struct point pt = { op, nth, skip };
	double start = now();
	int status;
	pid_t pid;

	drain_kmsg(op->name, -1);
	quiet |= nth < 0;
	if (!quiet) {
		record("begin %s %d", op->name, nth);
		flush();
	}
	if (command("begin"))
		die("begin kfault/user");
	if (!quiet)
		record_answer(op->name, nth, ask());	/* "since": kmemleak's time */
	muted = quiet;
	/*
	 * The compiler does not know the child runs in this memory: without
	 * the barriers it drops the store above (seen with gcc 12 -O2).
	 */
	__asm__ __volatile__("" ::: "memory");
	pid = clone(point_child, child_stack + ARRAY_SIZE(child_stack),
		    CLONE_VM | CLONE_VFORK | SIGCHLD, &pt);
	__asm__ __volatile__("" ::: "memory");
	in_child = 0;
	muted = 0;
	if (pid < 0)
		die("clone");
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	text = ask();
	got = sscanf(text, "fired %d %*x %*x %d %d", &fired, &hit, &rearmed);
	if (quiet) {
		command("end");
		drain_kmsg(op->name, -1);
		return 0;
	}
	if (command("end"))
		die("end kfault/user");
	record_answer(op->name, nth, ask());
	drain_kmsg(op->name, nth);
	record("end %s %d %d %.3f", op->name, nth,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
	       now() - start);
	flush();
	if (got != 3)
		return 0;
	return fired ? (hit ? 1 : 2) : rearmed ? 3 : 0;
}

/*
 * Point k as the op sweeps run it (kunit/kfault/sweep.c: kfault_point()):
 * again when its arming event did not come, and with one more allocation
 * let through while the failure went elsewhere or only a bookkeeping
 * allocation failed.  The last attempt's records are the point's.
 */
static void sweep_point(struct op *op, int nth)
{
	int skip, got;

	for (skip = 0; skip <= MAX_SKIP; skip++) {
		got = run_point(op, nth, skip, 0);
		if (!got && !skip)
			got = run_point(op, nth, skip, 0);
		if (got == 1 || !got)
			return;
	}
}

/* The counting run's answer: "events N TOTAL", then lines "ids FIRST ID...". */
static int count_ids(unsigned int *ids, int max)
{
	const char *text, *p;
	int n = 0, total, i;

	if (command("ids"))
		return -1;
	text = ask();
	if (sscanf(text, "events %d %d", &n, &total) != 2)
		return -1;
	i = 0;
	for (p = strstr(text, "\nids "); p; p = strstr(p, "\nids ")) {
		char *end;
		long first = strtol(p + 5, &end, 10);

		if (first != i + 1)
			return -1;
		for (p = end; *p == ' ' && i < max && i < n; i++) {
			ids[i] = strtoul(p, &end, 16);
			p = end;
		}
	}
	return i < n ? -1 : n;
}

/* The scope of an operation's leak check, and a fresh engine for it. */
static void set_scope(struct op *op)
{
	char dirs[512] = "", mods[512] = "";
	size_t dl = 0, ml = 0;
	int i;

	for (i = 0; i < op->nr_scope; i++) {
		const char *s = op->scope[i];

		if (s[0] == '[')
			ml += snprintf(mods + ml, sizeof(mods) - ml, " %.*s",
				       (int)strcspn(s + 1, "]"), s + 1);
		else
			dl += snprintf(dirs + dl, sizeof(dirs) - dl, "%s%s",
				       dl ? "," : "", s);
		if (dl >= sizeof(dirs) || ml >= sizeof(mods)) {
			fprintf(stderr, "kfault-user: scope of %s too long\n", op->name);
			exit(2);
		}
	}
	if (command("scope %s%s", dl ? dirs : "-", mods))
		die("scope kfault/user");
}

static int read_plan(const char *path, struct op *ops, int max)
{
	char *text = read_file(path, NULL), *line, *next, *sp;
	int nr = -1;
	struct op *op;

	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		sp = strchr(line, ' ');
		if (!strncmp(line, "op ", 3) && nr + 1 < max) {
			op = &ops[++nr];
			memset(op, 0, sizeof(*op));
			if (sscanf(line + 3, "%127s pages=%d threads=%d", op->name,
				   &op->pages, &op->threads) < 1)
				nr--;
		} else if (nr >= 0 && !strncmp(line, "scope ", 6)) {
			if (ops[nr].nr_scope < 16)
				ops[nr].scope[ops[nr].nr_scope++] = line + 6;
		} else if (nr >= 0 && sp && ops[nr].nr_steps < MAX_STEPS) {
			op = &ops[nr];
			*sp = '\0';
			op->steps[op->nr_steps].phase = !strcmp(line, "setup") ? SETUP :
				!strcmp(line, "step") ? STEP : TEARDOWN;
			op->steps[op->nr_steps++].text = sp + 1;
		}
	}
	return nr + 1;
}

static int find_op(struct op *ops, int nr, const char *name)
{
	int i;

	for (i = 0; i < nr; i++)
		if (!strcmp(ops[i].name, name))
			return i;
	return -1;
}

int main(int argc, char **argv)
{
	static struct op ops[64];
	static unsigned int ids[4096];
	int from[64] = { 0 }, run[64];
	unsigned int only_id = 0;
	int nr, i, j = -1, k, n, only = 0;

	if (argc != 3 && argc != 5 && !(argc == 6 && !strcmp(argv[3], "only"))) {
		fprintf(stderr, "usage: kfault-user PLAN RECORDS [OP NTH]\n"
			"       kfault-user PLAN RECORDS only OP ID\n");
		return 2;
	}
	nr = read_plan(argv[1], ops, 64);
	if (argc == 6) {
		only = 1;
		j = find_op(ops, nr, argv[4]);
		only_id = strtoul(argv[5], NULL, 16);
	} else if (argc == 5) {
		j = find_op(ops, nr, argv[3]);
	}
	for (i = 0; i < nr; i++)
		run[i] = argc == 3 || (j >= 0 && (only ? i == j : i >= j));
	if (argc == 5 && j >= 0)
		from[j] = atoi(argv[4]) + 1;
	records = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (records < 0)
		die(argv[2]);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg < 0)
		die("/dev/kmsg");
	lseek(kmsg, 0, SEEK_END);
	engine = open("/sys/kernel/debug/kfault/user", O_RDWR | O_CLOEXEC);
	if (engine < 0)
		die("/sys/kernel/debug/kfault/user");
	for (i = 0; i < nr; i++) {
		struct op *op = &ops[i];

		if (!run[i])
			continue;
		set_scope(op);
		if (command("threads %d", op->threads))
			die("threads kfault/user");
		write_str("/sys/kernel/debug/fail_page_alloc/min-order",
			  op->pages ? "0" : "11");
		record("op %s pages=%d", op->name, op->pages);
		run_point(op, -1, 0, 1);	/* made once: not counted */
		run_point(op, 0, 0, from[i] > 0 || only);
		n = count_ids(ids, ARRAY_SIZE(ids));
		if (n < 0) {
			fprintf(stderr, "kfault-user: %s: no count: %s\n", op->name, answer);
			return 2;
		}
		/* a resumed operation's points need their ids all the same */
		if (from[i] > 0 || only)
			record_answer(op->name, 0, answer);
		if (only) {
			for (k = 1; k <= n && ids[k - 1] != only_id; k++)
				;
			if (k > n) {
				record("missing %s %08x %d", op->name, only_id, n);
				continue;
			}
			sweep_point(op, k);
			continue;
		}
		for (k = from[i] ? from[i] : 1; k <= n; k++)
			sweep_point(op, k);
		record("done %s %d", op->name, n);
		flush();
	}
	record("finished");
	flush();
	fsync(records);
	return 0;
}

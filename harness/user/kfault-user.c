// SPDX-License-Identifier: GPL-2.0
/*
 * kfault-user: the fault sweep from user space, run inside a UML boot.
 *
 *	kfault-user PLAN RECORDS [OP NTH [only [COUNT]]]
 *	kfault-user PLAN RECORDS windows OP FIRST COUNT [OP FIRST COUNT ...]
 *
 * PLAN is written by the harness (harness/usersweep.py): for each
 * operation, "op NAME pages=0|1", the leak check's scope ("scope dir/" or
 * "scope [module]", any number), then its steps, each "setup STEP",
 * "step STEP" or "teardown STEP", then "end".  A STEP is one of
 *
 *	insmod PATH [PARAMS]	finit_module()
 *	rmmod NAME		delete_module(O_NONBLOCK)
 *	open SLOT PATH r|w|rw	open() into one of 8 descriptor slots
 *	close SLOT
 *	read SLOT LEN
 *	write SLOT TEXT		TEXT with \n, \t, \s (space), \\ escapes
 *	ioctl SLOT REQ [ARG]	ARG: N, u32:N, u64:N (a pointer to it), or
 *				ptrlen:N (a pointer to {u64 ptr, u64 len} of N bytes)
 *	echo TEXT PATH		open, write, close: a sysfs attribute
 *
 * For each operation, points nth = 0 (nothing armed; run twice, the first
 * run only warms what is made once), 1, 2, ... until the armed failure no
 * longer fires.  A point runs in a child process of its own (its pid
 * names its kmemleak objects): the setup steps, then N written to
 * /proc/thread-self/fail-nth, the steps, fail-nth read back (0: the
 * failure fired) and restored to 0, then the teardown steps.  The parent
 * reads /proc/allocinfo before and after the point and records each call
 * site whose live count grew, and the kernel's messages of the point
 * (/dev/kmsg), and the failed allocations' kmem events with their stacks
 * (tracefs, set up by harness/user/usersweep-init.sh).  Every record is one
 * line of RECORDS (read by harness/engine/userspace.py); "begin" is on the
 * host's disk before the point starts, so a point that crashes the kernel
 * is known.  OP NTH resumes after that point; with "only", the COUNT
 * (default 1) points after it alone are run (after the warm-up run), to
 * reproduce one.  "windows OP
 * FIRST COUNT ..." runs those points of those operations only: a second
 * pass, in one boot.
 */
#define _GNU_SOURCE
#include <errno.h>
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
#define MAX_NTH		4000
#define SLOTS		8
#define TAG_BUCKETS	32768

enum phase { SETUP, STEP, TEARDOWN };

struct step {
	enum phase phase;
	char *text;
};

struct op {
	char name[128];
	int pages;
	int nr_scope;
	char *scope[16];		/* "dir/" prefixes and "[module]" */
	int nr_steps;
	struct step steps[MAX_STEPS];
};

struct tag {
	char *name;
	long long bytes;
	long long calls;
};

struct snapshot {
	struct tag *slots;
	char *text;
};

static int records = -1;
static int kmsg = -1;

static void die(const char *what)
{
	fprintf(stderr, "kfault-user: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void record(const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if (len > (int)sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	if (write(records, line, len) != len)
		die("write records");
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

static unsigned int hash(const char *s)
{
	unsigned int h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct tag *lookup(struct snapshot *snap, const char *name, int add)
{
	unsigned int i = hash(name) & (TAG_BUCKETS - 1);

	while (snap->slots[i].name) {
		if (!strcmp(snap->slots[i].name, name))
			return &snap->slots[i];
		i = (i + 1) & (TAG_BUCKETS - 1);
	}
	if (!add)
		return NULL;
	snap->slots[i].name = (char *)name;
	return &snap->slots[i];
}

/* /proc/allocinfo: "  <bytes> <calls> file:line [module] func:name" */
static void snapshot(struct snapshot *snap)
{
	char *line, *next, *p;
	long long bytes, calls;
	struct tag *t;

	snap->text = read_file("/proc/allocinfo", NULL);
	snap->slots = calloc(TAG_BUCKETS, sizeof(*snap->slots));
	if (!snap->slots)
		die("calloc");
	for (line = snap->text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		bytes = strtoll(line, &p, 10);
		if (p == line)
			continue;
		calls = strtoll(p, &p, 10);
		while (*p == ' ')
			p++;
		if (!*p)
			continue;
		t = lookup(snap, p, 1);
		t->bytes = bytes;
		t->calls = calls;
	}
}

static void release(struct snapshot *snap)
{
	free(snap->slots);
	free(snap->text);
}

static int in_scope(struct op *op, const char *tag)
{
	int i;

	for (i = 0; i < op->nr_scope; i++)
		if (op->scope[i][0] == '[' ? !!strstr(tag, op->scope[i]) :
		    !strncmp(tag, op->scope[i], strlen(op->scope[i])))
			return 1;
	return 0;
}

/* Call sites in scope whose live count grew: "alloc OP NTH BYTES CALLS TAG" */
static int grown(struct snapshot *before, struct snapshot *after,
		 struct op *op, int nth, int print)
{
	int i, found = 0;
	struct tag *a, *b;

	for (i = 0; i < TAG_BUCKETS; i++) {
		a = &after->slots[i];
		if (!a->name || !in_scope(op, a->name))
			continue;
		b = lookup(before, a->name, 0);
		if (a->calls <= (b ? b->calls : 0) && a->bytes <= (b ? b->bytes : 0))
			continue;
		found++;
		if (print)
			record("alloc %s %d %lld %lld %s", op->name, nth,
			       a->bytes - (b ? b->bytes : 0),
			       a->calls - (b ? b->calls : 0), a->name);
	}
	return found;
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

/* The failed allocations' trace events since the last drain, then clear. */
static void drain_trace(const char *op, int nth)
{
	const char *path = "/sys/kernel/tracing/trace";
	char *text, *line, *next;
	int fd;

	if (access(path, R_OK))
		return;
	text = read_file(path, NULL);
	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line && *line != '#' && nth >= 0)
			record("trace %s %d %s", op, nth, line);
	}
	free(text);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd >= 0)
		close(fd);
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
 * Opened before fail-nth is armed, so that the armed steps make only their
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

/* fail-nth read back (0: the failure fired) and set to 0 again */
static int disarm(int fd)
{
	char buf[32] = "";

	if (pread(fd, buf, sizeof(buf) - 1, 0) < 0)
		die("read fail-nth");
	if (pwrite(fd, "0", 1, 0) < 0)
		die("restore fail-nth");
	return atoi(buf);
}

/*
 * The child: the steps, fail-nth armed around the STEP ones.  Nothing but
 * the steps runs while armed: their results are recorded afterwards.
 * Exits 1 when the armed failure did not fire.
 */
static void point_child(struct op *op, int nth)
{
	long ret[MAX_STEPS];
	char buf[32];
	int fd, i, armed = 0, left = -1;

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
	fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (fd < 0)
		die("/proc/thread-self/fail-nth");
	for (i = 0; i < op->nr_steps; i++) {
		if (op->steps[i].phase == STEP && !armed && nth > 0) {
			snprintf(buf, sizeof(buf), "%d", nth);
			if (pwrite(fd, buf, strlen(buf), 0) < 0)
				die("write fail-nth");
			armed = 1;
		}
		if (op->steps[i].phase == TEARDOWN && armed) {
			left = disarm(fd);
			armed = 0;
			/* while what failed is loaded: its symbols name the stack */
			drain_trace(op->name, nth);
		}
		ret[i] = run_step(op->steps[i].text, module_fd[i], dir_fd[i]);
	}
	if (armed) {
		left = disarm(fd);
		drain_trace(op->name, nth);
	}
	for (i = 0; i < op->nr_steps; i++)
		record("step %s %d %d %s %ld", op->name, nth, i,
		       phase_name(op->steps[i].phase), ret[i]);
	if (nth > 0)
		record("fired %s %d %d %d", op->name, nth, !left, left);
	for (i = 0; i < SLOTS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (i = 0; i < op->nr_steps; i++) {
		if (module_fd[i] >= 0)
			close(module_fd[i]);
		if (dir_fd[i] >= 0)
			close(dir_fd[i]);
	}
	exit(left > 0);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One point; returns whether its armed failure fired (1 for nth 0). */
static int run_point(struct op *op, int nth, int quiet)
{
	struct snapshot before, after;
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	int status, tries, found = 0, fired;
	double start = now();
	pid_t pid;

	drain_kmsg(op->name, -1);
	drain_trace(op->name, -1);
	if (!quiet) {
		record("begin %s %d", op->name, nth);
		fsync(records);
	}
	snapshot(&before);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		if (quiet)
			records = open("/dev/null", O_WRONLY);
		else
			record("pid %s %d %d", op->name, nth, getpid());
		point_child(op, nth);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	/* frees deferred to RCU or a workqueue: look again, a little later */
	for (tries = 0; tries < 6; tries++) {
		snapshot(&after);
		found = grown(&before, &after, op, nth, 0);
		if (!found || tries == 5)
			break;
		release(&after);
		nanosleep(&pause, NULL);
	}
	if (!quiet)
		grown(&before, &after, op, nth, 1);
	release(&before);
	release(&after);
	if (quiet) {
		drain_kmsg(op->name, -1);
		drain_trace(op->name, -1);
		return 1;
	}
	drain_kmsg(op->name, nth);
	/* the child exits 1 when its armed failure did not fire */
	fired = !(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	record("end %s %d %d %.3f", op->name, nth,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
	       now() - start);
	fsync(records);
	return fired;
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
			if (sscanf(line + 3, "%127s pages=%d", op->name,
				   &op->pages) < 1)
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
	/* per op: first nth, last nth (0: until one does not fire), run it? */
	int from[64] = { 0 }, last_nth[64] = { 0 }, run[64];
	int nr, i, j, nth;

	if (argc < 3 || argc == 4) {
		fprintf(stderr, "usage: kfault-user PLAN RECORDS [OP NTH [only [COUNT]]]\n"
			"       kfault-user PLAN RECORDS windows OP FIRST COUNT...\n");
		return 2;
	}
	nr = read_plan(argv[1], ops, 64);
	for (i = 0; i < nr; i++)
		run[i] = 1;
	if (argc > 3 && !strcmp(argv[3], "windows")) {
		/* a second pass: the listed windows only */
		for (i = 0; i < nr; i++)
			run[i] = 0;
		for (j = 4; j + 2 < argc; j += 3) {
			i = find_op(ops, nr, argv[j]);
			if (i < 0)
				continue;
			run[i] = 1;
			from[i] = atoi(argv[j + 1]);
			last_nth[i] = from[i] + atoi(argv[j + 2]) - 1;
		}
	} else if (argc > 4) {
		/* resume after OP NTH; with "only", COUNT points of OP alone */
		j = find_op(ops, nr, argv[3]);
		for (i = 0; i < nr; i++) {
			run[i] = j >= 0 && i >= j;
			if (argc > 5 && !strcmp(argv[5], "only"))
				run[i] = i == j;
		}
		if (j >= 0) {
			from[j] = atoi(argv[4]) + 1;
			if (argc > 5 && !strcmp(argv[5], "only"))
				last_nth[j] = from[j] + (argc > 6 ? atoi(argv[6]) : 1) - 1;
		}
	}
	records = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (records < 0)
		die(argv[2]);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg < 0)
		die("/dev/kmsg");
	lseek(kmsg, 0, SEEK_END);
	for (i = 0; i < nr; i++) {
		struct op *op = &ops[i];

		if (!run[i])
			continue;
		write_str("/sys/kernel/debug/fail_page_alloc/min-order",
			  op->pages ? "0" : "11");
		record("op %s pages=%d", op->name, op->pages);
		if (!from[i] || last_nth[i])
			run_point(op, 0, 1);	/* made once: not counted */
		for (nth = from[i]; nth <= MAX_NTH; nth++)
			if ((!run_point(op, nth, 0) && nth > 0) ||
			    (last_nth[i] && nth >= last_nth[i]))
				break;
		if (!last_nth[i])
			record("done %s %d", op->name, nth);
		fsync(records);
	}
	record("finished");
	fsync(records);
	return 0;
}

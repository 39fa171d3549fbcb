// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: the op sweeps' engine, driven from user space.
 *
 * harness/kfault/user/kfault-user.c sweeps module loads and system calls from a
 * program.  Instead of a bare /proc/thread-self/fail-nth, which counts every
 * allocation of the task, the kernel's own bookkeeping included, it asks
 * this file, debugfs kfault/user, for the counting, arming and judging the
 * op sweeps use (probes.c, ids.c): each write(2) is one command, and a
 * read(2) after it gives the answer.
 *
 *	scope DIRS [MODULE ...]	the leak check's call sites: built-in code
 *				under DIRS (comma-separated, "-" for none)
 *				and each MODULE's own
 *	begin			a point starts: the counts of the built-in
 *				call sites in scope are noted; answers
 *				"since JIFFIES"
 *	threads 0|1		1: a KUnit test module's case threads count
 *				as the writer's task while it waits for them
 *	count			count the allocations of the writer's task
 *	fail K [SKIP]		fail the allocation of counted event K (with
 *				SKIP, the SKIP-th allocation after it)
 *	stop			disarm; answers "events", "ids" (FIRST ID...) after count,
 *				"fired", "site", "frame" after fail
 *	ids			answers the last count's "events" and "ids"
 *	end			a point ends: deferred frees run, then
 *				"until JIFFIES" and the call sites in scope
 *				whose live count grew, as "leak" lines
 *
 * "since" and "until" bound the point in kmemleak's time ("jiffies" of
 * each object): an object allocated between them is the point's, whichever
 * thread allocated it (a KUnit module's case threads, a worker).
 *
 * Events and sites are the any-suite sweeps' (no target text): each
 * allocation's site is its allocation tag - function, file and line - and
 * the function inside the API that allocated, so that ids are of the same
 * kind as the in-kernel sweeps' and an allocation of the kernel's that comes
 * and goes moves the occurrences of its own site only.  Bookkeeping (slab
 * pages and extension vectors, kmemleak's metadata) is no event.
 *
 * A module's call sites can only be read while it is loaded: when a module
 * in scope goes (unloaded, or its init failed), its live counts are read
 * after deferred frees ran, and kept for the point's "end".
 *
 * What is out of reach: only the writer's task counts (should_fail_ex()
 * counts fail_nth in task context only); the work a system call hands to
 * another context (async probe, work items, kthreads) is neither counted
 * nor failed.  A KUnit test module's code runs guarded (modsuites.c): a
 * kernel-mode fault in its cases' kthreads ends that call, not the boot.
 * A page allocation's failure reaches no tracepoint: its site
 * is the counted event's, its stack in the FAULT_INJECTION dump.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"

#define KFAULT_USER_MODS	8
/*
 * A module load makes some 600 allocations (lib/list-test.ko), a netdevsim
 * device some 500: more than the op sweeps' KFAULT_MAX_NTH.
 */
#define KFAULT_USER_MAX_NTH	2048
#define KFAULT_USER_IDS_LINE	64	/* ids per "ids" line */
#define KFAULT_USER_OUT		(32 * 1024)
#define KFAULT_USER_TRIES	6	/* leak check: settle and look, this often */
#define KFAULT_USER_WAIT_MS	50	/* ... this long apart */

struct kfault_user {
	struct mutex lock;		/* one command at a time */
	struct kfault_target target;
	char srcdir[256];
	char mods[KFAULT_USER_MODS][MODULE_NAME_LEN];
	unsigned int nr_mods;
	struct kfault_env *env;
	u32 *hash;			/* the engine's events' hashes */
	u32 expect[KFAULT_USER_MAX_NTH];	/* the counting run's hashes */
	unsigned int events;		/* ... and how many */
	unsigned int total;		/* ... beyond KFAULT_USER_MAX_NTH too */
	unsigned int nth;		/* the armed point, 0 counting */
	char gone[KFAULT_TEXT_LEN * 2];	/* leaks of modules gone */
	size_t gone_len;
	bool threads;			/* "threads 1": case threads count */
	char (*symbols)[KFAULT_SYM_LEN];
	char *out;
	size_t out_len;
	struct notifier_block nb;
};

static struct kfault_user *kfault_user;
static DEFINE_MUTEX(kfault_user_lock);

static void kfault_user_say(struct kfault_user *u, const char *fmt, ...)
{
	va_list ap;

	if (u->out_len >= KFAULT_USER_OUT - 1)
		return;
	va_start(ap, fmt);
	u->out_len += vscnprintf(u->out + u->out_len,
				 KFAULT_USER_OUT - u->out_len, fmt, ap);
	va_end(ap);
}

#ifdef CONFIG_MODULES
static bool kfault_user_scoped(struct kfault_user *u, const char *name)
{
	unsigned int i;

	for (i = 0; i < u->nr_mods; i++)
		if (!strcmp(u->mods[i], name))
			return true;
	return false;
}

/* A module's own call sites whose live count is not zero: "leak" lines. */
static void kfault_user_module_leaks(struct kfault_user *u, struct module *mod)
{
	struct alloc_tag *tag, *start, *stop;
	struct alloc_tag_counters c;

	preempt_disable();
	start = (void *)find_kallsyms_symbol_value(mod, "__start_alloc_tags");
	stop = (void *)find_kallsyms_symbol_value(mod, "__stop_alloc_tags");
	preempt_enable();
	if (!start || !stop)
		return;
	for (tag = start; tag < stop; tag++) {
		if (!tag->ct.function || kfault_is_bookkeeping(tag->ct.function))
			continue;
		c = alloc_tag_read(tag);
		if (c.calls <= 0 && c.bytes <= 0)
			continue;
		if (u->gone_len < sizeof(u->gone) - 1)
			u->gone_len += scnprintf(u->gone + u->gone_len,
						 sizeof(u->gone) - u->gone_len,
						 "leak %s:%u [%s] %s %lld %lld\n",
						 tag->ct.filename, tag->ct.lineno,
						 mod->name, tag->ct.function,
						 c.calls, c.bytes);
	}
}

static int kfault_user_module(struct notifier_block *nb, unsigned long state,
			      void *data)
{
	struct kfault_user *u = container_of(nb, struct kfault_user, nb);
	struct module *mod = data;

	kfault_mods_module(mod, state);
	if (state != MODULE_STATE_GOING || !kfault_user_scoped(u, mod->name))
		return NOTIFY_DONE;
	/* the module's exit ran; its RCU and workqueue frees may not have */
	kfault_settle();
	kvfree_rcu_barrier();
	kfault_user_module_leaks(u, mod);
	return NOTIFY_DONE;
}
#else
static int kfault_user_module(struct notifier_block *nb, unsigned long state,
			      void *data)
{
	return NOTIFY_DONE;
}
#endif

/* "scope DIRS [MODULE ...]": a fresh environment for that scope. */
static int kfault_user_scope(struct kfault_user *u, char *args)
{
	char *dirs = strsep(&args, " "), *mod;
	struct kfault_env *env;

	if (!dirs || !*dirs)
		return -EINVAL;
	if (u->env) {
		u->env->catch.symbols = NULL;
		kfault_env_exit(u->env);
		u->env = NULL;
	}
	strscpy(u->srcdir, strcmp(dirs, "-") ? dirs : "", sizeof(u->srcdir));
	u->nr_mods = 0;
	while ((mod = strsep(&args, " "))) {
		if (!*mod)
			continue;
		if (u->nr_mods == KFAULT_USER_MODS)
			return -E2BIG;
		strscpy(u->mods[u->nr_mods++], mod, MODULE_NAME_LEN);
	}
	u->target.name = "user";
	u->target.srcdir = u->srcdir;
	u->target.prefix = "";
	env = kfault_env_init(&u->target);
	if (IS_ERR(env))
		return PTR_ERR(env);
	env->catch.symbols = u->symbols;
	env->catch.hash = u->hash;
	env->catch.max_events = KFAULT_USER_MAX_NTH;
	u->env = env;
	u->events = 0;
	return 0;
}

/*
 * Arm the writer's task: nth 0 counts, nth k fails counted event k - or,
 * with skip, the skip-th allocation after it (an allocation no probe saw
 * came in between: a failed bookkeeping one, rearmed past).
 */
static int kfault_user_arm(struct kfault_user *u, unsigned int nth,
			   unsigned int skip)
{
	struct kfault_catch *c = &u->env->catch;

	if (c->armed)
		return -EBUSY;
	if (nth > u->events)
		return -ERANGE;
	u->nth = nth;
	kfault_catch_arm(c, u->expect, nth, 1 + skip);
	c->stack_filter = false;
	kfault_console_mark(&u->env->console);
	WRITE_ONCE(current->fail_nth, nth == 1 ? 1 + skip : 0);
	WRITE_ONCE(c->armed, current);
	return 0;
}

static const char * const kfault_nesting_names[] = {
	[KFAULT_DIRECT] = "direct",
	[KFAULT_INTERNAL] = "internal",
	[KFAULT_BOOKKEEPING] = "bookkeeping",
};

static void kfault_user_say_site(struct kfault_user *u,
				 const struct kfault_site *s)
{
	kfault_user_say(u, "site %s %s %s %s %s %u %s\n",
			s->attr[0] ? s->attr : "-",
			s->allocator[0] ? s->allocator : "-",
			s->inner[0] ? s->inner : "-",
			s->caller[0] ? s->caller : "-",
			s->file[0] ? s->file : "-", s->line,
			kfault_nesting_names[s->nested]);
}

/* The counting run's events, and the id of each point. */
static void kfault_user_say_ids(struct kfault_user *u)
{
	unsigned int i;

	kfault_user_say(u, "events %u %u\n", u->events, u->total);
	for (i = 1; i <= u->events; i++) {
		if (i % KFAULT_USER_IDS_LINE == 1)
			kfault_user_say(u, "ids %u", i);
		kfault_user_say(u, " %08x", kfault_expect_id(u->expect, i));
		if (i % KFAULT_USER_IDS_LINE == 0 || i == u->events)
			kfault_user_say(u, "\n");
	}
}

/*
 * "threads 1": a KUnit test module's code, run in KUnit's kthreads through
 * modsuites.c, while the armed task - the one loading the module - waits
 * for the thread in kunit_try_catch_run().  For each such call the thread
 * is armed in the task's stead: its allocations are events of the step, in
 * the order they come, and the task's fail_nth is its until it gives it
 * back.  Sound because the two never run at once: the task sleeps until
 * the thread is done.  Returns the task to give back to, or NULL.
 */
struct task_struct *kfault_user_lend(void)
{
	struct kfault_user *u = READ_ONCE(kfault_user);
	struct task_struct *from;
	struct kfault_catch *c;

	if (!u || !u->threads || !u->env)
		return NULL;
	c = &u->env->catch;
	from = READ_ONCE(c->armed);
	if (!from || from == current)
		return NULL;
	WRITE_ONCE(current->fail_nth, READ_ONCE(from->fail_nth));
	WRITE_ONCE(from->fail_nth, 0);
	WRITE_ONCE(c->armed, current);
	return from;
}

void kfault_user_give_back(struct task_struct *to)
{
	struct kfault_user *u = READ_ONCE(kfault_user);

	if (!to || !u || !u->env)
		return;
	WRITE_ONCE(to->fail_nth, READ_ONCE(current->fail_nth));
	WRITE_ONCE(current->fail_nth, 0);
	cmpxchg(&u->env->catch.armed, current, to);
}

/* "stop": disarm and answer what the armed run saw. */
static int kfault_user_stop(struct kfault_user *u)
{
	struct kfault_catch *c = &u->env->catch;
	struct kfault_site site = { };
	struct kfault_result res = { };
	unsigned int i, n;
	bool fired;

	if (c->armed != current)
		return -EINVAL;
	WRITE_ONCE(c->armed, NULL);
	fired = c->fail_armed && !READ_ONCE(current->fail_nth);
	WRITE_ONCE(current->fail_nth, 0);
	u->out_len = 0;
	if (!u->nth) {
		n = kfault_catch_kept(c);
		memcpy(u->expect, c->hash, n * sizeof(u->expect[0]));
		u->events = n;
		u->total = c->events;
		kfault_user_say_ids(u);
		return 0;
	}
	if (fired && c->captured) {
		site = c->cap;
	} else if (fired) {
		/*
		 * A page: the console's dump says where; the failure came
		 * right after the arming event, so it is that event's site.
		 */
		kfault_console_scan(&u->env->console, &u->env->text, &site,
				    &res);
		site.hash = u->expect[u->nth - 1];
		site.occurrence = kfault_occurrence(u->expect, u->nth - 1,
						    site.hash);
	}
	site.id = kfault_site_id(&site);
	kfault_user_say(u, "fired %d %08x %08x %d %u %u\n", fired, site.id,
			kfault_expect_id(u->expect, u->nth),
			fired && kfault_hit(&site, u->expect, u->nth),
			c->rearmed, c->events);
	if (!fired)
		return 0;
	kfault_user_say_site(u, &site);
	for (i = 0; c->captured && i < c->nr_symbols; i++)
		kfault_user_say(u, "frame %s\n", u->symbols[i]);
	return 0;
}

/* "begin" and "end": the leak check of a whole point, teardown included. */
static void kfault_user_end(struct kfault_user *u)
{
	const struct kfault_tags *t = &u->env->tags;
	unsigned int i, tries;

	/*
	 * Some frees are deferred further than one settle reaches: look
	 * again, a little later (seen sweeping upstream-modules: with one
	 * settle, do_init_module()'s freeinit and KUnit's string streams were
	 * live after 41 points that --only did not reproduce; none with this).
	 */
	for (tries = 0; tries < KFAULT_USER_TRIES; tries++) {
		if (tries)
			msleep(KFAULT_USER_WAIT_MS);
		kfault_settle();
		kvfree_rcu_barrier();
		if (!kfault_tags_read_grown(u->env))
			break;
	}
	u->out_len = 0;
	kfault_user_say(u, "until %lu\n", jiffies);
	for (i = 0; i < t->nr; i++) {
		const struct codetag *ct = &t->tag[i]->ct;
		s64 dc, db;

		if (kfault_tags_grown(t, i, &dc, &db))
			kfault_user_say(u, "leak %s:%u - %s %lld %lld\n",
					ct->filename, ct->lineno, ct->function,
					dc, db);
	}
	kfault_user_say(u, "%s", u->gone);
	u->gone[0] = '\0';
	u->gone_len = 0;
}

static int kfault_user_command(struct kfault_user *u, char *line)
{
	char *cmd = strsep(&line, " "), *arg;
	unsigned int nth, skip = 0;

	if (!strcmp(cmd, "scope"))
		return line ? kfault_user_scope(u, line) : -EINVAL;
	if (!u->env)
		return -ENOENT;
	if (!strcmp(cmd, "begin")) {
		u->gone[0] = '\0';
		u->gone_len = 0;
		kfault_tags_snapshot(u->env);
		u->out_len = 0;
		kfault_user_say(u, "since %lu\n", jiffies);
		return 0;
	}
	if (!strcmp(cmd, "threads")) {
		if (!line || kstrtobool(line, &u->threads))
			return -EINVAL;
		return 0;
	}
	if (!strcmp(cmd, "count"))
		return kfault_user_arm(u, 0, 0);
	if (!strcmp(cmd, "fail")) {
		arg = strsep(&line, " ");
		if (!arg || kstrtouint(arg, 10, &nth) || !nth ||
		    (line && (kstrtouint(line, 10, &skip) ||
			      skip > KFAULT_MAX_SKIP)))
			return -EINVAL;
		return kfault_user_arm(u, nth, skip);
	}
	if (!strcmp(cmd, "stop"))
		return kfault_user_stop(u);
	if (!strcmp(cmd, "ids")) {
		u->out_len = 0;
		kfault_user_say_ids(u);
		return 0;
	}
	if (!strcmp(cmd, "end")) {
		kfault_user_end(u);
		return 0;
	}
	return -EINVAL;
}

/*
 * Nothing here allocates: between "count" and "stop" the writer's task is
 * armed, and an allocation of ours would be an event.
 */
static ssize_t kfault_user_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct kfault_user *u = file->private_data;
	char buf[128];
	int err;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);
	mutex_lock(&u->lock);
	err = kfault_user_command(u, buf);
	mutex_unlock(&u->lock);
	return err ? err : len;
}

static ssize_t kfault_user_read(struct file *file, char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct kfault_user *u = file->private_data;
	ssize_t ret;

	mutex_lock(&u->lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, u->out, u->out_len);
	mutex_unlock(&u->lock);
	return ret;
}

static void kfault_user_free(struct kfault_user *u)
{
	kvfree(u->hash);
	kvfree(u->symbols);
	kvfree(u->out);
	kvfree(u);
}

/* One user at a time: the probes arm one task. */
static int kfault_user_open(struct inode *inode, struct file *file)
{
	struct kfault_user *u;
	int err;

	mutex_lock(&kfault_user_lock);
	err = kfault_user ? -EBUSY : 0;
	u = err ? NULL : kvzalloc(sizeof(*u), GFP_KERNEL);
	if (!err && !u)
		err = -ENOMEM;
	if (err)
		goto out;
	u->out = kvzalloc(KFAULT_USER_OUT, GFP_KERNEL);
	u->symbols = kvcalloc(KFAULT_STACK_DEPTH, sizeof(*u->symbols),
			      GFP_KERNEL);
	u->hash = kvcalloc(KFAULT_USER_MAX_NTH, sizeof(*u->hash), GFP_KERNEL);
	if (!u->out || !u->symbols || !u->hash) {
		kfault_user_free(u);
		err = -ENOMEM;
		goto out;
	}
	mutex_init(&u->lock);
	kfault_mods_init();
	u->nb.notifier_call = kfault_user_module;
	err = register_module_notifier(&u->nb);
	if (err) {
		kfault_user_free(u);
		goto out;
	}
	kfault_user = u;
	file->private_data = u;
out:
	mutex_unlock(&kfault_user_lock);
	return err;
}

static int kfault_user_release(struct inode *inode, struct file *file)
{
	struct kfault_user *u = file->private_data;

	unregister_module_notifier(&u->nb);
	if (u->env) {
		if (u->env->catch.armed)
			WRITE_ONCE(u->env->catch.armed, NULL);
		kfault_env_exit(u->env);
	}
	mutex_lock(&kfault_user_lock);
	kfault_user = NULL;
	mutex_unlock(&kfault_user_lock);
	kfault_user_free(u);
	return 0;
}

static const struct file_operations kfault_user_fops = {
	.owner = THIS_MODULE,
	.open = kfault_user_open,
	.release = kfault_user_release,
	.read = kfault_user_read,
	.write = kfault_user_write,
	.llseek = default_llseek,
};

static int __init kfault_user_init(void)
{
	struct dentry *dir = debugfs_create_dir("kfault", NULL);

	debugfs_create_file("user", 0600, dir, NULL, &kfault_user_fops);
	return 0;
}
late_initcall(kfault_user_init);

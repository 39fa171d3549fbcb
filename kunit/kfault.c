// SPDX-License-Identifier: GPL-2.0
/*
 * kfault - systematic allocation-failure sweeps for KUnit suites.
 * See kfault.h for what it does and why.
 */
#include <linux/alloc_tag.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/mount.h>
#include <linux/uaccess.h>
#include <linux/fault-inject.h>
#include <linux/kallsyms.h>
#include <linux/kmsg_dump.h>
#include <linux/moduleparam.h>
#include <linux/ktime.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <asm/sections.h>
#include <trace/events/kmem.h>

#include "kfault.h"

/*
 * kfault.leak_check=0 turns the precise leak check off: calibration runs
 * use it to prove the check is what catches the leak defects.
 */
static bool leak_check = true;
module_param(leak_check, bool, 0644);
MODULE_PARM_DESC(leak_check, "compare allocation tags before/after each point");

#define KFAULT_LINE_LEN		256
#define KFAULT_DRIVER_FRAMES	4
#define KFAULT_STACK_DEPTH	48
/*
 * Sweep passes: the kernel's own allocations (a slab refilling itself,
 * kmemleak's pool) come and go between runs and can take the nth of a
 * driver allocation, so one pass may miss a site.  Passes repeat until one
 * finds nothing new.
 */
#define KFAULT_PASSES		3
#define KFAULT_MAX_CALLS	32

/*
 * Kernel reports that fault injection itself causes, outside the driver:
 * a failed slab extension vector (MEM_ALLOC_PROFILING) WARNs in 6.12.
 */
static const char * const kfault_artefacts[] = {
	"alloc_tagging_slab_alloc_hook",
};

/* A debugfs knob we change, and the value to put back. */
struct kfault_knob {
	const char *dir;
	const char *file;
	void *ptr;
	size_t size;		/* sizeof(bool), sizeof(u32), sizeof(ulong) */
	unsigned long set;
	unsigned long saved;
};

struct kfault_env {
	const struct kfault_target *target;
	struct kfault_knob knobs[6];
	struct fault_attr *attrs[2];	/* failslab, fail_page_alloc */
	unsigned long text_start, text_end;
	struct alloc_tag *tags[KFAULT_MAX_TAGS];
	unsigned int nr_tags;
	s64 calls_before[KFAULT_MAX_TAGS];
	s64 bytes_before[KFAULT_MAX_TAGS];
	struct kmsg_dump_iter iter;
	char line[KFAULT_LINE_LEN];
	/* the slab tracepoint probes' catch */
	struct task_struct *armed;
	bool captured;
	struct kfault_site cap;
	unsigned long entries[KFAULT_STACK_DEPTH];
	unsigned int attempts;
	/* the sweep's scratch */
	struct kfault_result res;
	u32 pass_hash[KFAULT_MAX_NTH];
	unsigned long target_addr;		/* targeted attempt, or 0 */
	unsigned long calls[KFAULT_MAX_CALLS];	/* driver calls seen failing */
	bool call_direct[KFAULT_MAX_CALLS];	/* ... the call itself failed */
	unsigned int nr_calls;
	/* statistics */
	unsigned int points;
	unsigned int verdicts[KFAULT_REPORT + 1];
	u64 ns;
};

static const char * const kfault_verdict_names[] = {
	[KFAULT_HANDLED] = "handled",
	[KFAULT_ABSORBED] = "absorbed",
	[KFAULT_NOT_FIRED] = "not-fired",
	[KFAULT_SITE_CHANGED] = "site-changed",
	[KFAULT_WRONG_ERRNO] = "wrong-errno",
	[KFAULT_BAD_STATE] = "bad-state",
	[KFAULT_LEAK] = "leak",
	[KFAULT_REPORT] = "report",
};

const char *kfault_verdict_name(enum kfault_verdict v)
{
	return kfault_verdict_names[v];
}

/*
 * kfault.resume=OP:NTH continues a sweep whose boot crashed at that point:
 * operations before OP were swept already and are skipped, OP starts at
 * NTH + 1 with a single pass (a second pass or the fill-in would fail the
 * crashing site again).
 */
static char resume[64];
module_param_string(resume, resume, sizeof(resume), 0644);
MODULE_PARM_DESC(resume, "OP:NTH - continue a crashed sweep after that point");
static bool resume_reached;

/* kfault.only=OP sweeps that operation alone (make repro). */
static char only[32];
module_param_string(only, only, sizeof(only), 0644);
MODULE_PARM_DESC(only, "OP - sweep this operation only");

const char *kfault_resume(void)
{
	return resume;
}

/* 0 to sweep from nth 1, 1 to skip op, or the nth to resume after. */
static int kfault_resume_at(const struct kfault_op *op, unsigned int *after)
{
	size_t len = strcspn(resume, ":");

	*after = 0;
	if (!resume[0] || resume_reached)
		return 0;
	if (len != strlen(op->name) || strncmp(resume, op->name, len))
		return 1;
	resume_reached = true;
	return kstrtouint(resume + len + 1, 10, after) ? -EINVAL : 0;
}

/* ---- debugfs knobs ---------------------------------------------------- */

static void *kfault_knob_ptr(const char *dirname, const char *file)
{
	struct dentry *dir, *f;
	void *p = NULL;

	dir = debugfs_lookup(dirname, NULL);
	if (IS_ERR_OR_NULL(dir))
		return NULL;
	f = debugfs_lookup(file, dir);
	if (!IS_ERR_OR_NULL(f)) {
		p = d_inode(f)->i_private;
		dput(f);
	}
	dput(dir);
	return p;
}

static unsigned long kfault_knob_get(const struct kfault_knob *k)
{
	if (k->size == sizeof(bool))
		return *(bool *)k->ptr;
	if (k->size == sizeof(u32))
		return *(u32 *)k->ptr;
	return *(unsigned long *)k->ptr;
}

static void kfault_knob_put(const struct kfault_knob *k, unsigned long v)
{
	if (k->size == sizeof(bool))
		WRITE_ONCE(*(bool *)k->ptr, v);
	else if (k->size == sizeof(u32))
		WRITE_ONCE(*(u32 *)k->ptr, v);
	else
		WRITE_ONCE(*(unsigned long *)k->ptr, v);
}

static const struct kfault_knob kfault_knob_table[] = {
	{ "failslab", "ignore-gfp-wait", NULL, sizeof(bool), 0 },
	{ "fail_page_alloc", "ignore-gfp-wait", NULL, sizeof(bool), 0 },
	{ "fail_page_alloc", "ignore-gfp-highmem", NULL, sizeof(bool), 0 },
	{ "fail_page_alloc", "min-order", NULL, sizeof(u32), 0 },
	{ "failslab", "verbose", NULL, sizeof(unsigned long), 2 },
	{ "fail_page_alloc", "verbose", NULL, sizeof(unsigned long), 2 },
};

static int kfault_knobs_set(struct kfault_env *env)
{
	unsigned int i;

	BUILD_BUG_ON(ARRAY_SIZE(kfault_knob_table) != ARRAY_SIZE(env->knobs));
	for (i = 0; i < ARRAY_SIZE(env->knobs); i++) {
		struct kfault_knob *k = &env->knobs[i];

		*k = kfault_knob_table[i];
		k->ptr = kfault_knob_ptr(k->dir, k->file);
		if (!k->ptr) {
			pr_err("kfault: no debugfs knob %s/%s\n", k->dir, k->file);
			return -ENOENT;
		}
	}
	for (i = 0; i < ARRAY_SIZE(env->knobs); i++) {
		env->knobs[i].saved = kfault_knob_get(&env->knobs[i]);
		kfault_knob_put(&env->knobs[i], env->knobs[i].set);
	}
	/* "probability" is the first member: its i_private is the attr. */
	env->attrs[0] = kfault_knob_ptr("failslab", "probability");
	env->attrs[1] = kfault_knob_ptr("fail_page_alloc", "probability");
	BUILD_BUG_ON(offsetof(struct fault_attr, probability) != 0);
	return env->attrs[0] && env->attrs[1] ? 0 : -ENOENT;
}

static void kfault_knobs_restore(struct kfault_env *env)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(env->knobs); i++)
		if (env->knobs[i].ptr)
			kfault_knob_put(&env->knobs[i], env->knobs[i].saved);
}

/* ---- the driver: its text and its allocation tags ---------------------- */

struct kfault_range {
	const char *prefix;
	unsigned long fence;	/* our own code starts here */
	unsigned long start, end;
};

static int kfault_range_sym(void *data, const char *name, unsigned long addr)
{
	struct kfault_range *r = data;
	unsigned long size, off;

	if (strncmp(name, r->prefix, strlen(r->prefix)) || addr >= r->fence ||
	    !is_kernel_text(addr))
		return 0;
	if (!kallsyms_lookup_size_offset(addr, &size, &off))
		size = 1;
	r->start = min(r->start, addr);
	r->end = max(r->end, addr + size);
	return 0;
}

static int kfault_find_text(struct kfault_env *env)
{
	struct kfault_range r = {
		.prefix = env->target->prefix,
		.fence = (unsigned long)kfault_env_init,
		.start = ULONG_MAX,
	};

	kallsyms_on_each_symbol(kfault_range_sym, &r);
	if (r.start >= r.end)
		return -ENOENT;
	env->text_start = r.start;
	env->text_end = r.end;
	return 0;
}

/* Built-in code's tags have no module name (CT_MODULE_NAME): use the file. */
static bool kfault_own_tag(struct kfault_env *env, struct alloc_tag *tag)
{
	return tag->ct.filename && strstr(tag->ct.filename, env->target->srcdir);
}

static void kfault_find_tags(struct kfault_env *env)
{
	struct alloc_tag *tag;

	for (tag = __start_alloc_tags; tag < __stop_alloc_tags; tag++) {
		if (!kfault_own_tag(env, tag))
			continue;
		if (env->nr_tags == KFAULT_MAX_TAGS) {
			pr_warn("kfault: more than %d allocation sites in %s\n",
				KFAULT_MAX_TAGS, env->target->srcdir);
			break;
		}
		env->tags[env->nr_tags++] = tag;
	}
}

static void kfault_tags_read(struct kfault_env *env, s64 *calls, s64 *bytes)
{
	unsigned int i;

	for (i = 0; i < env->nr_tags; i++) {
		struct alloc_tag_counters c = alloc_tag_read(env->tags[i]);

		calls[i] = c.calls;
		bytes[i] = c.bytes;
	}
}

/* Append "file:line fn +N/+B" for every tag whose live count changed. */
static unsigned int kfault_tags_diff(struct kfault_env *env, char *buf,
				     size_t len)
{
	s64 calls[KFAULT_MAX_TAGS], bytes[KFAULT_MAX_TAGS];
	unsigned int i, nr = 0;
	size_t used = 0;

	kfault_tags_read(env, calls, bytes);
	buf[0] = '\0';
	for (i = 0; i < env->nr_tags; i++) {
		const struct codetag *ct = &env->tags[i]->ct;
		s64 dc = calls[i] - env->calls_before[i];
		s64 db = bytes[i] - env->bytes_before[i];

		if (!dc && !db)
			continue;
		nr++;
		if (used < len)
			used += scnprintf(buf + used, len - used,
					  "%s%s:%u %s %+lld/%+lldB", nr > 1 ? "," : "",
					  kbasename(ct->filename), ct->lineno,
					  ct->function, dc, db);
	}
	return nr;
}

unsigned int kfault_env_nr_tags(struct kfault_env *env)
{
	return env->nr_tags;
}

/* ---- the printk ring buffer ------------------------------------------- */

static void kfault_log_mark(struct kfault_env *env)
{
	kmsg_dump_rewind(&env->iter);
	env->iter.cur_seq = env->iter.next_seq;
}

/* Next record since the mark, with the "[ time] " prefix removed. */
static const char *kfault_log_next(struct kfault_env *env)
{
	size_t len;
	char *p;

	if (!kmsg_dump_get_line(&env->iter, false, env->line,
				sizeof(env->line) - 1, &len))
		return NULL;
	env->line[len] = '\0';
	if (len && env->line[len - 1] == '\n')
		env->line[len - 1] = '\0';
	p = env->line;
	if (*p == '[') {
		char *end = strstr(p, "] ");

		if (end)
			p = end + 2;
	}
	return p;
}

static bool kfault_is_report(const char *line)
{
	static const char * const heads[] = {
		"BUG: ", "WARNING: ", "UBSAN: ", "Oops", "kernel BUG",
		"INFO: possible recursive locking",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kfault_artefacts); i++)
		if (strstr(line, kfault_artefacts[i]))
			return false;
	for (i = 0; i < ARRAY_SIZE(heads); i++)
		if (str_has_prefix(line, heads[i]))
			return true;
	return false;
}

/* "__kmalloc_cache_noprof+0x1a/0x30" -> "kmalloc_cache" */
static void kfault_allocator_name(const char *sym, char *buf, size_t len)
{
	size_t n;

	while (*sym == '_')
		sym++;
	n = strcspn(sym, "+");
	if (n > 7 && !strncmp(sym + n - 7, "_noprof", 7))
		n -= 7;
	strscpy(buf, sym, min(n + 1, len));
}

static u32 kfault_fnv(u32 h, const char *s, size_t n)
{
	while (n--) {
		h ^= (u8)*s++;
		h *= 16777619;
	}
	return h;
}

struct kfault_trace {
	bool seen;
	bool in_dump;
	bool done;
	unsigned int driver_frames;
	char prev[KFAULT_SYM_LEN];	/* the frame just inside the current one */
	u32 hash;
};

/* Feed one line of a FAULT_INJECTION dump; fills site as frames go by. */
static void kfault_trace_line(struct kfault_env *env, struct kfault_trace *t,
			      const char *line, struct kfault_site *site)
{
	unsigned long addr;
	int n = 0;

	if (sscanf(line, " [<%lx>] %n", &addr, &n) != 1 || !n)
		return;
	line += n;
	if (str_has_prefix(line, "? "))
		return;		/* not proven by frame pointers */
	if (addr >= env->text_start && addr < env->text_end) {
		size_t fn = strcspn(line, "+");

		if (!t->driver_frames++) {
			strscpy(site->caller, line, sizeof(site->caller));
			site->addr = addr;
			kfault_allocator_name(t->prev, site->allocator,
					      sizeof(site->allocator));
			t->hash = kfault_fnv(2166136261u, site->allocator,
					     strlen(site->allocator));
		}
		if (t->driver_frames <= KFAULT_DRIVER_FRAMES)
			t->hash = kfault_fnv(t->hash, line, fn);
	} else if (t->driver_frames) {
		t->done = true;		/* left the driver: the caller's code */
	}
	strscpy(t->prev, line, sizeof(t->prev));
}

/*
 * Read the log since the last read: the site of the first injected failure
 * (if @site) and the first kernel report (if @report is still empty).
 */
static bool kfault_in_driver(struct kfault_env *env, unsigned long addr);

/* The first driver frame of the report being read, if this line is one. */
static void kfault_report_frame(struct kfault_env *env, const char *line,
				struct kfault_result *res)
{
	unsigned long addr;
	int n = 0;

	if (sscanf(line, " [<%lx>] %n", &addr, &n) != 1 || !n ||
	    str_has_prefix(line + n, "? ") || !kfault_in_driver(env, addr))
		return;
	res->report_addr = addr;
	strscpy(res->report_site, line + n, sizeof(res->report_site));
}

/*
 * Read the log since the last read: the site of the first injected failure
 * (if @site) and the first kernel report with its first driver frame.
 */
static void kfault_log_scan(struct kfault_env *env, struct kfault_site *site,
			    struct kfault_result *res)
{
	struct kfault_trace t = { };
	const char *line, *name;
	bool in_report = false;

	while ((line = kfault_log_next(env))) {
		if (strstr(line, "FAULT_INJECTION: forcing a failure")) {
			name = strstr(line, "name ");
			if (site && !t.seen && name)
				strscpy(site->attr, name + 5,
					min_t(size_t, sizeof(site->attr),
					      strcspn(name + 5, ",") + 1));
			t.in_dump = site && !t.seen && !site->caller[0];
			t.seen = true;
			in_report = false;
			continue;
		}
		if (t.in_dump && !t.done)
			kfault_trace_line(env, &t, line, site);
		if (!res->report[0] && kfault_is_report(line)) {
			strscpy(res->report, line, sizeof(res->report));
			in_report = true;
		} else if (in_report && !res->report_addr) {
			kfault_report_frame(env, line, res);
		}
	}
	if (site && t.driver_frames)
		site->hash = t.hash;
}

/* ---- the slab tracepoints: failures, __GFP_NOWARN ones included ------ */

static bool kfault_in_driver(struct kfault_env *env, unsigned long addr)
{
	return addr >= env->text_start && addr < env->text_end;
}

static enum kfault_nesting kfault_nesting(const struct kfault_site *site)
{
	static const char * const bookkeeping[] = {
		"alloc_object", "mem_pool_alloc", "kmemleak", "alloc_slab_obj_exts",
	};
	unsigned int i;

	if (!site->inner[0] || !strcmp(site->inner, site->allocator))
		return KFAULT_DIRECT;
	for (i = 0; i < ARRAY_SIZE(bookkeeping); i++)
		if (str_has_prefix(site->inner, bookkeeping[i]))
			return KFAULT_BOOKKEEPING;
	return KFAULT_INTERNAL;
}

static void kfault_site_from_stack(struct kfault_env *env, unsigned int nr,
				   unsigned long call_site,
				   struct kfault_site *site)
{
	unsigned long *e = env->entries;
	char name[KSYM_NAME_LEN];
	unsigned int i, d;
	u32 h;

	for (i = 0; i < nr && !kfault_in_driver(env, e[i]); i++)
		;
	if (i == nr || !i)
		return;
	strscpy(site->attr, "failslab", sizeof(site->attr));
	snprintf(site->caller, sizeof(site->caller), "%pS", (void *)e[i]);
	site->addr = e[i];
	snprintf(name, sizeof(name), "%ps", (void *)e[i - 1]);
	kfault_allocator_name(name, site->allocator, sizeof(site->allocator));
	snprintf(name, sizeof(name), "%ps", (void *)call_site);
	if (!kfault_in_driver(env, call_site))
		kfault_allocator_name(name, site->inner, sizeof(site->inner));
	/*
	 * The id names what the driver called and what kind of allocation
	 * inside it failed (the call itself, the kernel's own bookkeeping, or
	 * the API's internals), not which internal allocation: those shift
	 * between runs and mean nothing to the driver.
	 */
	site->nested = kfault_nesting(site);
	h = kfault_fnv(2166136261u, site->allocator, strlen(site->allocator));
	h = kfault_fnv(h, (char *)&site->nested, sizeof(site->nested));
	for (d = 0; i < nr && d < KFAULT_DRIVER_FRAMES &&
	     kfault_in_driver(env, e[i]); i++, d++) {
		snprintf(name, sizeof(name), "%ps", (void *)e[i]);
		h = kfault_fnv(h, name, strlen(name));
	}
	site->hash = h;
}

/* Runs inside the allocator, maybe in atomic context: no sleeping. */
static void kfault_catch(struct kfault_env *env, unsigned long call_site,
			 const void *ptr)
{
	struct alloc_tag *tag;
	unsigned int nr;

	if (ptr || env->armed != current || env->captured ||
	    READ_ONCE(current->fail_nth))
		return;
	env->captured = true;
	nr = stack_trace_save(env->entries, ARRAY_SIZE(env->entries), 0);
	kfault_site_from_stack(env, nr, call_site, &env->cap);
	tag = current->alloc_tag;
	if (tag && kfault_own_tag(env, tag)) {
		strscpy(env->cap.file, kbasename(tag->ct.filename),
			sizeof(env->cap.file));
		env->cap.line = tag->ct.lineno;
	}
}

static void kfault_probe_kmalloc(void *data, unsigned long call_site,
				 const void *ptr, size_t req, size_t alloc,
				 gfp_t gfp, int node)
{
	kfault_catch(data, call_site, ptr);
}

static void kfault_probe_cache(void *data, unsigned long call_site,
			       const void *ptr, struct kmem_cache *s, gfp_t gfp,
			       int node)
{
	kfault_catch(data, call_site, ptr);
}

static int kfault_probes_register(struct kfault_env *env)
{
	int err;

	err = register_trace_kmalloc(kfault_probe_kmalloc, env);
	if (err)
		return err;
	err = register_trace_kmem_cache_alloc(kfault_probe_cache, env);
	if (err)
		unregister_trace_kmalloc(kfault_probe_kmalloc, env);
	return err;
}

static void kfault_probes_unregister(struct kfault_env *env)
{
	unregister_trace_kmem_cache_alloc(kfault_probe_cache, env);
	unregister_trace_kmalloc(kfault_probe_kmalloc, env);
	tracepoint_synchronize_unregister();
}

/* ---- arming ----------------------------------------------------------- */

static void kfault_filter(struct kfault_env *env, const struct kfault_op *op,
			  bool on)
{
	unsigned long start = env->text_start, end = env->text_end;
	unsigned int i;

	if (env->target_addr) {
		/* only what this one call of the driver allocates counts */
		start = env->target_addr;
		end = start + 1;
	} else if (op->mode != KFAULT_STACK_FILTER) {
		return;
	}
	for (i = 0; i < ARRAY_SIZE(env->attrs); i++) {
		env->attrs[i]->require_start = on ? start : 0;
		env->attrs[i]->require_end = on ? end : ULONG_MAX;
	}
}

/*
 * Arm, call, disarm: nothing else runs in between, so the count covers
 * exactly the operation.  Returns run()'s value; *fired tells whether the
 * nth countable allocation happened.
 */
static int kfault_call(struct kfault_env *env, const struct kfault_op *op,
		       void *ctx, unsigned int nth, bool *fired,
		       struct kfault_site *site)
{
	int ret;

	memset(&env->cap, 0, sizeof(env->cap));
	env->captured = false;
	kfault_log_mark(env);
	kfault_filter(env, op, true);
	WRITE_ONCE(env->armed, current);
	WRITE_ONCE(current->fail_nth, nth);
	ret = op->run(ctx);
	*fired = nth && !READ_ONCE(current->fail_nth);
	WRITE_ONCE(current->fail_nth, 0);
	WRITE_ONCE(env->armed, NULL);
	kfault_filter(env, op, false);
	memset(site, 0, sizeof(*site));
	if (*fired && env->cap.hash)
		*site = env->cap;
	return ret;
}

static enum kfault_verdict kfault_judge(const struct kfault_op *op, void *ctx,
					struct kfault_result *res,
					const struct kfault_point *pt)
{
	int err;

	if (!res->nth) {
		if (res->ret)
			goto wrong_errno;
		err = op->check_success(ctx);
		if (err)
			goto bad_state;
		return KFAULT_HANDLED;
	}
	if (!res->fired) {
		snprintf(res->detail, sizeof(res->detail),
			 "allocation #%u was not reached this time", res->nth);
		return KFAULT_NOT_FIRED;
	}
	if (pt->site.hash && res->site.hash != pt->site.hash) {
		snprintf(res->detail, sizeof(res->detail),
			 "failed %s <- %s, counted %s <- %s",
			 res->site.allocator, res->site.caller,
			 pt->site.allocator, pt->site.caller);
		return KFAULT_SITE_CHANGED;
	}
	if (!res->ret) {
		err = op->check_success(ctx);
		if (err)
			goto bad_state;
		return KFAULT_ABSORBED;
	}
	if (res->ret != op->expected_err)
		goto wrong_errno;
	err = op->check_rollback(ctx);
	if (err)
		goto bad_state;
	err = op->verify ? op->verify(ctx) : 0;
	if (err) {
		snprintf(res->detail, sizeof(res->detail),
			 "the operation fails after recovery: %d", err);
		return KFAULT_BAD_STATE;
	}
	return KFAULT_HANDLED;

wrong_errno:
	snprintf(res->detail, sizeof(res->detail), "returned %d, expected %d",
		 res->ret, res->nth ? op->expected_err : 0);
	return KFAULT_WRONG_ERRNO;
bad_state:
	snprintf(res->detail, sizeof(res->detail),
		 "state check failed: %d (returned %d)", err, res->ret);
	return KFAULT_BAD_STATE;
}

/* One full run of a point at a given nth: setup, call, checks, teardown. */
static void kfault_attempt(struct kfault_env *env, const struct kfault_op *op,
			   const struct kfault_point *pt, unsigned int nth,
			   struct kfault_result *res)
{
	ktime_t start = ktime_get();
	unsigned int leaks;
	void *ctx;
	int err;

	memset(res, 0, sizeof(*res));
	res->nth = nth;
	env->attempts++;
	kfault_tags_read(env, env->calls_before, env->bytes_before);
	kfault_log_mark(env);
	ctx = kzalloc(op->ctx_size, GFP_KERNEL);
	if (!ctx) {
		res->verdict = KFAULT_BAD_STATE;
		strscpy(res->detail, "no memory for the context", sizeof(res->detail));
		return;
	}
	err = op->setup(ctx);
	if (err) {
		op->teardown(ctx);
		kfree(ctx);
		res->verdict = KFAULT_BAD_STATE;
		snprintf(res->detail, sizeof(res->detail), "setup failed: %d", err);
		return;
	}
	res->ret = kfault_call(env, op, ctx, nth, &res->fired, &res->site);
	kfault_log_scan(env, &res->site, res);
	res->site.silent = res->fired && !res->site.hash;
	if (res->site.hash == pt->site.hash)
		res->site.id = pt->site.id;
	res->verdict = kfault_judge(op, ctx, res, pt);
	op->teardown(ctx);
	kfree(ctx);
	rcu_barrier();		/* kmemleak frees its metadata through RCU */
	leaks = leak_check ? kfault_tags_diff(env, res->leaks,
					      sizeof(res->leaks)) : 0;
	kfault_log_scan(env, NULL, res);
	if (res->report[0])
		res->verdict = KFAULT_REPORT;
	else if (leaks)
		res->verdict = KFAULT_LEAK;
	res->ns = ktime_to_ns(ktime_sub(ktime_get(), start));
}

/* The same site and occurrence as counted: the point itself. */
/* ---- the sweep --------------------------------------------------------- */

static void kfault_account(struct kfault_env *env,
			   const struct kfault_result *res)
{
	env->points++;
	env->verdicts[res->verdict]++;
	env->ns += res->ns;
}

void kfault_run_point(struct kfault_env *env, const struct kfault_op *op,
		      const struct kfault_point *pt, struct kfault_result *res)
{
	kfault_attempt(env, op, pt, pt->nth, res);
	kfault_account(env, res);
}

static int kfault_sweep_pass(struct kfault_env *env, const struct kfault_op *op,
			     struct kfault_point *points,
			     struct kfault_result *results, unsigned int *nr,
			     unsigned int max, unsigned int *bookkeeping,
			     unsigned int pass, unsigned int first);
static int kfault_fill_in(struct kfault_env *env, const struct kfault_op *op,
			  struct kfault_point *points,
			  struct kfault_result *results, unsigned int *nr,
			  unsigned int max);

int kfault_sweep(struct kfault_env *env, const struct kfault_op *op,
		 struct kfault_point *points, struct kfault_result *results,
		 unsigned int max, unsigned int *bookkeeping)
{
	unsigned int pass, after, nr = 0;
	int added, err;
	void *ctx;

	if (only[0] && strcmp(only, op->name))
		return -EALREADY;
	err = kfault_resume_at(op, &after);
	if (err)
		return err > 0 ? -EALREADY : err;
	/*
	 * Warm up: the first run of an operation makes one-time allocations
	 * (caches, sysfs, devres groups) that later runs do not.
	 */
	ctx = kzalloc(op->ctx_size, GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	err = op->setup(ctx);
	if (!err)
		err = op->run(ctx);
	op->teardown(ctx);
	kfree(ctx);
	if (err)
		return err;

	env->nr_calls = 0;
	for (pass = 0; pass < KFAULT_PASSES; pass++) {
		added = kfault_sweep_pass(env, op, points, results, &nr, max,
					  bookkeeping, pass, after + 1);
		if (added < 0)
			return added;
		if (!added || after)
			break;
	}
	added = after ? 0 : kfault_fill_in(env, op, points, results, &nr, max);
	return added < 0 ? added : nr;
}

/* A driver call whose allocations failed, and whether the call itself did. */
static void kfault_note_call(struct kfault_env *env,
			     const struct kfault_site *site)
{
	unsigned int i;

	if (!site->addr)
		return;
	for (i = 0; i < env->nr_calls; i++)
		if (env->calls[i] == site->addr)
			break;
	if (i == env->nr_calls) {
		if (i == KFAULT_MAX_CALLS)
			return;
		env->calls[env->nr_calls++] = site->addr;
		env->call_direct[i] = false;
	}
	env->call_direct[i] |= site->nested == KFAULT_DIRECT;
}

static int kfault_keep(struct kfault_point *points,
		       struct kfault_result *results, unsigned int *nr,
		       unsigned int max, const struct kfault_result *res);

/*
 * A driver call seen failing only inside (kmemleak's metadata, a new slab
 * page taking its nth) was never failed itself.  Target it: with the stack
 * filter narrowed to that one return address, the first allocation that
 * counts is the call's own, so nth = 1 fails exactly it.
 */
static int kfault_fill_in(struct kfault_env *env, const struct kfault_op *op,
			  struct kfault_point *points,
			  struct kfault_result *results, unsigned int *nr,
			  unsigned int max)
{
	static const struct kfault_point any;
	struct kfault_result *res = &env->res;
	unsigned int i;
	int kept;

	for (i = 0; i < env->nr_calls; i++) {
		if (env->call_direct[i])
			continue;
		env->target_addr = env->calls[i];
		pr_info("kfault: try op=%s target=%pS\n", op->name,
			(void *)env->calls[i]);
		kfault_attempt(env, op, &any, 1, res);
		env->target_addr = 0;
		if (!res->fired || res->site.nested != KFAULT_DIRECT ||
		    res->site.addr != env->calls[i])
			continue;
		kfault_account(env, res);
		res->site.targeted = true;
		res->site.id = kfault_fnv(res->site.hash, "targeted", 8);
		pr_info("kfault: ran op=%s target=%pS verdict=%s id=%08x\n",
			op->name, (void *)env->calls[i],
			kfault_verdict_name(res->verdict), res->site.id);
		kept = kfault_keep(points, results, nr, max, res);
		if (kept < 0)
			return kept;
	}
	return 0;
}

/* Keep a result: a new point, or a failure of a point already seen. */
static int kfault_keep(struct kfault_point *points,
		       struct kfault_result *results, unsigned int *nr,
		       unsigned int max, const struct kfault_result *res)
{
	unsigned int i;

	for (i = 0; i < *nr; i++) {
		if (points[i].site.id != res->site.id)
			continue;
		if (kfault_verdict_ok(results[i].verdict) &&
		    !kfault_verdict_ok(res->verdict))
			results[i] = *res;
		return 0;
	}
	if (*nr == max)
		return -ENOSPC;
	points[*nr].nth = res->nth;
	points[*nr].site = res->site;
	results[(*nr)++] = *res;
	return 1;
}

/*
 * One pass: nth = 1, 2, ... until the injection no longer fires.  Returns
 * the number of new points.  A point's id counts its occurrence within the
 * pass, so the same site failed again later in the operation is another
 * point, while the same site in the next pass is the same point.
 */
static int kfault_sweep_pass(struct kfault_env *env, const struct kfault_op *op,
			     struct kfault_point *points,
			     struct kfault_result *results, unsigned int *nr,
			     unsigned int max, unsigned int *bookkeeping,
			     unsigned int pass, unsigned int first)
{
	static const struct kfault_point any;
	struct kfault_result *res = &env->res;
	unsigned int nth, i, same, added = 0;
	int kept;

	memset(env->pass_hash, 0, sizeof(env->pass_hash));
	for (nth = first; nth <= KFAULT_MAX_NTH; nth++) {
		/* if this one crashes the kernel, the console says where */
		pr_info("kfault: try op=%s pass=%u nth=%u\n", op->name, pass, nth);
		kfault_attempt(env, op, &any, nth, res);
		env->pass_hash[nth - 1] = res->site.hash;
		if (!res->fired) {
			pr_info("kfault: done op=%s pass=%u nth=%u\n", op->name,
				pass, nth);
			break;
		}
		kfault_account(env, res);
		kfault_note_call(env, &res->site);
		for (i = 0, same = 0; i < nth - 1; i++)
			same += env->pass_hash[i] == res->site.hash;
		res->site.occurrence = same;
		res->site.id = kfault_fnv(res->site.hash, (char *)&same,
					  sizeof(same));
		pr_info("kfault: ran op=%s nth=%u verdict=%s nesting=%u site=%s/%s/%s id=%08x\n",
			op->name, nth, kfault_verdict_name(res->verdict),
			res->site.nested, res->site.allocator, res->site.inner,
			res->site.caller, res->site.id);
		/*
		 * Absorbed failures of kmemleak's or the slab's own metadata,
		 * and silent absorbed ones (a slab refilling itself), say
		 * nothing about the driver: counted, not listed.
		 */
		if (res->verdict == KFAULT_ABSORBED &&
		    (res->site.nested == KFAULT_BOOKKEEPING || res->site.silent)) {
			*bookkeeping += !pass;
			continue;
		}
		kept = kfault_keep(points, results, nr, max, res);
		if (kept < 0)
			return kept;
		added += kept;
	}
	return added;
}

/* ---- output ----------------------------------------------------------- */

void kfault_point_desc(const struct kfault_op *op,
		       const struct kfault_point *pt, char *buf, size_t len)
{
	size_t fn;

	if (!pt->nth) {
		snprintf(buf, len, "%s: no fault (baseline)", op->name);
		return;
	}
	if (pt->site.silent) {
		snprintf(buf, len, "%s: fail %u (silent)", op->name, pt->nth);
		return;
	}
	fn = strcspn(pt->site.caller, "/");
	if (pt->site.targeted) {
		snprintf(buf, len, "%s: fail %s <- %.*s (targeted)", op->name,
			 pt->site.allocator, (int)fn, pt->site.caller);
		return;
	}
	snprintf(buf, len, "%s: fail %u %s <- %.*s%s%s%s", op->name, pt->nth,
		 pt->site.allocator, (int)fn, pt->site.caller,
		 pt->site.inner[0] ? " (in " : "", pt->site.inner,
		 pt->site.inner[0] ? ")" : "");
}

void kfault_log_result(struct kunit *test, const struct kfault_op *op,
		       const struct kfault_point *pt,
		       const struct kfault_result *res)
{
	kunit_info(test,
		   "kfault: op=%s nth=%u ran=%u attr=%s allocator=%s inner=%s site=%s file=%s:%u addr=0x%lx id=%08x verdict=%s ret=%d us=%llu leaked=[%s] report=[%s] report_site=%s report_addr=0x%lx detail=[%s]\n",
		   op->name, pt->nth, res->nth,
		   res->site.attr[0] ? res->site.attr : "-",
		   res->site.allocator[0] ? res->site.allocator : "-",
		   res->site.inner[0] ? res->site.inner : "-",
		   res->site.caller[0] ? res->site.caller : "-",
		   res->site.file[0] ? res->site.file : "-", res->site.line,
		   res->site.addr, res->site.id, kfault_verdict_name(res->verdict),
		   res->ret, div_u64(res->ns, NSEC_PER_USEC), res->leaks,
		   res->report, res->report_site[0] ? res->report_site : "-",
		   res->report_addr, res->detail);
}

void kfault_log_stats(struct kunit *test, struct kfault_env *env)
{
	u64 ms = div_u64(env->ns, NSEC_PER_MSEC);
	unsigned int v;

	for (v = 0; v <= KFAULT_REPORT; v++)
		if (env->verdicts[v])
			kunit_info(test, "kfault: verdict %s: %u\n",
				   kfault_verdict_name(v), env->verdicts[v]);
	kunit_info(test, "kfault: %u points (%u runs) in %llu ms, %llu points/s\n",
		   env->points, env->attempts, ms,
		   ms ? div_u64(env->points * 1000ULL, ms) : 0);
}

/* ---- environment ------------------------------------------------------ */

struct kfault_env *kfault_env_init(const struct kfault_target *target)
{
	struct kfault_env *env;
	int err;

	env = kzalloc(sizeof(*env), GFP_KERNEL);
	if (!env)
		return ERR_PTR(-ENOMEM);
	env->target = target;
	err = kfault_find_text(env);
	if (err) {
		pr_err("kfault: no text symbols named %s*\n", target->prefix);
		goto err_free_env;
	}
	kfault_find_tags(env);
	err = kfault_knobs_set(env);
	if (err)
		goto err_restore_knobs;
	err = kfault_probes_register(env);
	if (err)
		goto err_restore_knobs;
	return env;

err_restore_knobs:
	kfault_knobs_restore(env);
err_free_env:
	kfree(env);
	return ERR_PTR(err);
}

void kfault_env_exit(struct kfault_env *env)
{
	if (IS_ERR_OR_NULL(env))
		return;
	kfault_probes_unregister(env);
	kfault_knobs_restore(env);
	kfree(env);
}

/* ---- kmemleak confirmation and canaries ---------------------------------- */

/*
 * kmemleak has no in-kernel scan API (kmemleak_scan() is static), so kfault
 * drives its debugfs file the way userspace does: a kernel mount of debugfs,
 * the file opened on it, commands written and the report read through its
 * file operations, with a user buffer from kunit_vm_mmap() in the test's
 * kthread.
 */
ssize_t kfault_kmemleak(struct kunit *test, const char *cmd, char *out,
			size_t len)
{
	struct file_system_type *type;
	unsigned long uaddr;
	struct vfsmount *mnt;
	struct file *file;
	ssize_t n, total = 0;
	loff_t pos = 0;
	char __user *ubuf;

	uaddr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (!uaddr || IS_ERR_VALUE(uaddr))
		return -ENOMEM;
	ubuf = (char __user *)uaddr;
	type = get_fs_type("debugfs");
	if (!type)
		return -ENODEV;
	mnt = kern_mount(type);
	put_filesystem(type);
	if (IS_ERR(mnt))
		return PTR_ERR(mnt);
	file = file_open_root_mnt(mnt, "kmemleak", cmd ? O_WRONLY : O_RDONLY, 0);
	if (IS_ERR(file)) {
		total = PTR_ERR(file);
		goto out_unmount;
	}
	if (cmd) {
		total = -EFAULT;
		if (!copy_to_user(ubuf, cmd, strlen(cmd)))
			total = file->f_op->write(file, ubuf, strlen(cmd), &pos);
		goto out_close;
	}
	while (total < len - 1) {
		n = file->f_op->read(file, ubuf, min_t(size_t, PAGE_SIZE,
						       len - 1 - total), &pos);
		if (n <= 0)
			break;
		if (copy_from_user(out + total, ubuf, n)) {
			total = -EFAULT;
			goto out_close;
		}
		total += n;
	}
	out[total] = '\0';
out_close:
	__fput_sync(file);
out_unmount:
	kern_unmount(mnt);
	return total;
}

bool kfault_log_seen(struct kfault_env *env, const char *needle)
{
	const char *line;
	bool seen = false;

	while ((line = kfault_log_next(env)))
		seen |= !!strstr(line, needle);
	return seen;
}

void kfault_log_start(struct kfault_env *env)
{
	kfault_log_mark(env);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: the target's text and allocation tags, and where an injected
 * slab failure hit (tracepoint probes that also see __GFP_NOWARN failures).
 */
#include <linux/kallsyms.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <asm/sections.h>
#include <trace/events/kmem.h>

#include "internal.h"

/*
 * kfault.trace_events=1 prints every event of every run: what an id is made
 * of, when two runs of one point disagree on it.
 */
static bool trace_events;
module_param(trace_events, bool, 0644);
MODULE_PARM_DESC(trace_events, "print each counted allocation event (debugging ids)");

u32 kfault_fnv(u32 h, const void *s, size_t n)
{
	const u8 *p = s;

	while (n--) {
		h ^= *p++;
		h *= 16777619;
	}
	return h;
}

/* "__kmalloc_cache_noprof+0x1a/0x30" -> "kmalloc_cache" */
void kfault_allocator_name(const char *sym, char *buf, size_t len)
{
	size_t n;

	while (*sym == '_')
		sym++;
	n = strcspn(sym, "+");
	if (n > 7 && !strncmp(sym + n - 7, "_noprof", 7))
		n -= 7;
	strscpy(buf, sym, min(n + 1, len));
}

/* ---- the target's text --------------------------------------------------- */

/* "mydrv_probe", "__mydrv_probe" and "__pfx_mydrv_probe" have "mydrv_". */
static bool kfault_has_prefix(const char *name, const char *prefix)
{
	if (str_has_prefix(name, "__pfx_"))
		name += 6;
	while (*name == '_')
		name++;
	return str_has_prefix(name, prefix);
}

static unsigned long kfault_sym_end(unsigned long addr)
{
	unsigned long size, off;

	if (!kallsyms_lookup_size_offset(addr, &size, &off))
		return addr + 1;
	return addr - off + size;
}

struct kfault_text_scan {
	const char *prefix;
	unsigned long seed_start, seed_end;	/* the seeds' hull */
	unsigned long run;	/* first of the prefix run ending here */
	unsigned long start, end;
	bool stopped;
};

/*
 * Symbols come in address order (kallsyms' table is sorted).  The range is
 * the seeds' hull, grown at both ends over the adjacent text symbols that
 * have the prefix: non-allocating functions at either end of the target's
 * code.  Whatever is linked next to it (the sweep suite, this library) has
 * other names and stops the growth.
 */
static int kfault_text_sym(void *data, const char *name, unsigned long addr)
{
	struct kfault_text_scan *s = data;
	bool mine;

	if (!is_kernel_text(addr))
		return 0;
	mine = kfault_has_prefix(name, s->prefix);
	if (addr < s->seed_start) {
		if (!mine)
			s->run = 0;
		else if (!s->run)
			s->run = addr;
		return 0;
	}
	if (!s->start)
		s->start = s->run ? s->run : s->seed_start;
	if (addr < s->seed_end || s->stopped)
		return 0;
	if (mine)
		s->end = max(s->end, kfault_sym_end(addr));
	else
		s->stopped = true;
	return 0;
}

/* Seeds: text symbols with the prefix named by the srcdir's tags, else all. */
static void kfault_text_seed(struct kfault_text_scan *s, unsigned long addr)
{
	s->seed_start = min(s->seed_start, addr);
	s->seed_end = max(s->seed_end, kfault_sym_end(addr));
}

static int kfault_prefix_sym(void *data, const char *name, unsigned long addr)
{
	struct kfault_text_scan *s = data;

	if (is_kernel_text(addr) && kfault_has_prefix(name, s->prefix))
		kfault_text_seed(s, addr);
	return 0;
}

int kfault_find_text(const struct kfault_target *target,
		     struct kfault_text *text)
{
	struct kfault_text_scan s = {
		.prefix = target->prefix,
		.seed_start = ULONG_MAX,
	};
	unsigned long own = (unsigned long)kfault_find_text;
	struct alloc_tag *tag;
	unsigned long addr;

	for (tag = __start_alloc_tags; tag < __stop_alloc_tags; tag++) {
		if (!tag->ct.function ||
		    !kfault_in_srcdir(target->srcdir, tag->ct.filename) ||
		    !kfault_has_prefix(tag->ct.function, target->prefix))
			continue;
		addr = kallsyms_lookup_name(tag->ct.function);
		if (addr && is_kernel_text(addr))
			kfault_text_seed(&s, addr);
	}
	if (s.seed_start == ULONG_MAX)
		kallsyms_on_each_symbol(kfault_prefix_sym, &s);
	if (s.seed_start >= s.seed_end)
		return -ENOENT;
	s.end = s.seed_end;
	kallsyms_on_each_symbol(kfault_text_sym, &s);
	if (!s.start)
		s.start = s.seed_start;
	if (own >= s.start && own < s.end) {
		pr_err("kfault: %s's text %pS..%pS holds kfault's own code: a prefix shared with the suite or library?\n",
		       target->name, (void *)s.start, (void *)(s.end - 1));
		return -EINVAL;
	}
	text->start = s.start;
	text->end = s.end;
	return 0;
}

bool kfault_in_text(const struct kfault_text *text, unsigned long addr)
{
	return addr >= text->start && addr < text->end;
}

bool kfault_in_target(const struct kfault_env *env, unsigned long addr)
{
	return kfault_in_text(&env->text, addr);
}

/* ---- the target's allocation tags ---------------------------------------- */

/* Is file in one of srcdirs ("drivers/net/netdevsim/,lib/kunit/")? */
bool kfault_in_srcdir(const char *srcdirs, const char *file)
{
	char dir[64];
	size_t n;

	while (file && *srcdirs) {
		n = strcspn(srcdirs, ",");
		if (n && n < sizeof(dir)) {
			strscpy(dir, srcdirs, n + 1);
			if (strstr(file, dir))
				return true;
		}
		srcdirs += n + !!srcdirs[n];
	}
	return false;
}

/* Built-in code's tags have no module name (CT_MODULE_NAME): use the file. */
bool kfault_own_tag(const struct kfault_env *env, const struct alloc_tag *tag)
{
	return kfault_in_srcdir(env->target->srcdir, tag->ct.filename);
}

void kfault_find_tags(struct kfault_env *env)
{
	struct kfault_tags *t = &env->tags;
	struct alloc_tag *tag;

	for (tag = __start_alloc_tags; tag < __stop_alloc_tags; tag++) {
		/* a pool that only grows (lib/stackdepot.c) is no leak */
		if (!kfault_own_tag(env, tag) ||
		    (tag->ct.function &&
		     kfault_is_bookkeeping(tag->ct.function)))
			continue;
		if (t->nr == KFAULT_MAX_TAGS) {
			pr_warn("kfault: more than %d allocation sites in %s\n",
				KFAULT_MAX_TAGS, env->target->srcdir);
			break;
		}
		t->tag[t->nr++] = tag;
	}
}

static void kfault_tags_read(struct kfault_tags *t, s64 *calls, s64 *bytes)
{
	unsigned int i;

	for (i = 0; i < t->nr; i++) {
		struct alloc_tag_counters c = alloc_tag_read(t->tag[i]);

		calls[i] = c.calls;
		bytes[i] = c.bytes;
	}
}

void kfault_tags_snapshot(struct kfault_env *env)
{
	kfault_tags_read(&env->tags, env->tags.calls_before,
			 env->tags.bytes_before);
}

/*
 * Append "file:line fn +N/+B" for every tag that holds more than before:
 * fewer is something older freed, not a leak.
 */
unsigned int kfault_tags_diff(struct kfault_env *env, char *buf, size_t len)
{
	struct kfault_tags *t = &env->tags;
	unsigned int i, nr = 0;
	size_t used = 0;

	kfault_tags_read(t, t->calls, t->bytes);
	buf[0] = '\0';
	for (i = 0; i < t->nr; i++) {
		const struct codetag *ct = &t->tag[i]->ct;
		s64 dc = t->calls[i] - t->calls_before[i];
		s64 db = t->bytes[i] - t->bytes_before[i];

		if (dc <= 0 && db <= 0)
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

/* ---- allocation events: the tracepoints ------------------------------- */

enum kfault_nesting kfault_nesting(const struct kfault_site *site)
{
	if (!site->inner[0] || !strcmp(site->inner, site->allocator))
		return KFAULT_DIRECT;
	if (kfault_is_bookkeeping(site->inner))
		return KFAULT_BOOKKEEPING;
	return KFAULT_INTERNAL;
}

/*
 * The id names what the target called, what kind of allocation inside it
 * failed (the call itself, the kernel's own bookkeeping, or the API's
 * internals), the function inside the API that allocated, and the target's
 * frames; the same site failed again later in the operation is told apart
 * by its occurrence among the events before it.  With the inner function
 * in the hash, an internal allocation that comes and goes (a radix tree
 * node) shifts the occurrences of its own kind only.
 */
u32 kfault_site_hash(const struct kfault_site *site)
{
	u32 h = kfault_fnv(KFAULT_FNV_SEED, site->allocator,
			   strlen(site->allocator));

	h = kfault_fnv(h, &site->nested, sizeof(site->nested));
	return kfault_fnv(h, site->inner, strlen(site->inner));
}

/*
 * A target with no text (any KUnit suite): the site is the allocation tag
 * of the call being made - its function, file and line - and the function
 * that called the failing allocator, if not that one.  Bookkeeping is told
 * apart by that inner function as for a driver.
 */
static void kfault_site_from_tag(struct kfault_env *env, unsigned int nr,
				 unsigned long call_site,
				 struct kfault_site *site)
{
	const struct alloc_tag *tag = current->alloc_tag;
	unsigned long *e = env->catch.entries;
	char name[KSYM_NAME_LEN];
	bool page = !call_site;
	unsigned int d;

	if (!tag || !tag->ct.function)
		return;
	strscpy(site->attr, page ? "fail_page_alloc" : "failslab",
		sizeof(site->attr));
	for (d = 0; !call_site && d < nr; d++) {
		snprintf(name, sizeof(name), "%ps", (void *)e[d]);
		if (!kfault_is_machinery(name))
			call_site = e[d];
	}
	snprintf(name, sizeof(name), "%ps", (void *)call_site);
	kfault_allocator_name(name, site->inner, sizeof(site->inner));
	strscpy(site->caller, tag->ct.function, sizeof(site->caller));
	/* a page's call_site is the frame found above: still a page */
	strscpy(site->allocator, page ? "page" : "slab",
		sizeof(site->allocator));
	if (!strcmp(site->inner, site->caller))
		site->inner[0] = '\0';
	strscpy(site->file, kbasename(tag->ct.filename), sizeof(site->file));
	site->line = tag->ct.lineno;
	site->nested = kfault_nesting(site);
	/* slab's extension vector has a tag of its own (slub.c), no inner */
	if (kfault_is_bookkeeping(site->caller))
		site->nested = KFAULT_BOOKKEEPING;
	site->hash = kfault_fnv(kfault_site_hash(site), site->caller,
				strlen(site->caller));
}

/*
 * A site from a saved stack: call_site is the allocator's caller (slab
 * tracepoints), or 0 for a page allocation, whose caller is the first frame
 * above the page allocator.
 */
static void kfault_site_from_stack(struct kfault_env *env, unsigned int nr,
				   unsigned long call_site,
				   struct kfault_site *site)
{
	unsigned long *e = env->catch.entries;
	char name[KSYM_NAME_LEN];
	unsigned int i, d;
	u32 h;

	if (env->text.start == env->text.end) {
		kfault_site_from_tag(env, nr, call_site, site);
		return;
	}
	for (i = 0; i < nr && !kfault_in_target(env, e[i]); i++)
		;
	if (i == nr || !i)
		return;
	strscpy(site->attr, call_site ? "failslab" : "fail_page_alloc",
		sizeof(site->attr));
	snprintf(site->caller, sizeof(site->caller), "%pS", (void *)e[i]);
	site->addr = e[i];
	snprintf(name, sizeof(name), "%ps", (void *)e[i - 1]);
	kfault_allocator_name(name, site->allocator, sizeof(site->allocator));
	if (!call_site) {
		for (d = 0; d < i; d++) {
			snprintf(name, sizeof(name), "%ps", (void *)e[d]);
			if (!kfault_is_machinery(name))
				break;
		}
		call_site = d < i ? e[d] : 0;
	}
	if (call_site && !kfault_in_target(env, call_site)) {
		snprintf(name, sizeof(name), "%ps", (void *)call_site);
		kfault_allocator_name(name, site->inner, sizeof(site->inner));
	}
	site->nested = kfault_nesting(site);
	h = kfault_site_hash(site);
	for (d = 0; i < nr && d < 4 && kfault_in_target(env, e[i]); i++, d++) {
		snprintf(name, sizeof(name), "%ps", (void *)e[i]);
		h = kfault_fnv(h, name, strcspn(name, "+"));
	}
	site->hash = h;
}

/* How many of the first 'before' events had this hash. */
unsigned int kfault_occurrence(const u32 *hashes, unsigned int before, u32 hash)
{
	unsigned int i, n = 0;

	for (i = 0; i < min_t(unsigned int, before, KFAULT_MAX_NTH); i++)
		n += hashes[i] == hash;
	return n;
}

/* A site's stable id: its hash and its occurrence, 0 for no site. */
u32 kfault_site_id(const struct kfault_site *site)
{
	return site->hash ? kfault_fnv(site->hash, &site->occurrence,
				       sizeof(site->occurrence)) : 0;
}

/* The id point nth has by the counting run's events (expect). */
u32 kfault_expect_id(const u32 *expect, unsigned int nth)
{
	struct kfault_site site = { .hash = expect[nth - 1] };

	site.occurrence = kfault_occurrence(expect, nth - 1, site.hash);
	return kfault_site_id(&site);
}

/* Did the failure hit point nth of the counting run's events (expect)? */
bool kfault_hit(const struct kfault_site *site, const u32 *expect,
		unsigned int nth)
{
	return site->hash == expect[nth - 1] &&
	       site->occurrence == kfault_occurrence(expect, nth - 1,
						     expect[nth - 1]);
}

/*
 * Ready the catch for one run: nth 0 counts, nth 1 fails the first
 * allocation, nth k arms after the event with the (k-1)-th's hash and
 * occurrence.  The caller sets current->fail_nth and c->armed.
 */
void kfault_catch_arm(struct kfault_catch *c, const u32 *expect,
		      unsigned int nth, unsigned int count)
{
	memset(&c->cap, 0, sizeof(c->cap));
	c->captured = false;
	c->events = 0;
	c->rearmed = 0;
	c->arm_on_event = nth > 1;
	if (c->arm_on_event) {
		c->arm_hash = expect[nth - 2];
		c->arm_occurrence = kfault_occurrence(expect, nth - 2,
						      c->arm_hash);
	}
	c->arm_count = count;
	c->fail_armed = nth == 1;
	c->armed_at = 0;
}

/* The armed failure hit: where, unless it was the kernel's bookkeeping. */
static void kfault_catch_failure(struct kfault_env *env, unsigned int nr,
				 unsigned long call_site)
{
	struct kfault_catch *c = &env->catch;
	struct kfault_site site = { };
	struct alloc_tag *tag;

	kfault_site_from_stack(env, nr, call_site, &site);
	if (site.nested == KFAULT_BOOKKEEPING) {
		/* kmemleak's metadata of the last object: fail the next one */
		c->rearmed++;
		WRITE_ONCE(current->fail_nth, 1);
		return;
	}
	c->captured = true;
	c->cap = site;
	c->cap.occurrence = kfault_occurrence(c->hash, c->events, site.hash);
	tag = current->alloc_tag;
	if (tag && kfault_own_tag(env, tag)) {
		strscpy(c->cap.file, kbasename(tag->ct.filename),
			sizeof(c->cap.file));
		c->cap.line = tag->ct.lineno;
	}
}

/*
 * Runs inside the allocator, maybe in atomic context: no sleeping.  In the
 * armed window, every completed allocation that fault injection counts is
 * an event.  After the event that came right before the point's own in the
 * counting run - the same site hash, seen as often before - current->fail_nth
 * is set so that the next allocation fails.  Events are matched by identity,
 * not by index: an allocation that comes and goes (a node of an xarray
 * growing every 64 ids, seen on netdevsim's devlink index) then moves no
 * other point.  Bookkeeping (kmemleak's metadata, slab pages, extension
 * vectors) is no event at all.
 */
static void kfault_event(struct kfault_env *env, unsigned long call_site,
			 const void *ptr, gfp_t gfp)
{
	struct kfault_catch *c = &env->catch;
	struct kfault_site site = { };
	unsigned int nr, seen;

	/*
	 * fail_nth counts task context only (should_fail_ex()); on UML a
	 * softirq runs on the interrupted task and would look like its own.
	 * A thread's exit is not the code under test's.
	 */
	if (c->armed != current || !in_task() ||
	    (current->flags & PF_EXITING))
		return;
	if (!ptr) {
		if (c->fail_armed && !c->captured &&
		    !READ_ONCE(current->fail_nth)) {
			nr = stack_trace_save(c->entries,
					      ARRAY_SIZE(c->entries), 0);
			kfault_catch_failure(env, nr, call_site);
		}
		return;
	}
	if (gfp & __GFP_NOFAIL)
		return;
	nr = stack_trace_save(c->entries, ARRAY_SIZE(c->entries), 0);
	kfault_site_from_stack(env, nr, call_site, &site);

	if (site.nested == KFAULT_BOOKKEEPING || (c->stack_filter && !site.hash))
		return;
	seen = c->arm_on_event && !c->fail_armed && site.hash == c->arm_hash ?
		kfault_occurrence(c->hash, c->events, site.hash) : UINT_MAX;
	if (c->events < KFAULT_MAX_NTH) {
		c->hash[c->events] = site.hash;
		if (c->sites)
			c->sites[c->events] = site;
	}
	c->events++;
	if (trace_events)
		kfault_print_event(c->events, &site);
	if (seen == c->arm_occurrence) {
		WRITE_ONCE(current->fail_nth, c->arm_count);
		c->fail_armed = true;
		c->armed_at = c->events;
	}
}

static void kfault_probe_kmalloc(void *data, unsigned long call_site,
				 const void *ptr, size_t req, size_t alloc,
				 gfp_t gfp, int node)
{
	kfault_event(data, call_site, ptr, gfp);
}

static void kfault_probe_cache(void *data, unsigned long call_site,
			       const void *ptr, struct kmem_cache *s, gfp_t gfp,
			       int node)
{
	kfault_event(data, call_site, ptr, gfp);
}

/*
 * Page failures never reach this tracepoint: the console's dump has them.
 * Pages asked for with __GFP_NOWARN are opportunistic (a stack depot
 * growing, a higher order tried first) and fail silently: not events.
 */
static void kfault_probe_page(void *data, struct page *page,
			      unsigned int order, gfp_t gfp, int migratetype)
{
	if (page && !(gfp & __GFP_NOWARN))
		kfault_event(data, 0, page, gfp);
}

int kfault_probes_register(struct kfault_env *env)
{
	int err;

	err = register_trace_kmalloc(kfault_probe_kmalloc, env);
	if (err)
		return err;
	err = register_trace_kmem_cache_alloc(kfault_probe_cache, env);
	if (err)
		goto err_kmalloc;
	err = register_trace_mm_page_alloc(kfault_probe_page, env);
	if (err)
		goto err_cache;
	return 0;

err_cache:
	unregister_trace_kmem_cache_alloc(kfault_probe_cache, env);
err_kmalloc:
	unregister_trace_kmalloc(kfault_probe_kmalloc, env);
	return err;
}

void kfault_probes_unregister(struct kfault_env *env)
{
	unregister_trace_mm_page_alloc(kfault_probe_page, env);
	unregister_trace_kmem_cache_alloc(kfault_probe_cache, env);
	unregister_trace_kmalloc(kfault_probe_kmalloc, env);
	tracepoint_synchronize_unregister();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: where an injected failure hit, and its stable id - the hash of
 * the allocator, how deep inside it the failure was and the target's
 * frames, plus its occurrence among the operation's earlier allocations.
 * Pure but for kallsyms' names: the functions that decide which point is
 * which from run to run (kfault_test.c tests them).
 */
#include <linux/kallsyms.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "internal.h"

u32 kfault_fnv(u32 h, const void *s, size_t n)
{
	const u8 *p = s;

	while (n--) {
		h ^= *p++;
		h *= 16777619;
	}
	return h;
}

/*
 * "__kmalloc_cache_noprof+0x1a/0x30" -> "kmalloc_cache", and a module's
 * "refdev_open [refdev]" -> "refdev_open"
 */
void kfault_allocator_name(const char *sym, char *buf, size_t len)
{
	size_t n;

	while (*sym == '_')
		sym++;
	/* "+off/size", " [module]", and a compiler clone's ".constprop.0" */
	n = strcspn(sym, "+ .");
	if (n > 7 && !strncmp(sym + n - 7, "_noprof", 7))
		n -= 7;
	strscpy(buf, sym, min(n + 1, len));
}

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

static bool str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/*
 * The frame after @fn's on the stack @e, into @fn: the function that called
 * it.  @name is the caller's symbol buffer (KSYM_NAME_LEN), reused: this
 * runs for every allocation event, where stack is short.
 */
static void kfault_caller_of(const unsigned long *e, unsigned int nr,
			     char *name, char *fn, size_t len)
{
	char here[sizeof_field(struct kfault_site, inner)];
	unsigned int d;

	for (d = 0; d + 1 < nr; d++) {
		snprintf(name, KSYM_NAME_LEN, "%ps", (void *)e[d]);
		kfault_allocator_name(name, here, sizeof(here));
		if (!strcmp(here, fn)) {
			snprintf(name, KSYM_NAME_LEN, "%ps", (void *)e[d + 1]);
			kfault_allocator_name(name, fn, len);
			return;
		}
	}
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
	/*
	 * A helper from a header that the compiler inlined names the function
	 * it was inlined into; left out of line (another compiler, or the
	 * gcov build of make review's patched side: a .constprop clone) it is
	 * a frame of its own.  Its caller's frame is named instead, so that
	 * both builds give the point the same id.
	 */
	if (!strcmp(site->inner, site->caller) &&
	    str_has_suffix(tag->ct.filename, ".h"))
		kfault_caller_of(e, nr, name, site->inner, sizeof(site->inner));
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
void kfault_site_from_stack(struct kfault_env *env, unsigned int nr,
			    unsigned long call_site, struct kfault_site *site)
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

/* How many of the first 'before' events (all in hashes) had this hash. */
unsigned int kfault_occurrence(const u32 *hashes, unsigned int before, u32 hash)
{
	unsigned int i, n = 0;

	for (i = 0; i < before; i++)
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
 * A failure that missed point nth (kfault_hit() said no) and is to be tried
 * afresh: a finding at another site, or a failure no probe saw (silent).
 */
bool kfault_miss(const struct kfault_result *res)
{
	return res->fired &&
	       (!kfault_verdict_ok(res->verdict) || res->site.silent);
}

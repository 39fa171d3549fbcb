// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: the target's allocation tags (MEM_ALLOC_PROFILING) and the
 * precise leak check: what a point left allocated at each of its call sites.
 */
#include <linux/alloc_tag.h>
#include <linux/glob.h>
#include <linux/math64.h>
#include <linux/sched/signal.h>
#include <linux/string.h>

#include "internal.h"

/*
 * Copy the next item of the list at *@list ("a,b,...") into @buf and step
 * past it; an empty item, or one of @size characters or more, is skipped.
 * No callback and a caller's buffer: kfault_in_srcdir() runs for every
 * allocation event, deep in the allocator, where stack is short.
 */
static bool kfault_list_next(const char **list, char *buf, size_t size)
{
	const char *item;
	size_t n;

	while (**list) {
		item = *list;
		n = strcspn(item, ",");
		*list += n + !!item[n];
		if (n && n < size) {
			strscpy(buf, item, n + 1);
			return true;
		}
	}
	return false;
}

/* Does a glob of @list ("kasan*,kfault_lib") match @s? */
bool kfault_list_match(const char *list, const char *s)
{
	char item[KFAULT_SYM_LEN];

	while (s && kfault_list_next(&list, item, sizeof(item)))
		if (glob_match(item, s))
			return true;
	return false;
}

/* Is file in one of srcdirs ("drivers/net/netdevsim/,lib/kunit/")? */
bool kfault_in_srcdir(const char *srcdirs, const char *file)
{
	char dir[64];

	while (file && kfault_list_next(&srcdirs, dir, sizeof(dir)))
		if (strstr(file, dir))
			return true;
	return false;
}

/* Built-in code's tags have no module name (CT_MODULE_NAME): use the file. */
bool kfault_own_tag(const struct kfault_env *env, const struct alloc_tag *tag)
{
	return kfault_in_srcdir(env->target->srcdir, tag->ct.filename);
}

/* A tag whose growth the precise check reads: the target's, not a pool's */
static bool kfault_tag_checked(const struct kfault_env *env,
			       const struct alloc_tag *tag)
{
	/*
	 * A pool that only grows (lib/stackdepot.c) is no leak, nor what the
	 * kernel keeps on purpose (tables.c kfault_kept: fork.c's cached
	 * thread stacks, when a suite of kernel/ puts fork.c in scope).
	 */
	return kfault_own_tag(env, tag) &&
	       !(tag->ct.function &&
		 (kfault_is_bookkeeping(tag->ct.function) ||
		  kfault_is_kept(tag->ct.function)));
}

/*
 * Every tag of the target's directories, however many: a night's 44
 * directories hold thousands, and a tag left out is checked by no one.
 */
int kfault_find_tags(struct kfault_env *env)
{
	struct kfault_tags *t = &env->tags;
	struct alloc_tag *tag;
	unsigned int nr = 0;

	for (tag = __start_alloc_tags; tag < __stop_alloc_tags; tag++)
		nr += kfault_tag_checked(env, tag);
	t->nr = 0;
	t->tag = kvcalloc(max(nr, 1U), sizeof(*t->tag), GFP_KERNEL);
	t->calls_before = kvcalloc(max(nr, 1U), 4 * sizeof(s64), GFP_KERNEL);
	if (!t->tag || !t->calls_before) {
		kfault_free_tags(t);
		return -ENOMEM;
	}
	t->bytes_before = t->calls_before + nr;
	t->calls = t->bytes_before + nr;
	t->bytes = t->calls + nr;
	for (tag = __start_alloc_tags; tag < __stop_alloc_tags && t->nr < nr;
	     tag++)
		if (kfault_tag_checked(env, tag))
			t->tag[t->nr++] = tag;
	return 0;
}

void kfault_free_tags(struct kfault_tags *t)
{
	kvfree(t->tag);
	kvfree(t->calls_before);
	t->tag = NULL;
	t->calls_before = NULL;
	t->bytes_before = NULL;
	t->calls = NULL;
	t->bytes = NULL;
	t->nr = 0;
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

/* Live workqueue workers: tasks in worker_thread() (or a rescuer's). */
static unsigned int kfault_nr_workers(void)
{
	struct task_struct *g, *p;
	unsigned int n = 0;

	rcu_read_lock();
	for_each_process_thread(g, p)
		n += !!(READ_ONCE(p->flags) & PF_WQ_WORKER);
	rcu_read_unlock();
	return n;
}

void kfault_tags_snapshot(struct kfault_env *env)
{
	kfault_tags_read(&env->tags, env->tags.calls_before,
			 env->tags.bytes_before);
	env->tags.workers_before = kfault_nr_workers();
	env->tags.new_workers = 0;
}

static void kfault_tags_reread(struct kfault_tags *t)
{
	unsigned int now = kfault_nr_workers();

	kfault_tags_read(t, t->calls, t->bytes);
	t->new_workers = now > t->workers_before ? now - t->workers_before : 0;
}

/*
 * Take off a site's growth (@dc calls, @db bytes) what @workers new
 * workqueue workers hold there (tables.c kfault_worker_sites): one call
 * each, and the bytes of an average call of the growth.
 */
void kfault_worker_discount(const char *function, unsigned int workers,
			    s64 *dc, s64 *db)
{
	s64 n = min_t(s64, workers, *dc);

	if (n <= 0 || !kfault_is_worker_site(function))
		return;
	*db -= div64_s64(*db * n, *dc);
	*dc -= n;
}

/*
 * Did tag i hold more at the last read than at the snapshot, besides what
 * the workers made meanwhile hold?  Fewer is something older freed, not
 * a leak.
 */
bool kfault_tags_grown(const struct kfault_tags *t, unsigned int i, s64 *dc,
		       s64 *db)
{
	*dc = t->calls[i] - t->calls_before[i];
	*db = t->bytes[i] - t->bytes_before[i];
	kfault_worker_discount(t->tag[i]->ct.function, t->new_workers, dc, db);
	return *dc > 0 || *db > 0;
}

/* Read the counts again: how many call sites grew since the snapshot. */
unsigned int kfault_tags_read_grown(struct kfault_env *env)
{
	struct kfault_tags *t = &env->tags;
	unsigned int i, nr = 0;
	s64 dc, db;

	kfault_tags_reread(t);
	for (i = 0; i < t->nr; i++)
		nr += kfault_tags_grown(t, i, &dc, &db);
	return nr;
}

/* Append "file:line fn +N/+B" for every tag that grew. */
unsigned int kfault_tags_diff(struct kfault_env *env, char *buf, size_t len)
{
	struct kfault_tags *t = &env->tags;
	unsigned int i, nr = 0;
	size_t used = 0;
	s64 dc, db;

	kfault_tags_reread(t);
	buf[0] = '\0';
	for (i = 0; i < t->nr; i++) {
		const struct codetag *ct = &t->tag[i]->ct;

		if (!kfault_tags_grown(t, i, &dc, &db))
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

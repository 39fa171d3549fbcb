// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: the target's allocation tags (MEM_ALLOC_PROFILING) and the
 * precise leak check: what a point left allocated at each of its call sites.
 */
#include <linux/alloc_tag.h>
#include <linux/string.h>

#include "internal.h"

/*
 * Does an item of @list ("a,b,...") match @s by @match(item, s)?  An item
 * of KFAULT_SYM_LEN characters or more matches nothing.
 */
bool kfault_list_match(const char *list, const char *s,
		       bool (*match)(const char *item, const char *s))
{
	char item[KFAULT_SYM_LEN];
	size_t n;

	while (s && *list) {
		n = strcspn(list, ",");
		if (n && n < sizeof(item)) {
			strscpy(item, list, n + 1);
			if (match(item, s))
				return true;
		}
		list += n + !!list[n];
	}
	return false;
}

/*
 * Is file in one of srcdirs ("drivers/net/netdevsim/,lib/kunit/")?  Called
 * for every allocation event, deep in the allocator: no callback, and its
 * buffer as small as the directories need.
 */
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
/* Read the counts again: how many call sites grew since the snapshot. */
unsigned int kfault_tags_read_grown(struct kfault_env *env)
{
	struct kfault_tags *t = &env->tags;
	unsigned int i, nr = 0;

	kfault_tags_read(t, t->calls, t->bytes);
	for (i = 0; i < t->nr; i++)
		nr += t->calls[i] > t->calls_before[i] ||
		      t->bytes[i] > t->bytes_before[i];
	return nr;
}

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

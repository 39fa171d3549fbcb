// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: the fault-injection knobs in debugfs, set without userspace.
 *
 * In 6.12 failslab and fail_page_alloc skip sleeping allocations
 * (ignore-gfp-wait=Y), highmem and order-0 pages (min-order=1) by default,
 * and these knobs exist only in debugfs.  They are reached through
 * debugfs_lookup() and the file's i_private pointer (debugfs internals, not
 * a stable API: needs CONFIG_FAULT_INJECTION_DEBUG_FS=y, no debugfs=off).
 */
#include <linux/debugfs.h>
#include <linux/fs.h>

#include "internal.h"

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

/*
 * Find every knob, then save and set them.  On error nothing was changed;
 * kfault_knobs_restore() only ever writes back values it saved.
 */
int kfault_knobs_apply(struct kfault_knob *knobs, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		knobs[i].changed = false;
		knobs[i].ptr = kfault_knob_ptr(knobs[i].dir, knobs[i].file);
		if (!knobs[i].ptr) {
			pr_err("kfault: no debugfs knob %s/%s\n", knobs[i].dir,
			       knobs[i].file);
			return -ENOENT;
		}
	}
	for (i = 0; i < nr; i++) {
		knobs[i].saved = kfault_knob_get(&knobs[i]);
		kfault_knob_put(&knobs[i], knobs[i].set);
		knobs[i].changed = true;
	}
	return 0;
}

void kfault_knobs_restore(struct kfault_knob *knobs, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (!knobs[i].changed)
			continue;
		kfault_knob_put(&knobs[i], knobs[i].saved);
		knobs[i].changed = false;
	}
}

static const struct kfault_knob kfault_knob_table[KFAULT_NR_KNOBS] = {
	{ "failslab", "ignore-gfp-wait", sizeof(bool), 0 },
	{ "fail_page_alloc", "ignore-gfp-wait", sizeof(bool), 0 },
	{ "fail_page_alloc", "ignore-gfp-highmem", sizeof(bool), 0 },
	{ "fail_page_alloc", "min-order", sizeof(u32), 0 },
	/*
	 * A slab failure's stack is the tracepoint probe's (probes.c); its
	 * dump on the console, some 150 lines a point, only made UML drop
	 * console output it could not write fast enough (whole points' result
	 * lines lost in make kunit).  A page failure reaches no tracepoint:
	 * its dump is where its site comes from.
	 */
	{ "failslab", "verbose", sizeof(unsigned long), 1 },
	{ "fail_page_alloc", "verbose", sizeof(unsigned long), 2 },
};

int kfault_knobs_set(struct kfault_knobs *k)
{
	int err;

	memcpy(k->knob, kfault_knob_table, sizeof(k->knob));
	/* "probability" is the first member: its i_private is the attr. */
	BUILD_BUG_ON(offsetof(struct fault_attr, probability) != 0);
	k->attrs[0] = kfault_knob_ptr("failslab", "probability");
	k->attrs[1] = kfault_knob_ptr("fail_page_alloc", "probability");
	if (!k->attrs[0] || !k->attrs[1]) {
		pr_err("kfault: no failslab or fail_page_alloc in debugfs\n");
		return -ENOENT;
	}
	err = kfault_knobs_apply(k->knob, ARRAY_SIZE(k->knob));
	if (err)
		kfault_knobs_restore(k->knob, ARRAY_SIZE(k->knob));
	return err;
}

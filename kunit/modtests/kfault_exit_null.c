// SPDX-License-Identifier: GPL-2.0
/*
 * kfault_exit_null - a module whose exit frees through a pointer its init
 * left NULL.
 *
 * Made for the module load sweep (make sweep TARGET=modtests): the
 * statistics are optional, so init carries on without them when their
 * allocation fails; exit does not check and dereferences the NULL pointer.
 * The sweep must report the crash in the exit function: its kfault-expect
 * mark says where.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/slab.h>

struct kfault_en_stats {
	u64 *counters;
};

static struct kfault_en_stats *kfault_en;

static int __init kfault_exit_null_init(void)
{
	kfault_en = kzalloc(sizeof(*kfault_en), GFP_KERNEL);
	if (!kfault_en)
		return 0;	/* optional: carry on without statistics */
	kfault_en->counters = kcalloc(8, sizeof(u64), GFP_KERNEL);
	if (!kfault_en->counters) {
		kfree(kfault_en);
		kfault_en = NULL;
	}
	return 0;
}

static void __exit kfault_exit_null_exit(void)
{
	/* the seeded bug: kfault_en is NULL when init had no statistics */
	kfree(kfault_en->counters);	/* kfault-expect: crash */
	kfree(kfault_en);
}

module_init(kfault_exit_null_init);
module_exit(kfault_exit_null_exit);
MODULE_DESCRIPTION("kfault test module: exit dereferences what a failed init left NULL");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * kfault_init_leak - a module whose init leaks when an allocation fails.
 *
 * Made for the module load sweep (make sweep TARGET=modtests): when the
 * allocation of the state fails, init returns -ENOMEM and forgets the
 * table it allocated first.  The sweep must report a leak allocated at
 * the kcalloc() line: its kfault-expect mark says so.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/slab.h>

struct kfault_il_state {
	u64 *table;
};

static struct kfault_il_state *kfault_il;

static int __init kfault_init_leak_init(void)
{
	u64 *table;

	table = kcalloc(16, sizeof(*table), GFP_KERNEL); /* kfault-expect: leak */
	if (!table)
		return -ENOMEM;
	kfault_il = kzalloc(sizeof(*kfault_il), GFP_KERNEL);
	if (!kfault_il)
		return -ENOMEM;	/* the seeded bug: table is leaked */
	kfault_il->table = table;
	return 0;
}

static void __exit kfault_init_leak_exit(void)
{
	kfree(kfault_il->table);
	kfree(kfault_il);
}

module_init(kfault_init_leak_init);
module_exit(kfault_init_leak_exit);
MODULE_DESCRIPTION("kfault test module: init leaks when an allocation fails");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * make review's coverage build only (KFAULT_GCOV=y on make's command line,
 * UML): the touched files are compiled with gcov's counters and libgcov is
 * linked in (harness/kfault/checkout/gcov.py).  libgcov writes its .gcda files from
 * a destructor gcc puts in .fini_array.00100, which UML's linker script does
 * not gather into the .fini_array that libc runs at exit; this plain
 * destructor, which it does gather, writes them instead after the kernel
 * halted.  A boot that panics (a crashed point) never gets there: UML's
 * panic notifier dumps core, so ours, which runs first, writes them then.
 * libgcov adds to the counts it finds on disk and writes once per process.
 */
#include <linux/init.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>

#include <kern_util.h>

#include "internal.h"

static void kfault_cov_dump(void)
{
	/* libgcov allocates: with the host's malloc(), not UML's kmalloc() */
	kmalloc_ok = 0;
	__gcov_dump();
}

static void __attribute__((destructor)) kfault_cov_flush(void)
{
	kfault_cov_dump();
}

static int kfault_cov_panic(struct notifier_block *nb, unsigned long event,
			    void *data)
{
	kfault_cov_dump();
	return NOTIFY_DONE;
}

/* Before UML's panic_exit (INT_MAX - 1), which does not return. */
static struct notifier_block kfault_cov_panic_nb = {
	.notifier_call = kfault_cov_panic,
	.priority = INT_MAX,
};

static int __init kfault_cov_init(void)
{
	atomic_notifier_chain_register(&panic_notifier_list,
				       &kfault_cov_panic_nb);
	return 0;
}
core_initcall(kfault_cov_init);

// SPDX-License-Identifier: GPL-2.0
/*
 * refdev seeded defects: known error-path bugs that a calibration run of
 * the fault harness switches on, one at a time, to prove that each of its
 * oracles (leak, kernel report, errno, rollback, crash) catches its class.
 *
 * All are off by default.  The "defect" parameter names the one that is
 * on: refdev.defect=NAME on the kernel command line (the driver is built
 * in), or /sys/module/refdev/parameters/defect at run time; "none" or an
 * empty string switches it off and an unknown name is refused.  The value
 * is kept as an index, so refdev_defect() is a plain load that is safe in
 * any context, the interrupt path under rd->lock included.
 */
#include <linux/array_size.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "refdev_internal.h"

static const char * const refdev_defect_names[] = {
	[REFDEV_DEFECT_NONE]			= "none",
	[REFDEV_DEFECT_PROBE_UNWIND_LEAK]	= "probe_unwind_leak",
	[REFDEV_DEFECT_RING_PAGES_LEAK]		= "ring_pages_leak",
	[REFDEV_DEFECT_SUBMIT_ROLLBACK_LEAK]	= "submit_rollback_leak",
	[REFDEV_DEFECT_CACHE_LIVE_OBJECTS]	= "cache_live_objects",
	[REFDEV_DEFECT_DOUBLE_FREE]		= "double_free",
	[REFDEV_DEFECT_UAF_ERROR_PATH]		= "uaf_error_path",
	[REFDEV_DEFECT_NULL_DEREF]		= "null_deref",
	[REFDEV_DEFECT_WRONG_ERRNO]		= "wrong_errno",
	[REFDEV_DEFECT_NO_ROLLBACK]		= "no_rollback",
	[REFDEV_DEFECT_ATOMIC_SLEEP]		= "atomic_sleep",
	[REFDEV_DEFECT_KFREE_VMALLOC]		= "kfree_vmalloc",
	[REFDEV_DEFECT_VFREE_KMALLOC]		= "vfree_kmalloc",
	[REFDEV_DEFECT_OOB_ERROR_PATH]		= "oob_error_path",
	[REFDEV_DEFECT_FOP_WRITE_LEAK]		= "fop_write_leak",
	[REFDEV_DEFECT_LOCK_INVERSION]		= "lock_inversion",
};

static_assert(ARRAY_SIZE(refdev_defect_names) == REFDEV_DEFECT_COUNT);

/* enum refdev_defect; written by the parameter, read by refdev_defect(). */
static int refdev_defect_on;

static int refdev_defect_set(const char *val, const struct kernel_param *kp)
{
	int d;

	if (sysfs_streq(val, ""))
		d = REFDEV_DEFECT_NONE;
	else
		d = sysfs_match_string(refdev_defect_names, val);
	if (d < 0) {
		pr_err("refdev: unknown defect \"%s\"\n", val);
		return -EINVAL;
	}
	WRITE_ONCE(*(int *)kp->arg, d);
	if (d != REFDEV_DEFECT_NONE)
		pr_notice("refdev: seeded defect %s is on\n",
			  refdev_defect_names[d]);
	return 0;
}

static int refdev_defect_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 refdev_defect_names[READ_ONCE(*(int *)kp->arg)]);
}

static const struct kernel_param_ops refdev_defect_ops = {
	.set = refdev_defect_set,
	.get = refdev_defect_get,
};

module_param_cb(defect, &refdev_defect_ops, &refdev_defect_on, 0644);
MODULE_PARM_DESC(defect, "seeded defect to switch on (default: none)");

/**
 * refdev_defect() - is the seeded defect @d switched on?
 * @d: the defect
 *
 * Context: any.
 * Return: true if the "defect" parameter names @d.
 */
bool refdev_defect(enum refdev_defect d)
{
	return d != REFDEV_DEFECT_NONE && READ_ONCE(refdev_defect_on) == d;
}

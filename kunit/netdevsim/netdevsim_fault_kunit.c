// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-injection sweep of netdevsim (drivers/net/netdevsim/), an upstream
 * driver whose source is not edited: every operation goes through the
 * files userspace uses - the bus's new_device/del_device, the driver's
 * bind file and the device's new_port/del_port - written from the test's
 * kthread on a kernel mount of sysfs.  The operations' table is all this
 * file holds; the sweep is kfault's.
 *
 * The probe is reached through "bind" rather than "new_device": with
 * autoprobe on, the driver core swallows a failed probe (the device stays,
 * unbound, and the write succeeds), while bind returns the probe's errno.
 * Every operation counts only allocations whose stack passes through
 * netdevsim (KFAULT_STACK_FILTER): sysfs's own buffers are not the
 * driver's.
 */
#include <kunit/test.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/string.h>

#include "../kfault/kfault.h"

#define NSF_ID		4242
#define NSF_DEV		"netdevsim4242"
#define NSF_BUS		"bus/netdevsim/"
#define NSF_DEVDIR	NSF_BUS "devices/" NSF_DEV "/"

static struct kfault_target netdevsim_target = {
	.name = "netdevsim",
	.srcdir = "drivers/net/netdevsim/",
	.prefix = "nsim_",
};

enum nsf_level {
	NSF_NOTHING,
	NSF_UNBOUND,		/* device 4242 created, not probed */
	NSF_BOUND,		/* created and probed: port 0 */
	NSF_TWO_PORTS,		/* ... and port 1 */
};

struct nsf_ctx {
	struct vfsmount *sysfs;
	struct file *file;	/* the file run() writes */
	const char *text;	/* what it writes */
	bool autoprobe_off;
};

static int nsf_open(struct nsf_ctx *c, const char *path, struct file **file)
{
	*file = file_open_root_mnt(c->sysfs, path, O_WRONLY, 0);
	if (IS_ERR(*file)) {
		int err = PTR_ERR(*file);

		*file = NULL;
		return err;
	}
	return 0;
}

static int nsf_write_file(struct file *file, const char *text)
{
	loff_t pos = 0;
	ssize_t n = kernel_write(file, text, strlen(text), &pos);

	return n < 0 ? n : 0;
}

static int nsf_write(struct nsf_ctx *c, const char *path, const char *text)
{
	struct file *file;
	int err = nsf_open(c, path, &file);

	if (err)
		return err;
	err = nsf_write_file(file, text);
	__fput_sync(file);
	return err;
}

static bool nsf_sysfs_has(struct nsf_ctx *c, const char *path)
{
	struct path p;

	if (vfs_path_lookup(c->sysfs->mnt_root, c->sysfs, path, 0, &p))
		return false;
	path_put(&p);
	return true;
}

/* debugfs: netdevsim/netdevsim4242[/ports/<port>] */
static bool nsf_debugfs_has(int port)
{
	struct dentry *drv, *dev, *ports, *d = NULL;
	char name[12];

	drv = debugfs_lookup("netdevsim", NULL);
	if (IS_ERR_OR_NULL(drv))
		return false;
	dev = debugfs_lookup(NSF_DEV, drv);
	dput(drv);
	if (IS_ERR_OR_NULL(dev))
		return false;
	if (port < 0)
		d = dget(dev);
	ports = port < 0 ? NULL : debugfs_lookup("ports", dev);
	dput(dev);
	if (!IS_ERR_OR_NULL(ports)) {
		snprintf(name, sizeof(name), "%d", port);
		d = debugfs_lookup(name, ports);
		dput(ports);
	}
	if (IS_ERR_OR_NULL(d))
		return false;
	dput(d);
	return true;
}

static bool nsf_exists(struct nsf_ctx *c)
{
	return nsf_sysfs_has(c, NSF_BUS "devices/" NSF_DEV);
}

static bool nsf_bound(struct nsf_ctx *c)
{
	return nsf_sysfs_has(c, NSF_DEVDIR "driver");
}

static int nsf_autoprobe(struct nsf_ctx *c, bool on)
{
	c->autoprobe_off = !on;
	return nsf_write(c, NSF_BUS "drivers_autoprobe", on ? "1" : "0");
}

static int nsf_build(struct nsf_ctx *c, enum nsf_level level)
{
	struct file_system_type *type = get_fs_type("sysfs");
	int err;

	if (!type)
		return -ENODEV;
	c->sysfs = kern_mount(type);
	put_filesystem(type);
	if (IS_ERR(c->sysfs)) {
		err = PTR_ERR(c->sysfs);
		c->sysfs = NULL;
		return err;
	}
	if (level == NSF_NOTHING || level == NSF_UNBOUND) {
		err = nsf_autoprobe(c, false);
		if (err)
			return err;
	}
	if (level >= NSF_UNBOUND) {
		err = nsf_write(c, NSF_BUS "new_device", __stringify(NSF_ID) " 1");
		if (err)
			return err;
	}
	if (level == NSF_UNBOUND) {
		err = nsf_autoprobe(c, true);
		if (err)
			return err;
	}
	if (level >= NSF_BOUND && !nsf_bound(c))
		return -ENODEV;
	if (level >= NSF_TWO_PORTS)
		return nsf_write(c, NSF_DEVDIR "new_port", "1");
	return 0;
}

static void nsf_teardown(void *ctx)
{
	struct nsf_ctx *c = ctx;

	if (c->file)
		__fput_sync(c->file);
	if (!c->sysfs)
		return;
	if (nsf_exists(c))
		nsf_write(c, NSF_BUS "del_device", __stringify(NSF_ID));
	if (c->autoprobe_off)
		nsf_autoprobe(c, true);
	kern_unmount(c->sysfs);
}

/* The file run() writes, opened outside the armed window. */
static int nsf_prepare(struct nsf_ctx *c, enum nsf_level level,
		       const char *path, const char *text)
{
	int err = nsf_build(c, level);

	if (err)
		return err;
	c->text = text;
	return nsf_open(c, path, &c->file);
}

static int nsf_run(void *ctx)
{
	struct nsf_ctx *c = ctx;

	return nsf_write_file(c->file, c->text);
}

/* What each op writes, to which file, from which state (its setup_arg). */
enum nsf_op_id {
	NSF_OP_NEW_DEVICE,
	NSF_OP_PROBE,
	NSF_OP_PORT_ADD,
	NSF_OP_PORT_DEL,
	NSF_OP_DEL_DEVICE,
};

static const struct nsf_step {
	enum nsf_level level;
	const char *path;
	const char *text;
} nsf_steps[] = {
	/* new_device with autoprobe off: nsim_bus_dev_new() alone */
	[NSF_OP_NEW_DEVICE] = { NSF_NOTHING, NSF_BUS "new_device",
				__stringify(NSF_ID) " 1" },
	/* bind: nsim_drv_probe() - devlink, ports, netdevs, debugfs */
	[NSF_OP_PROBE] = { NSF_UNBOUND, NSF_BUS "drivers/netdevsim/bind",
			   NSF_DEV },
	/* new_port 1: nsim_drv_port_add() */
	[NSF_OP_PORT_ADD] = { NSF_BOUND, NSF_DEVDIR "new_port", "1" },
	/* del_port 1: nsim_drv_port_del() */
	[NSF_OP_PORT_DEL] = { NSF_TWO_PORTS, NSF_DEVDIR "del_port", "1" },
	/* del_device: the remove path; no errno, must free everything */
	[NSF_OP_DEL_DEVICE] = { NSF_BOUND, NSF_BUS "del_device",
				__stringify(NSF_ID) },
};

static int nsf_setup(void *ctx, unsigned long op)
{
	const struct nsf_step *s = &nsf_steps[op];

	return nsf_prepare(ctx, s->level, s->path, s->text);
}

static int new_device_none(void *ctx)
{
	return nsf_exists(ctx) ? -EEXIST : 0;
}

static int new_device_created(void *ctx)
{
	return nsf_exists(ctx) ? 0 : -ENODEV;
}

static int probe_unbound(void *ctx)
{
	if (nsf_bound(ctx))
		return -EEXIST;
	return nsf_debugfs_has(-1) ? -EBADE : 0;
}

static int probe_bound(void *ctx)
{
	return nsf_bound(ctx) && nsf_debugfs_has(0) ? 0 : -ENODEV;
}

static int port_absent(void *ctx)
{
	return nsf_debugfs_has(1) ? -EEXIST : 0;
}

static int port_present(void *ctx)
{
	return nsf_debugfs_has(1) ? 0 : -ENODEV;
}

static int nsf_ok(void *ctx)
{
	return 0;
}

#define NSF_OP(_name, _id, _rollback, _success)				\
KFAULT_OP(netdevsim_target, _name,					\
	  .ctx_size = sizeof(struct nsf_ctx),				\
	  .mode = KFAULT_STACK_FILTER,					\
	  .expected_err = -ENOMEM,					\
	  .setup = nsf_setup, .setup_arg = _id,				\
	  .run = nsf_run,						\
	  .check_rollback = _rollback,					\
	  .check_success = _success,					\
	  .teardown = nsf_teardown)

NSF_OP(new_device, NSF_OP_NEW_DEVICE, new_device_none, new_device_created);
NSF_OP(probe, NSF_OP_PROBE, probe_unbound, probe_bound);
NSF_OP(port_add, NSF_OP_PORT_ADD, port_absent, port_present);
NSF_OP(port_del, NSF_OP_PORT_DEL, port_present, port_absent);
NSF_OP(del_device, NSF_OP_DEL_DEVICE, nsf_ok, new_device_none);

static struct kunit_case netdevsim_fault_cases[] = {
	KFAULT_OP_CASE(new_device),
	KFAULT_OP_CASE(probe),
	KFAULT_OP_CASE(port_add),
	KFAULT_OP_CASE(port_del),
	KFAULT_OP_CASE(del_device),
	KUNIT_CASE(kfault_canary_fault_injection),
	KUNIT_CASE(kfault_canary_kasan),
	KUNIT_CASE_SLOW(kfault_kmemleak_confirmation),
	KUNIT_CASE(kfault_sweep_summary),
	{}
};

KFAULT_SUITE(netdevsim_fault, netdevsim_target, netdevsim_fault_cases);

MODULE_DESCRIPTION("Fault-injection sweeps of netdevsim, through its sysfs files");
MODULE_LICENSE("GPL");

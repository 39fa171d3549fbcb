// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-injection sweep of every refdev operation: each allocation the
 * operation makes is failed once, and each such fault point is a
 * parameterised KUnit case with a verdict (see kfault/kfault.h).  This
 * file is the operations' table - how to build each one's state, run it
 * and check it - and nothing else: the sweep, the canaries and the
 * kmemleak confirmation come from the kfault library.
 */
#include <kunit/test.h>
#include <kunit/test-bug.h>
#include <linux/anon_inodes.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../../module/refdev.h"
#include "../../module/refdev_internal.h"
#include "../../module/refdev_ioctl.h"
#include "../kfault/kfault.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define SWEEP_PAYLOAD	512
#define SWEEP_QUEUED	3
#define SWEEP_FW_SIZE	SZ_64K

static struct kfault_target refdev_target = {
	.name = "refdev",
	.srcdir = "kfault/module/",
	.prefix = "refdev_",
};

/* How much state an operation needs before it can run. */
enum sweep_level {
	SWEEP_NOTHING,
	SWEEP_CORE,
	SWEEP_DEVICE,		/* registered, not probed */
	SWEEP_PROBED,
	SWEEP_SESSION,
	SWEEP_QUEUED_REQS,	/* a session with SWEEP_QUEUED requests */
	SWEEP_FILE,		/* the misc device opened, user memory */
};

struct sweep_ctx {
	enum sweep_level level;
	struct refdev_core *core;
	struct device *dev;
	struct refdev *rd;
	struct refdev_session *s;
	/* made by the operation under test */
	struct refdev_core *new_core;
	struct refdev_session *new_s;
	bool probed;
	struct file *file;	/* owns c->s when set */
	void __user *udata;	/* page 0: payload, page 1: ioctl argument */
	/* state before run() */
	struct refdev_info info;
	struct refdev_session_info sinfo;
	u8 payload[SWEEP_PAYLOAD];
};

static void sweep_snapshot(struct sweep_ctx *c)
{
	if (c->rd)
		refdev_get_info(c->rd, &c->info);
	if (c->s)
		refdev_session_get_info(c->s, &c->sinfo);
}

/* The device's and the session's state now, for an op's checks. */
static struct refdev_info sweep_info(const struct sweep_ctx *c)
{
	struct refdev_info info;

	refdev_get_info(c->rd, &info);
	return info;
}

static struct refdev_session_info sweep_sinfo(const struct sweep_ctx *c)
{
	struct refdev_session_info sinfo;

	refdev_session_get_info(c->s, &sinfo);
	return sinfo;
}

/* A check's answer: 0 when the state is as the op documents it. */
static int sweep_expect(bool ok)
{
	return ok ? 0 : -EBADE;
}

/* Installed when ->open() failed, so that __fput() calls no ->release(). */
static const struct file_operations sweep_closed_fops;

/* The device opened the way misc_open() does it. */
static struct file *sweep_misc_open(struct sweep_ctx *c)
{
	struct file *file;
	int err;

	file = anon_inode_getfile("[refdev-sweep]", c->rd->misc.fops,
				  &c->rd->misc, O_RDWR);
	if (IS_ERR(file))
		return file;
	err = file->f_op->open(file_inode(file), file);
	if (err) {
		replace_fops(file, &sweep_closed_fops);
		__fput_sync(file);
		return ERR_PTR(err);
	}
	return file;
}

/*
 * The file operations run for real: user memory from kunit_vm_mmap() in
 * the test's kthread, touched now so that no page fault allocates inside
 * the armed window, and the device opened.
 */
static int sweep_open_file(struct sweep_ctx *c)
{
	struct kunit *test = kunit_get_current_test();
	struct refdev_fw_load arg = { .len = SWEEP_PAYLOAD };
	unsigned long addr;
	struct file *file;

	if (!test)
		return -EINVAL;
	addr = kunit_vm_mmap(test, NULL, 0, 2 * PAGE_SIZE,
			     PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE,
			     0);
	if (!addr || IS_ERR_VALUE(addr))
		return -ENOMEM;
	c->udata = (void __user *)addr;
	arg.ptr = addr;
	if (copy_to_user(c->udata, c->payload, sizeof(c->payload)) ||
	    copy_to_user(c->udata + PAGE_SIZE, &arg, sizeof(arg)))
		return -EFAULT;
	file = sweep_misc_open(c);
	if (IS_ERR(file))
		return PTR_ERR(file);
	c->file = file;
	c->s = file->private_data;
	return 0;
}

static int sweep_build(struct sweep_ctx *c, enum sweep_level level)
{
	int i, err;

	c->level = level;
	memset(c->payload, 0xa5, sizeof(c->payload));
	/* What failed stays an ERR_PTR: sweep_teardown() skips it. */
	if (level >= SWEEP_CORE)
		c->core = refdev_core_create("rfsweep");
	if (IS_ERR(c->core))
		return PTR_ERR(c->core);
	if (level >= SWEEP_DEVICE)
		c->dev = root_device_register("refdev_sweep");
	if (IS_ERR(c->dev))
		return PTR_ERR(c->dev);
	if (level >= SWEEP_PROBED) {
		err = refdev_probe(c->dev, c->core);
		if (err)
			return err;
		c->probed = true;
		c->rd = refdev_from_dev(c->dev);
	}
	if (level >= SWEEP_SESSION && level != SWEEP_FILE)
		c->s = refdev_open(c->rd);
	if (IS_ERR(c->s))
		return PTR_ERR(c->s);
	if (level == SWEEP_FILE) {
		err = sweep_open_file(c);
		if (err)
			return err;
	}
	for (i = 0; level == SWEEP_QUEUED_REQS && i < SWEEP_QUEUED; i++) {
		err = refdev_submit(c->s, c->payload, sizeof(c->payload));
		if (err)
			return err;
	}
	sweep_snapshot(c);
	return 0;
}

static void sweep_teardown(void *ctx)
{
	struct sweep_ctx *c = ctx;

	if (c->new_s)
		refdev_release(c->new_s);
	if (c->file)
		__fput_sync(c->file);
	else if (!IS_ERR_OR_NULL(c->s))
		refdev_release(c->s);
	if (c->probed)
		refdev_remove(c->dev);
	if (!IS_ERR_OR_NULL(c->dev))
		root_device_unregister(c->dev);
	if (c->new_core)
		refdev_core_destroy(c->new_core);
	if (!IS_ERR_OR_NULL(c->core))
		refdev_core_destroy(c->core);
}

/* The device and session look exactly as they did before run(). */
static int sweep_unchanged(void *ctx)
{
	struct sweep_ctx *c = ctx;
	struct refdev_session_info sinfo;
	struct refdev_info info;

	if (c->rd) {
		refdev_get_info(c->rd, &info);
		if (memcmp(&info, &c->info, sizeof(info)))
			return -EBADE;
	}
	if (c->s) {
		refdev_session_get_info(c->s, &sinfo);
		if (memcmp(&sinfo, &c->sinfo, sizeof(sinfo)))
			return -EBADE;
	}
	return 0;
}

/* ---- the operations --------------------------------------------------- */

/* Every op's setup: the state built up to its level (the op's setup_arg). */
static int sweep_setup(void *ctx, unsigned long level)
{
	return sweep_build(ctx, level);
}

/* module init: the core (request cache, instance ids) */
static int core_create_run(void *ctx)
{
	struct sweep_ctx *c = ctx;
	struct refdev_core *core = refdev_core_create("rfsweep");

	if (IS_ERR(core))
		return PTR_ERR(core);
	c->new_core = core;
	return 0;
}

static int core_create_created(void *ctx)
{
	return ((struct sweep_ctx *)ctx)->new_core ? 0 : -ENODEV;
}

static int core_create_none(void *ctx)
{
	return ((struct sweep_ctx *)ctx)->new_core ? -EEXIST : 0;
}

/* probe through the driver's probe function, then the device's devres */
static int probe_run(void *ctx)
{
	struct sweep_ctx *c = ctx;
	int err = refdev_probe(c->dev, c->core);

	if (err)
		return err;
	c->probed = true;
	c->rd = refdev_from_dev(c->dev);
	return 0;
}

static int probe_bound(void *ctx)
{
	struct sweep_ctx *c = ctx;

	if (!c->probed || !c->rd)
		return -ENODEV;
	return sweep_info(c).registered ? 0 : -ENODEV;
}

static int probe_unbound(void *ctx)
{
	struct sweep_ctx *c = ctx;

	return c->probed ? -EEXIST : 0;
}

static int probe_verify(void *ctx)
{
	int err = probe_run(ctx);

	return err ? err : probe_bound(ctx);
}

/*
 * open and open(2) made their session (a file, for open(2)): one more
 * than before run().
 */
static int sweep_opened(void *ctx)
{
	struct sweep_ctx *c = ctx;

	return sweep_expect((c->new_s || c->file) &&
			    sweep_info(c).nr_sessions == c->info.nr_sessions + 1);
}

/* open: per-open state */
static int open_run(void *ctx)
{
	struct sweep_ctx *c = ctx;
	struct refdev_session *s = refdev_open(c->rd);

	if (IS_ERR(s))
		return PTR_ERR(s);
	c->new_s = s;
	return 0;
}

static int open_verify(void *ctx)
{
	int err = open_run(ctx);

	return err ? err : sweep_opened(ctx);
}

/* write: a request from the slab cache plus a copy of the payload */
static int submit_run(void *ctx)
{
	struct sweep_ctx *c = ctx;

	return refdev_submit(c->s, c->payload, sizeof(c->payload));
}

static int submit_done(void *ctx)
{
	struct sweep_ctx *c = ctx;
	struct refdev_session_info sinfo = sweep_sinfo(c);

	return sweep_expect(sinfo.nr_queued == c->sinfo.nr_queued + 1);
}

/* the atomic path: GFP_ATOMIC completion records under the spinlock */
static int irq_run(void *ctx)
{
	int ret = refdev_irq(((struct sweep_ctx *)ctx)->rd);

	return ret < 0 ? ret : 0;
}

static int irq_done(void *ctx)
{
	struct refdev_session_info sinfo = sweep_sinfo(ctx);

	return sweep_expect(sinfo.nr_queued == 0 &&
			    sinfo.nr_completed == SWEEP_QUEUED);
}

/* Documented fallback: what did not complete stays queued, nothing lost. */
static int irq_partial(void *ctx)
{
	struct refdev_session_info sinfo = sweep_sinfo(ctx);

	return sweep_expect(sinfo.nr_queued + sinfo.nr_completed == SWEEP_QUEUED &&
			    sinfo.nr_queued);
}

static int irq_verify(void *ctx)
{
	int ret = refdev_irq(((struct sweep_ctx *)ctx)->rd);

	return ret < 0 ? ret : irq_done(ctx);
}

/* read: hands completed data back, frees requests */
static int read_run(void *ctx)
{
	struct sweep_ctx *c = ctx;
	ssize_t n = refdev_read(c->s, c->payload, sizeof(c->payload));

	return n < 0 ? n : 0;
}

static int read_done(void *ctx)
{
	struct sweep_ctx *c = ctx;
	struct refdev_session_info sinfo = sweep_sinfo(c);

	return sweep_expect(sinfo.nr_completed < c->sinfo.nr_completed);
}

/* queued requests, completed by an interrupt: data to read */
static int read_setup(void *ctx, unsigned long level)
{
	struct sweep_ctx *c = ctx;
	int ret = sweep_build(ctx, level);

	if (ret)
		return ret;
	ret = refdev_irq(c->rd);
	if (ret < 0)
		return ret;
	sweep_snapshot(c);
	return 0;
}

/* ioctl: resize the rx ring (kvmalloc) */
static int resize_run(void *ctx)
{
	return refdev_resize_ring(((struct sweep_ctx *)ctx)->s, 1024);
}

static int resize_done(void *ctx)
{
	return sweep_expect(sweep_sinfo(ctx).ring_entries == 1024);
}

/* ioctl: channels (krealloc_array) */
static int channels_run(void *ctx)
{
	return refdev_set_channels(((struct sweep_ctx *)ctx)->rd, 64);
}

static int channels_done(void *ctx)
{
	return sweep_expect(sweep_info(ctx).nr_channels == 64);
}

/* ioctl: firmware (vmalloc) */
static int firmware_run(void *ctx)
{
	struct sweep_ctx *c = ctx;
	static u8 image[SWEEP_FW_SIZE];

	memset(image, 0x5a, sizeof(image));
	return refdev_load_firmware(c->rd, image, sizeof(image));
}

static int firmware_done(void *ctx)
{
	return sweep_expect(sweep_info(ctx).fw_size == SWEEP_FW_SIZE);
}

/* ioctl: DMA page buffers, order 2 */
static int dma_run(void *ctx)
{
	return refdev_alloc_dma(((struct sweep_ctx *)ctx)->s, 4 * PAGE_SIZE);
}

static int dma_done(void *ctx)
{
	return sweep_expect(sweep_sinfo(ctx).dma_size >= 4 * PAGE_SIZE);
}

/* write(): memdup_user() of the user buffer, then a request */
static int fop_write_run(void *ctx)
{
	struct sweep_ctx *c = ctx;
	loff_t pos = 0;
	ssize_t n;

	n = c->file->f_op->write(c->file, c->udata, SWEEP_PAYLOAD, &pos);
	return n < 0 ? n : 0;
}

/*
 * open(2) as the VFS does it: the file itself is allocated in the same
 * window, so this operation counts only allocations whose stack passes
 * through refdev (KFAULT_STACK_FILTER); the VFS's own are not ours.
 */
static int fop_open_run(void *ctx)
{
	struct sweep_ctx *c = ctx;
	struct file *file;

	file = sweep_misc_open(c);
	if (IS_ERR(file))
		return PTR_ERR(file);
	c->file = file;
	return 0;
}

/* ioctl(REFDEV_IOC_LOAD_FW): vmalloc() and copy_from_user() */
static int fop_load_fw_run(void *ctx)
{
	struct sweep_ctx *c = ctx;

	return c->file->f_op->unlocked_ioctl(c->file, REFDEV_IOC_LOAD_FW,
					     (unsigned long)(c->udata + PAGE_SIZE));
}

static int fop_load_fw_done(void *ctx)
{
	return sweep_expect(sweep_info(ctx).fw_size == SWEEP_PAYLOAD);
}

/* release / remove: no errno to return, but must free everything */
static int release_run(void *ctx)
{
	struct sweep_ctx *c = ctx;

	refdev_release(c->s);
	c->s = NULL;
	return 0;
}

static int remove_run(void *ctx)
{
	struct sweep_ctx *c = ctx;

	refdev_remove(c->dev);
	c->probed = false;
	c->rd = NULL;
	return 0;
}

static int sweep_ok(void *ctx)
{
	return 0;
}

/* An op of refdev_target: its setup level, call, checks (kfault.h). */
#define SWEEP_OP(_name, _setup, _level, _run, _rollback, _success, _verify) \
KFAULT_OP(refdev_target, _name,						\
	  .ctx_size = sizeof(struct sweep_ctx),				\
	  .expected_err = -ENOMEM,					\
	  .setup = _setup, .setup_arg = _level,				\
	  .run = _run,							\
	  .check_rollback = _rollback,					\
	  .check_success = _success,					\
	  .verify = _verify,						\
	  .teardown = sweep_teardown)

SWEEP_OP(core_create, sweep_setup, SWEEP_NOTHING, core_create_run,
	 core_create_none, core_create_created, core_create_run);
SWEEP_OP(probe, sweep_setup, SWEEP_DEVICE, probe_run, probe_unbound,
	 probe_bound, probe_verify);
SWEEP_OP(open, sweep_setup, SWEEP_PROBED, open_run, sweep_unchanged,
	 sweep_opened, open_verify);
SWEEP_OP(submit, sweep_setup, SWEEP_SESSION, submit_run, sweep_unchanged,
	 submit_done, submit_run);
SWEEP_OP(irq, sweep_setup, SWEEP_QUEUED_REQS, irq_run, irq_partial,
	 irq_done, irq_verify);
SWEEP_OP(read, read_setup, SWEEP_QUEUED_REQS, read_run, sweep_unchanged, read_done,
	 read_run);
SWEEP_OP(resize, sweep_setup, SWEEP_SESSION, resize_run, sweep_unchanged,
	 resize_done, resize_run);
SWEEP_OP(channels, sweep_setup, SWEEP_SESSION, channels_run,
	 sweep_unchanged, channels_done, channels_run);
SWEEP_OP(firmware, sweep_setup, SWEEP_PROBED, firmware_run,
	 sweep_unchanged, firmware_done, firmware_run);
SWEEP_OP(dma, sweep_setup, SWEEP_SESSION, dma_run, sweep_unchanged,
	 dma_done, dma_run);
/* the stack filter: the window holds the VFS's own allocations too */
KFAULT_OP(refdev_target, fop_open,
	  .ctx_size = sizeof(struct sweep_ctx),
	  .mode = KFAULT_STACK_FILTER,
	  .expected_err = -ENOMEM,
	  .setup = sweep_setup, .setup_arg = SWEEP_PROBED,
	  .run = fop_open_run,
	  .check_rollback = sweep_unchanged,
	  .check_success = sweep_opened,
	  .teardown = sweep_teardown);
SWEEP_OP(fop_write, sweep_setup, SWEEP_FILE, fop_write_run, sweep_unchanged,
	 submit_done, fop_write_run);
SWEEP_OP(fop_load_fw, sweep_setup, SWEEP_FILE, fop_load_fw_run,
	 sweep_unchanged, fop_load_fw_done, fop_load_fw_run);
SWEEP_OP(release, sweep_setup, SWEEP_QUEUED_REQS, release_run, sweep_ok,
	 sweep_ok, NULL);
SWEEP_OP(remove, sweep_setup, SWEEP_PROBED, remove_run, sweep_ok, sweep_ok,
	 NULL);

/* ---- the suite ---------------------------------------------------------- */

static struct kunit_case refdev_fault_cases[] = {
	KFAULT_OP_CASE(core_create),
	KFAULT_OP_CASE(probe),
	KFAULT_OP_CASE(open),
	KFAULT_OP_CASE(submit),
	KFAULT_OP_CASE(irq),
	KFAULT_OP_CASE(read),
	KFAULT_OP_CASE(resize),
	KFAULT_OP_CASE(channels),
	KFAULT_OP_CASE(firmware),
	KFAULT_OP_CASE(dma),
	KFAULT_OP_CASE(fop_open),
	KFAULT_OP_CASE(fop_write),
	KFAULT_OP_CASE(fop_load_fw),
	KFAULT_OP_CASE(release),
	KFAULT_OP_CASE(remove),
	KUNIT_CASE(kfault_canary_fault_injection),
	KUNIT_CASE(kfault_canary_kasan),
	KUNIT_CASE_SLOW(kfault_kmemleak_confirmation),
	KUNIT_CASE(kfault_sweep_summary),
	{}
};

KFAULT_SUITE(refdev_fault, refdev_target, refdev_fault_cases);

MODULE_DESCRIPTION("Fault-injection sweeps of the kfault reference driver");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-injection sweep of every refdev operation: each allocation the
 * operation makes is failed once, and each such fault point is a
 * parameterised KUnit case with a verdict (see kfault.h).
 *
 * Parameter 0 of every case is the baseline: it runs the counting pass
 * (which names the points that follow) and then the operation with no
 * fault, which must succeed and leak nothing.
 */
#include <kunit/test.h>
#include <kunit/test-bug.h>
#include <linux/anon_inodes.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/mman.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../module/refdev.h"
#include "../module/refdev_internal.h"
#include "../module/refdev_ioctl.h"
#include "kfault.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define SWEEP_PAYLOAD	512
#define SWEEP_QUEUED	3
#define SWEEP_FW_SIZE	SZ_64K

static const struct kfault_target sweep_target = {
	.srcdir = "kfault/module/",
	.prefix = "refdev_",
};

static struct kfault_env *sweep_env;

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

/* Installed when ->open() failed, so that __fput() calls no ->release(). */
static const struct file_operations sweep_closed_fops;

/*
 * The file operations run for real: user memory from kunit_vm_mmap() in
 * the test's kthread, touched now so that no page fault allocates inside
 * the armed window, and the device opened the way misc_open() does it.
 */
static int sweep_open_file(struct sweep_ctx *c)
{
	struct kunit *test = kunit_get_current_test();
	struct refdev_fw_load arg = { .len = SWEEP_PAYLOAD };
	unsigned long addr;
	struct file *file;
	int err;

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
	file = anon_inode_getfile("[refdev-sweep]", c->rd->misc.fops,
				  &c->rd->misc, O_RDWR);
	if (IS_ERR(file))
		return PTR_ERR(file);
	err = file->f_op->open(file_inode(file), file);
	if (err) {
		replace_fops(file, &sweep_closed_fops);
		__fput_sync(file);
		return err;
	}
	c->file = file;
	c->s = file->private_data;
	return 0;
}

static int sweep_build(struct sweep_ctx *c, enum sweep_level level)
{
	int i, err;

	c->level = level;
	memset(c->payload, 0xa5, sizeof(c->payload));
	if (level >= SWEEP_CORE) {
		c->core = refdev_core_create("rfsweep");
		if (IS_ERR(c->core)) {
			err = PTR_ERR(c->core);
			c->core = NULL;
			return err;
		}
	}
	if (level >= SWEEP_DEVICE) {
		c->dev = root_device_register("refdev_sweep");
		if (IS_ERR(c->dev)) {
			err = PTR_ERR(c->dev);
			c->dev = NULL;
			return err;
		}
	}
	if (level >= SWEEP_PROBED) {
		err = refdev_probe(c->dev, c->core);
		if (err)
			return err;
		c->probed = true;
		c->rd = refdev_from_dev(c->dev);
	}
	if (level >= SWEEP_SESSION && level != SWEEP_FILE) {
		c->s = refdev_open(c->rd);
		if (IS_ERR(c->s)) {
			err = PTR_ERR(c->s);
			c->s = NULL;
			return err;
		}
	}
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
	else if (c->s)
		refdev_release(c->s);
	if (c->probed)
		refdev_remove(c->dev);
	if (c->dev)
		root_device_unregister(c->dev);
	if (c->new_core)
		refdev_core_destroy(c->new_core);
	if (c->core)
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

static int sweep_setup_nothing(void *ctx)
{
	return sweep_build(ctx, SWEEP_NOTHING);
}

static int sweep_setup_device(void *ctx)
{
	return sweep_build(ctx, SWEEP_DEVICE);
}

static int sweep_setup_probed(void *ctx)
{
	return sweep_build(ctx, SWEEP_PROBED);
}

static int sweep_setup_session(void *ctx)
{
	return sweep_build(ctx, SWEEP_SESSION);
}

static int sweep_setup_queued(void *ctx)
{
	return sweep_build(ctx, SWEEP_QUEUED_REQS);
}

static int sweep_setup_file(void *ctx)
{
	return sweep_build(ctx, SWEEP_FILE);
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
	struct refdev_info info;

	if (!c->probed || !c->rd)
		return -ENODEV;
	refdev_get_info(c->rd, &info);
	return info.registered ? 0 : -ENODEV;
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

static int open_done(void *ctx)
{
	struct sweep_ctx *c = ctx;
	struct refdev_info info;

	refdev_get_info(c->rd, &info);
	return c->new_s && info.nr_sessions == c->info.nr_sessions + 1 ?
	       0 : -EBADE;
}

static int open_verify(void *ctx)
{
	int err = open_run(ctx);

	return err ? err : open_done(ctx);
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
	struct refdev_session_info sinfo;

	refdev_session_get_info(c->s, &sinfo);
	return sinfo.nr_queued == c->sinfo.nr_queued + 1 ? 0 : -EBADE;
}

/* the atomic path: GFP_ATOMIC completion records under the spinlock */
static int irq_run(void *ctx)
{
	int ret = refdev_irq(((struct sweep_ctx *)ctx)->rd);

	return ret < 0 ? ret : 0;
}

static int irq_done(void *ctx)
{
	struct sweep_ctx *c = ctx;
	struct refdev_session_info sinfo;

	refdev_session_get_info(c->s, &sinfo);
	return sinfo.nr_queued == 0 && sinfo.nr_completed == SWEEP_QUEUED ?
	       0 : -EBADE;
}

/* Documented fallback: what did not complete stays queued, nothing lost. */
static int irq_partial(void *ctx)
{
	struct sweep_ctx *c = ctx;
	struct refdev_session_info sinfo;

	refdev_session_get_info(c->s, &sinfo);
	return sinfo.nr_queued + sinfo.nr_completed == SWEEP_QUEUED &&
	       sinfo.nr_queued ? 0 : -EBADE;
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
	struct refdev_session_info sinfo;

	refdev_session_get_info(c->s, &sinfo);
	return sinfo.nr_completed < c->sinfo.nr_completed ? 0 : -EBADE;
}

static int read_setup(void *ctx)
{
	struct sweep_ctx *c = ctx;
	int ret = sweep_build(ctx, SWEEP_QUEUED_REQS);

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
	struct sweep_ctx *c = ctx;
	struct refdev_session_info sinfo;

	refdev_session_get_info(c->s, &sinfo);
	return sinfo.ring_entries == 1024 ? 0 : -EBADE;
}

/* ioctl: channels (krealloc_array) */
static int channels_run(void *ctx)
{
	return refdev_set_channels(((struct sweep_ctx *)ctx)->rd, 64);
}

static int channels_done(void *ctx)
{
	struct sweep_ctx *c = ctx;
	struct refdev_info info;

	refdev_get_info(c->rd, &info);
	return info.nr_channels == 64 ? 0 : -EBADE;
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
	struct sweep_ctx *c = ctx;
	struct refdev_info info;

	refdev_get_info(c->rd, &info);
	return info.fw_size == SWEEP_FW_SIZE ? 0 : -EBADE;
}

/* ioctl: DMA page buffers, order 2 */
static int dma_run(void *ctx)
{
	return refdev_alloc_dma(((struct sweep_ctx *)ctx)->s, 4 * PAGE_SIZE);
}

static int dma_done(void *ctx)
{
	struct sweep_ctx *c = ctx;
	struct refdev_session_info sinfo;

	refdev_session_get_info(c->s, &sinfo);
	return sinfo.dma_size >= 4 * PAGE_SIZE ? 0 : -EBADE;
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
	int err;

	file = anon_inode_getfile("[refdev-sweep]", c->rd->misc.fops,
				  &c->rd->misc, O_RDWR);
	if (IS_ERR(file))
		return PTR_ERR(file);
	err = file->f_op->open(file_inode(file), file);
	if (err) {
		replace_fops(file, &sweep_closed_fops);
		__fput_sync(file);
		return err;
	}
	c->file = file;
	return 0;
}

static int fop_open_done(void *ctx)
{
	struct sweep_ctx *c = ctx;
	struct refdev_info info;

	refdev_get_info(c->rd, &info);
	return c->file && info.nr_sessions == c->info.nr_sessions + 1 ?
	       0 : -EBADE;
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
	struct sweep_ctx *c = ctx;
	struct refdev_info info;

	refdev_get_info(c->rd, &info);
	return info.fw_size == SWEEP_PAYLOAD ? 0 : -EBADE;
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

#define SWEEP_OP(_name, _setup, _run, _rollback, _success, _verify)	\
static const struct kfault_op _name##_op = {				\
	.name = #_name,							\
	.ctx_size = sizeof(struct sweep_ctx),				\
	.expected_err = -ENOMEM,					\
	.setup = _setup,						\
	.run = _run,							\
	.check_rollback = _rollback,					\
	.check_success = _success,					\
	.verify = _verify,						\
	.teardown = sweep_teardown,					\
}

SWEEP_OP(core_create, sweep_setup_nothing, core_create_run, core_create_none,
	 core_create_created, core_create_run);
SWEEP_OP(probe, sweep_setup_device, probe_run, probe_unbound, probe_bound,
	 probe_verify);
SWEEP_OP(open, sweep_setup_probed, open_run, sweep_unchanged, open_done,
	 open_verify);
SWEEP_OP(submit, sweep_setup_session, submit_run, sweep_unchanged,
	 submit_done, submit_run);
SWEEP_OP(irq, sweep_setup_queued, irq_run, irq_partial, irq_done,
	 irq_verify);
SWEEP_OP(read, read_setup, read_run, sweep_unchanged, read_done, read_run);
SWEEP_OP(resize, sweep_setup_session, resize_run, sweep_unchanged,
	 resize_done, resize_run);
SWEEP_OP(channels, sweep_setup_session, channels_run, sweep_unchanged,
	 channels_done, channels_run);
SWEEP_OP(firmware, sweep_setup_probed, firmware_run, sweep_unchanged,
	 firmware_done, firmware_run);
SWEEP_OP(dma, sweep_setup_session, dma_run, sweep_unchanged, dma_done,
	 dma_run);
static const struct kfault_op fop_open_op = {
	.name = "fop_open",
	.ctx_size = sizeof(struct sweep_ctx),
	.mode = KFAULT_STACK_FILTER,
	.expected_err = -ENOMEM,
	.setup = sweep_setup_probed,
	.run = fop_open_run,
	.check_rollback = sweep_unchanged,
	.check_success = fop_open_done,
	.teardown = sweep_teardown,
};

SWEEP_OP(fop_write, sweep_setup_file, fop_write_run, sweep_unchanged,
	 submit_done, fop_write_run);
SWEEP_OP(fop_load_fw, sweep_setup_file, fop_load_fw_run, sweep_unchanged,
	 fop_load_fw_done, fop_load_fw_run);
SWEEP_OP(release, sweep_setup_queued, release_run, sweep_ok, sweep_ok, NULL);
SWEEP_OP(remove, sweep_setup_probed, remove_run, sweep_ok, sweep_ok, NULL);

/* ---- one KUnit case per operation, one parameter per fault point ------ */

struct sweep_state;

struct sweep_param {
	struct sweep_state *state;
	unsigned int index;		/* 0: baseline, else points[index - 1] */
};

struct sweep_state {
	const struct kfault_op *op;
	int nr;				/* points swept, or errno */
	unsigned int bookkeeping;	/* absorbed by kmemleak/slab metadata */
	struct kfault_point points[KFAULT_MAX_POINTS];
	struct kfault_result results[KFAULT_MAX_POINTS];
	struct sweep_param params[KFAULT_MAX_POINTS + 1];
};

static const void *sweep_gen(struct sweep_state *st, const void *prev,
			     char *desc)
{
	const struct sweep_param *p = prev;
	unsigned int next = p ? p->index + 1 : 0;

	if (next && (st->nr < 0 || next > st->nr))
		return NULL;
	st->params[next].state = st;
	st->params[next].index = next;
	if (next)
		kfault_point_desc(st->op, &st->points[next - 1], desc,
				  KUNIT_PARAM_DESC_SIZE);
	else
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s: no fault (baseline)",
			 st->op->name);
	return &st->params[next];
}

/* Parameter 0: sweep the operation, then run it once with no fault. */
static void sweep_baseline(struct kunit *test, struct sweep_state *st)
{
	static const struct kfault_point baseline;
	struct kfault_result res;
	unsigned int i;

	st->bookkeeping = 0;
	st->nr = kfault_sweep(sweep_env, st->op, st->points, st->results,
			      ARRAY_SIZE(st->points), &st->bookkeeping);
	if (st->nr == -EALREADY)
		kunit_skip(test, "not swept in this boot (kfault.resume=%s, kfault.only)",
			   kfault_resume());
	KUNIT_ASSERT_GE_MSG(test, st->nr, 0, "sweep of %s failed: %d",
			    st->op->name, st->nr);
	kunit_info(test, "kfault: count op=%s points=%d bookkeeping=%u\n",
		   st->op->name, st->nr, st->bookkeeping);
	for (i = 0; i < st->nr; i++) {
		const struct kfault_site *site = &st->points[i].site;

		kunit_info(test,
			   "kfault: point op=%s nth=%u attr=%s allocator=%s inner=%s site=%s file=%s:%u addr=0x%lx id=%08x\n",
			   st->op->name, st->points[i].nth,
			   site->attr[0] ? site->attr : "-",
			   site->allocator[0] ? site->allocator : "-",
			   site->inner[0] ? site->inner : "-",
			   site->caller[0] ? site->caller : "-",
			   site->file[0] ? site->file : "-", site->line,
			   site->addr, site->id);
	}
	kfault_run_point(sweep_env, st->op, &baseline, &res);
	kfault_log_result(test, st->op, &baseline, &res);
	KUNIT_EXPECT_TRUE_MSG(test, kfault_verdict_ok(res.verdict),
			      "%s with no fault: %s %s%s%s", st->op->name,
			      kfault_verdict_name(res.verdict), res.detail,
			      res.leaks, res.report);
}

/* Parameter k: the verdict of fault point k, judged during the sweep. */
static void sweep_point(struct kunit *test)
{
	const struct sweep_param *p = test->param_value;
	struct sweep_state *st = p->state;
	const struct kfault_result *res;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sweep_env);
	if (!p->index) {
		sweep_baseline(test, st);
		return;
	}
	res = &st->results[p->index - 1];
	kfault_log_result(test, st->op, &st->points[p->index - 1], res);
	KUNIT_EXPECT_TRUE_MSG(test, kfault_verdict_ok(res->verdict),
			      "%s: %s %s%s%s%s%s", st->op->name,
			      kfault_verdict_name(res->verdict), res->detail,
			      res->leaks[0] ? " leaked " : "", res->leaks,
			      res->report[0] ? " report: " : "", res->report);
}

#define SWEEP_CASE(_name)						\
static struct sweep_state _name##_state = { .op = &_name##_op };	\
static const void *_name##_gen(const void *prev, char *desc)		\
{									\
	return sweep_gen(&_name##_state, prev, desc);			\
}									\
static void _name##_fault_sweep(struct kunit *test)			\
{									\
	sweep_point(test);						\
}

SWEEP_CASE(core_create)
SWEEP_CASE(probe)
SWEEP_CASE(open)
SWEEP_CASE(submit)
SWEEP_CASE(irq)
SWEEP_CASE(read)
SWEEP_CASE(resize)
SWEEP_CASE(channels)
SWEEP_CASE(firmware)
SWEEP_CASE(dma)
SWEEP_CASE(fop_open)
SWEEP_CASE(fop_write)
SWEEP_CASE(fop_load_fw)
SWEEP_CASE(release)
SWEEP_CASE(remove)

/* ---- canaries: a dead oracle must never look like "no findings" ------- */

static void canary_fault_injection(struct kunit *test)
{
	unsigned int left;
	void *p;

	WRITE_ONCE(current->fail_nth, 1);
	p = kmalloc(32, GFP_KERNEL);
	left = READ_ONCE(current->fail_nth);
	WRITE_ONCE(current->fail_nth, 0);
	kfree(p);
	KUNIT_EXPECT_NULL_MSG(test, p,
			      "fault injection did not fail kmalloc(GFP_KERNEL)");
	KUNIT_EXPECT_EQ(test, left, 0U);
}

/* In a kthread of their own: their reports must not fail the test. */
static int kfault_canary_oob(void *done)
{
	char *p = kmalloc(13, GFP_KERNEL);

	if (p) {
		OPTIMIZER_HIDE_VAR(p);
		pr_info("kfault: canary reads past a 13-byte object: %d\n",
			READ_ONCE(p[13]));
		kfree(p);
	}
	complete(done);
	return 0;
}

/*
 * The canary leak must be really unreferenced.  kmemleak scans task stacks
 * and the vmalloc'ed stacks kept for reuse, so no plain copy of the pointer
 * may stay behind on this thread's stack; and it scans live slab objects,
 * which may hold a stale free-list pointer to a neighbour that was free
 * when they were allocated (seen without KASAN, which keeps free pointers
 * outside the object): the canary comes from a cache of its own, never
 * destroyed, where nothing else is allocated.
 */
#define KFAULT_CANARY_MASK	0x5a5a5a5a5a5a5a5aUL

static unsigned long kfault_canary_cookie;
static struct kmem_cache *kfault_canary_cache;

static noinline unsigned long kfault_canary_alloc(void)
{
	void *p;

	if (!kfault_canary_cache)
		kfault_canary_cache = kmem_cache_create("kfault_canary", 48, 0,
							SLAB_NO_MERGE, NULL);
	if (!kfault_canary_cache)
		return KFAULT_CANARY_MASK;
	p = kmem_cache_alloc(kfault_canary_cache, GFP_KERNEL);
	if (p)
		memset(p, 0x6b, 48);
	return (unsigned long)p ^ KFAULT_CANARY_MASK;
}

static noinline void kfault_scrub_stack(unsigned int depth)
{
	u8 pad[256];

	if (depth)
		kfault_scrub_stack(depth - 1);
	memzero_explicit(pad, sizeof(pad));
}

static int kfault_canary_leak(void *done)
{
	WRITE_ONCE(kfault_canary_cookie, kfault_canary_alloc());
	kfault_scrub_stack(16);
	complete(done);
	return 0;
}

static void canary_run(struct kunit *test, int (*fn)(void *), const char *name)
{
	DECLARE_COMPLETION_ONSTACK(done);
	struct task_struct *t;

	t = kthread_run(fn, &done, "%s", name);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	wait_for_completion(&done);
}

static void canary_kasan(struct kunit *test)
{
	bool seen;

	kfault_log_start(sweep_env);
	canary_run(test, kfault_canary_oob, "kfault_canary");
	seen = kfault_log_seen(sweep_env,
			       "BUG: KASAN: slab-out-of-bounds in kfault_canary_oob");
	KUNIT_EXPECT_TRUE_MSG(test, seen,
			      "KASAN did not report the canary's out-of-bounds read");
}

#define KMEMLEAK_REPORT_SIZE	SZ_256K

KUNIT_DEFINE_ACTION_WRAPPER(kvfree_action, kvfree, const void *);

/* Frames of the allocators themselves, between an object and its caller. */
static const char * const kmemleak_alloc_frames[] = {
	"save_stack_trace", "stack_trace_save", "set_track_prepare",
	"__alloc_object", "__create_object", "kmemleak_", "__kmalloc",
	"kmalloc", "__kmem_cache_alloc", "kmem_cache_alloc", "__vmalloc",
	"vmalloc", "vzalloc", "__kvmalloc", "kvmalloc", "kvzalloc",
	"kmemdup", "kstrdup", "kstrndup", "krealloc", "kzalloc", "kcalloc",
	"memdup_user", "__alloc_pages", "alloc_pages", "devm_", "alloc_dr",
	"__devres_alloc", "kvasprintf", "kasprintf",
};

/* The first backtrace frame that is not an allocator's own. */
static const char *kmemleak_caller(const char *block)
{
	const char *frame = strstr(block, "backtrace");
	unsigned int i;

	while (frame && (frame = strchr(frame, '\n'))) {
		frame = skip_spaces(frame);
		for (i = 0; i < ARRAY_SIZE(kmemleak_alloc_frames); i++)
			if (str_has_prefix(frame, kmemleak_alloc_frames[i]))
				break;
		if (i == ARRAY_SIZE(kmemleak_alloc_frames))
			return frame;
	}
	return NULL;
}

#define KMEMLEAK_MIN_AGE_MS	5100	/* MSECS_MIN_AGE is 5000 */

/*
 * kmemleak confirmation, after every sweep: objects must be 5 s old and
 * unchanged across two scans to be reported.  The canary's leak must be
 * found (kmemleak is alive); no refdev allocation may be.
 */
static void kmemleak_confirmation(struct kunit *test)
{
	char *report = kvzalloc(KMEMLEAK_REPORT_SIZE, GFP_KERNEL);
	unsigned int driver = 0, kernel = 0;
	const char *caller;
	bool canary = false;
	char *block, *next;
	ssize_t n;

	KUNIT_ASSERT_NOT_NULL(test, report);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kvfree_action,
							report), 0);
	canary_run(test, kfault_canary_leak, "kfault_canary");
	msleep(KMEMLEAK_MIN_AGE_MS);
	KUNIT_ASSERT_GE(test, kfault_kmemleak(test, "scan", NULL, 0), 0);
	KUNIT_ASSERT_GE(test, kfault_kmemleak(test, "scan", NULL, 0), 0);
	n = kfault_kmemleak(test, NULL, report, KMEMLEAK_REPORT_SIZE);
	KUNIT_ASSERT_GE_MSG(test, n, 0, "cannot read kmemleak's report: %zd", n);
	for (block = strstr(report, "unreferenced object"); block; block = next) {
		next = strstr(block + 1, "unreferenced object");
		if (next)
			next[-1] = '\0';
		caller = kmemleak_caller(block);
		if (!caller)
			continue;
		if (str_has_prefix(caller, "kfault_canary_alloc")) {
			canary = true;
		} else if (str_has_prefix(caller, sweep_target.prefix)) {
			driver++;
			kunit_info(test, "kfault: kmemleak: %s\n", block);
		} else if (strstr(block, sweep_target.prefix) && !kernel++) {
			/* the kernel's own error path, under a refdev call */
			kunit_info(test, "kfault: kmemleak (kernel, not refdev): %s\n",
				   block);
		}
	}
	kfault_kmemleak(test, "clear", NULL, 0);
	kunit_info(test, "kfault: kmemleak confirmation: canary %s, %u refdev leak(s), %u kernel leak(s) under refdev calls\n",
		   canary ? "found" : "MISSING", driver, kernel);
	KUNIT_EXPECT_TRUE_MSG(test, canary,
			      "kmemleak did not report the canary's leak: is it alive?");
	KUNIT_EXPECT_EQ_MSG(test, driver, 0U, "kmemleak found refdev leaks");
}

static void sweep_summary(struct kunit *test)
{
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sweep_env);
	KUNIT_EXPECT_GT_MSG(test, kfault_env_nr_tags(sweep_env), 0U,
			    "no allocation tags for refdev: is MEM_ALLOC_PROFILING on?");
	kfault_log_stats(test, sweep_env);
}

static int refdev_fault_suite_init(struct kunit_suite *suite)
{
	sweep_env = kfault_env_init(&sweep_target);
	return PTR_ERR_OR_ZERO(sweep_env);
}

static void refdev_fault_suite_exit(struct kunit_suite *suite)
{
	kfault_env_exit(sweep_env);
	sweep_env = NULL;
}

static struct kunit_case refdev_fault_cases[] = {
	KUNIT_CASE_PARAM(core_create_fault_sweep, core_create_gen),
	KUNIT_CASE_PARAM(probe_fault_sweep, probe_gen),
	KUNIT_CASE_PARAM(open_fault_sweep, open_gen),
	KUNIT_CASE_PARAM(submit_fault_sweep, submit_gen),
	KUNIT_CASE_PARAM(irq_fault_sweep, irq_gen),
	KUNIT_CASE_PARAM(read_fault_sweep, read_gen),
	KUNIT_CASE_PARAM(resize_fault_sweep, resize_gen),
	KUNIT_CASE_PARAM(channels_fault_sweep, channels_gen),
	KUNIT_CASE_PARAM(firmware_fault_sweep, firmware_gen),
	KUNIT_CASE_PARAM(dma_fault_sweep, dma_gen),
	KUNIT_CASE_PARAM(fop_open_fault_sweep, fop_open_gen),
	KUNIT_CASE_PARAM(fop_write_fault_sweep, fop_write_gen),
	KUNIT_CASE_PARAM(fop_load_fw_fault_sweep, fop_load_fw_gen),
	KUNIT_CASE_PARAM(release_fault_sweep, release_gen),
	KUNIT_CASE_PARAM(remove_fault_sweep, remove_gen),
	KUNIT_CASE(canary_fault_injection),
	KUNIT_CASE(canary_kasan),
	KUNIT_CASE_SLOW(kmemleak_confirmation),
	KUNIT_CASE(sweep_summary),
	{}
};

static struct kunit_suite refdev_fault_suite = {
	.name = "refdev_fault",
	.suite_init = refdev_fault_suite_init,
	.suite_exit = refdev_fault_suite_exit,
	.test_cases = refdev_fault_cases,
};

kunit_test_suite(refdev_fault_suite);

MODULE_DESCRIPTION("Fault-injection sweeps of the kfault reference driver");
MODULE_LICENSE("GPL");

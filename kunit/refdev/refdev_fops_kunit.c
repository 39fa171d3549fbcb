// SPDX-License-Identifier: GPL-2.0
/*
 * refdev_fops: the misc device's file operations, called for real with
 * __user pointers.  The test thread gets an mm and user memory from
 * kunit_vm_mmap(); the file is an anonymous-inode file on the device's
 * fops, opened the way misc_open() does it (private_data = &rd->misc, then
 * ->open()).
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/limits.h>
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "refdev_kunit.h"
#include "../../module/refdev_ioctl.h"

KUNIT_DEFINE_ACTION_WRAPPER(fput_sync_action, __fput_sync, struct file *);

/* Installed when ->open() failed, so that __fput() calls no ->release(). */
static const struct file_operations refdev_test_closed_fops;

static unsigned long refdev_test_mmap(struct kunit *test, unsigned long prot)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, 2 * PAGE_SIZE, prot,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (!addr || IS_ERR_VALUE(addr) || addr >= TASK_SIZE)
		kunit_skip(test, "kunit_vm_mmap() gave no user memory");
	return addr;
}

/* Device, user memory (page 0: data, page 1: ioctl arguments), bad page. */
static int refdev_fops_test_init(struct kunit *test)
{
	struct refdev_test_env *env;

	refdev_test_env_init_device(test);
	env = test->priv;
	env->umem = refdev_test_mmap(test, PROT_READ | PROT_WRITE);
	env->ubad = refdev_test_mmap(test, PROT_NONE);
	return 0;
}

static void __user *refdev_test_udata(struct kunit *test)
{
	return (void __user *)((struct refdev_test_env *)test->priv)->umem;
}

static void __user *refdev_test_uarg(struct kunit *test)
{
	return refdev_test_udata(test) + PAGE_SIZE;
}

static void __user *refdev_test_ubad(struct kunit *test)
{
	return (void __user *)((struct refdev_test_env *)test->priv)->ubad;
}

/* Open the device: what misc_open() does, on an anonymous-inode file. */
static struct file *refdev_test_file(struct kunit *test)
{
	struct refdev_test_env *env = test->priv;
	struct file *file;
	int ret;

	file = anon_inode_getfile("[refdev-kunit]", env->rd->misc.fops,
				  &env->rd->misc, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	ret = file->f_op->open(file_inode(file), file);
	if (ret) {
		replace_fops(file, &refdev_test_closed_fops);
		__fput_sync(file);
		KUNIT_ASSERT_EQ(test, ret, 0);
	}
	ret = kunit_add_action_or_reset(test, fput_sync_action, file);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return file;
}

static struct refdev_session *refdev_test_fsession(struct file *file)
{
	return file->private_data;
}

static ssize_t refdev_test_write(struct file *file, const void __user *ubuf,
				 size_t len)
{
	loff_t pos = 0;

	return file->f_op->write(file, ubuf, len, &pos);
}

static ssize_t refdev_test_read(struct file *file, void __user *ubuf,
				size_t len)
{
	loff_t pos = 0;

	return file->f_op->read(file, ubuf, len, &pos);
}

static long refdev_test_ioctl(struct file *file, unsigned int cmd,
			      const void __user *uarg)
{
	return file->f_op->unlocked_ioctl(file, cmd, (unsigned long)uarg);
}

/* Put @len bytes of @fill at the user data page. */
static void refdev_test_fill_user(struct kunit *test, int fill, size_t len)
{
	u8 buf[64];
	size_t off, n;

	memset(buf, fill, sizeof(buf));
	for (off = 0; off < len; off += n) {
		n = min(len - off, sizeof(buf));
		KUNIT_ASSERT_EQ(test, copy_to_user(refdev_test_udata(test) + off,
						   buf, n), 0);
	}
}

/* An open file whose session holds one completed packet of @len x @fill. */
static struct file *refdev_test_file_with_packet(struct kunit *test, int fill,
						 size_t len)
{
	struct file *file = refdev_test_file(test);

	refdev_test_fill_user(test, fill, len);
	KUNIT_ASSERT_EQ(test, refdev_test_write(file, refdev_test_udata(test),
						len), len);
	KUNIT_ASSERT_EQ(test, refdev_test_ioctl(file, REFDEV_IOC_TRIGGER_IRQ,
						NULL), 1);
	return file;
}

/* ioctl @cmd with a u64 or u32 @value at the user argument page. */
static long refdev_test_ioctl_value(struct kunit *test, struct file *file,
				    unsigned int cmd, u64 value, size_t size)
{
	u32 v32 = value;
	const void *src = size == sizeof(v32) ? (void *)&v32 : (void *)&value;

	KUNIT_ASSERT_EQ(test, copy_to_user(refdev_test_uarg(test), src, size), 0);
	return refdev_test_ioctl(file, cmd, refdev_test_uarg(test));
}

/*
 * A refused call changed nothing: the device and the session keep their
 * defaults, no request is queued or allocated, no firmware is loaded.
 */
static void refdev_fops_expect_untouched(struct kunit *test, struct file *file)
{
	struct refdev_test_env *env = test->priv;
	struct refdev_session_info si;
	struct refdev_info info;

	refdev_get_info(env->rd, &info);
	refdev_session_get_info(refdev_test_fsession(file), &si);
	KUNIT_EXPECT_EQ(test, info.nr_channels, REFDEV_DEFAULT_CHANNELS);
	KUNIT_EXPECT_NULL(test, env->rd->fw);
	KUNIT_EXPECT_EQ(test, info.fw_size, 0);
	KUNIT_EXPECT_EQ(test, si.ring_entries, REFDEV_DEFAULT_RING);
	KUNIT_EXPECT_EQ(test, si.dma_size, 0);
	KUNIT_EXPECT_EQ(test, si.nr_queued, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->core->nr_requests), 0);
}

/* open() creates a session, the last fput() releases it. */
static void refdev_fops_open_release(struct kunit *test)
{
	struct refdev_test_env *env = test->priv;
	struct refdev_info info;
	struct file *file;

	file = refdev_test_file(test);
	KUNIT_ASSERT_NOT_NULL(test, refdev_test_fsession(file));
	KUNIT_EXPECT_PTR_EQ(test, refdev_test_fsession(file)->rd, env->rd);
	KUNIT_EXPECT_TRUE(test, file->f_mode & FMODE_STREAM);
	refdev_get_info(env->rd, &info);
	KUNIT_EXPECT_EQ(test, info.nr_sessions, 1);

	kunit_release_action(test, fput_sync_action, file);
	refdev_get_info(env->rd, &info);
	KUNIT_EXPECT_EQ(test, info.nr_sessions, 0);
}

/* write() queues a memdup_user() copy of the user buffer. */
static void refdev_fops_write_queues(struct kunit *test)
{
	struct refdev_session_info si;
	struct refdev_request *req;
	struct refdev_session *s;
	struct file *file;
	u8 expect[40];

	file = refdev_test_file(test);
	s = refdev_test_fsession(file);
	refdev_test_fill_user(test, 0x42, sizeof(expect));
	KUNIT_EXPECT_EQ(test, refdev_test_write(file, refdev_test_udata(test),
						sizeof(expect)),
			sizeof(expect));

	refdev_session_get_info(s, &si);
	KUNIT_ASSERT_EQ(test, si.nr_queued, 1);
	req = list_first_entry(&s->queue, struct refdev_request, node);
	memset(expect, 0x42, sizeof(expect));
	KUNIT_EXPECT_EQ(test, req->len, sizeof(expect));
	KUNIT_EXPECT_MEMEQ(test, req->payload, expect, sizeof(expect));
	if (!IS_ENABLED(CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC))
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)req->payload,
						   ARCH_DMA_MINALIGN));
}

struct refdev_fops_len_case {
	const char *desc;
	size_t len;
	int err;
};

static const struct refdev_fops_len_case refdev_fops_write_bad_lens[] = {
	{ .desc = "zero", .len = 0, .err = -EINVAL },
	{ .desc = "REFDEV_MAX_PAYLOAD + 1", .len = REFDEV_MAX_PAYLOAD + 1,
	  .err = -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(refdev_fops_write_bad_lens, refdev_fops_write_bad_lens,
		       desc);

/* Bad lengths are refused before memdup_user(). */
static void refdev_fops_write_bad_len(struct kunit *test)
{
	const struct refdev_fops_len_case *p = test->param_value;
	struct file *file;

	file = refdev_test_file(test);
	KUNIT_EXPECT_EQ(test, refdev_test_write(file, refdev_test_udata(test),
						p->len), p->err);
	refdev_fops_expect_untouched(test, file);
}

/* An inaccessible user buffer: -EFAULT, nothing queued or leaked. */
static void refdev_fops_write_bad_pointer(struct kunit *test)
{
	struct file *file;

	file = refdev_test_file(test);
	KUNIT_EXPECT_EQ(test, refdev_test_write(file, refdev_test_ubad(test),
						16), -EFAULT);
	KUNIT_EXPECT_EQ(test, refdev_test_write(file, NULL, 16), -EFAULT);
	refdev_fops_expect_untouched(test, file);
}

/* write(), the irq ioctl, read(): the packet comes back to user memory. */
static void refdev_fops_read_roundtrip(struct kunit *test)
{
	void __user *out = refdev_test_uarg(test);
	struct file *file;
	u8 got[24], expect[24];

	file = refdev_test_file_with_packet(test, 0x77, sizeof(expect));

	KUNIT_EXPECT_EQ(test, refdev_test_read(file, out, PAGE_SIZE),
			sizeof(expect));
	KUNIT_ASSERT_EQ(test, copy_from_user(got, out, sizeof(got)), 0);
	memset(expect, 0x77, sizeof(expect));
	KUNIT_EXPECT_MEMEQ(test, got, expect, sizeof(expect));
	KUNIT_EXPECT_EQ(test, refdev_test_read(file, out, PAGE_SIZE), 0);
}

/* Reading into an inaccessible buffer: -EFAULT, the packet stays. */
static void refdev_fops_read_bad_pointer(struct kunit *test)
{
	struct refdev_session_info si;
	struct file *file;

	file = refdev_test_file_with_packet(test, 1, 8);

	KUNIT_EXPECT_EQ(test, refdev_test_read(file, refdev_test_ubad(test), 8),
			-EFAULT);
	refdev_session_get_info(refdev_test_fsession(file), &si);
	KUNIT_EXPECT_EQ(test, si.nr_completed, 1);
	KUNIT_EXPECT_EQ(test, refdev_test_read(file, refdev_test_uarg(test), 8),
			8);
}

/* A user buffer smaller than the packet: -EMSGSIZE. */
static void refdev_fops_read_small_buffer(struct kunit *test)
{
	struct file *file;

	file = refdev_test_file_with_packet(test, 2, 32);
	KUNIT_EXPECT_EQ(test, refdev_test_read(file, refdev_test_uarg(test), 31),
			-EMSGSIZE);
}

/* The image is copied from user memory into a vmalloc()ed buffer. */
static void refdev_fops_ioctl_load_fw(struct kunit *test)
{
	struct refdev_test_env *env = test->priv;
	struct refdev_fw_load arg;
	struct file *file;
	u8 expect[256];

	file = refdev_test_file(test);
	refdev_test_fill_user(test, 0xf0, sizeof(expect));
	arg.ptr = (u64)(uintptr_t)refdev_test_udata(test);
	arg.len = sizeof(expect);
	KUNIT_ASSERT_EQ(test, copy_to_user(refdev_test_uarg(test), &arg,
					   sizeof(arg)), 0);

	KUNIT_EXPECT_EQ(test, refdev_test_ioctl(file, REFDEV_IOC_LOAD_FW,
						refdev_test_uarg(test)), 0);
	KUNIT_ASSERT_EQ(test, env->rd->fw_size, sizeof(expect));
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(env->rd->fw));
	memset(expect, 0xf0, sizeof(expect));
	KUNIT_EXPECT_MEMEQ(test, env->rd->fw, expect, sizeof(expect));
}

/* How a bad REFDEV_IOC_LOAD_FW argument is built. */
enum refdev_fw_ptr {
	REFDEV_FW_PTR_DATA,	/* the user data page */
	REFDEV_FW_PTR_BAD,	/* an inaccessible page */
	REFDEV_FW_PTR_WRAP,	/* ptr + len wraps around */
};

struct refdev_fw_arg_case {
	const char *desc;
	enum refdev_fw_ptr ptr;
	u64 len;
	int err;
};

static const struct refdev_fw_arg_case refdev_fw_bad_args[] = {
	{ .desc = "len 0", .ptr = REFDEV_FW_PTR_DATA, .len = 0,
	  .err = -EINVAL },
	{ .desc = "len REFDEV_MAX_FW_SIZE + 1", .ptr = REFDEV_FW_PTR_DATA,
	  .len = REFDEV_MAX_FW_SIZE + 1, .err = -E2BIG },
	{ .desc = "len U64_MAX", .ptr = REFDEV_FW_PTR_DATA, .len = U64_MAX,
	  .err = sizeof(size_t) < sizeof(u64) ? -EOVERFLOW : -E2BIG },
	{ .desc = "inaccessible ptr", .ptr = REFDEV_FW_PTR_BAD, .len = 64,
	  .err = -EFAULT },
	{ .desc = "ptr + len wraps", .ptr = REFDEV_FW_PTR_WRAP,
	  .len = PAGE_SIZE, .err = -EFAULT },
};

KUNIT_ARRAY_PARAM_DESC(refdev_fw_bad_args, refdev_fw_bad_args, desc);

/* Bad firmware arguments: the errno, no image loaded, nothing allocated. */
static void refdev_fops_ioctl_load_fw_bad_arg(struct kunit *test)
{
	const struct refdev_fw_arg_case *p = test->param_value;
	struct refdev_fw_load arg;
	struct file *file;

	file = refdev_test_file(test);
	switch (p->ptr) {
	case REFDEV_FW_PTR_DATA:
		arg.ptr = (u64)(uintptr_t)refdev_test_udata(test);
		break;
	case REFDEV_FW_PTR_BAD:
		arg.ptr = (u64)(uintptr_t)refdev_test_ubad(test);
		break;
	case REFDEV_FW_PTR_WRAP:
		arg.ptr = (u64)ULONG_MAX - 15;
		break;
	}
	arg.len = p->len;
	KUNIT_ASSERT_EQ(test, copy_to_user(refdev_test_uarg(test), &arg,
					   sizeof(arg)), 0);

	KUNIT_EXPECT_EQ(test, refdev_test_ioctl(file, REFDEV_IOC_LOAD_FW,
						refdev_test_uarg(test)), p->err);
	refdev_fops_expect_untouched(test, file);
}

static u64 refdev_fops_ring_entries(struct kunit *test, struct file *file)
{
	struct refdev_session_info si;

	refdev_session_get_info(refdev_test_fsession(file), &si);
	return si.ring_entries;
}

static u64 refdev_fops_nr_channels(struct kunit *test, struct file *file)
{
	struct refdev_test_env *env = test->priv;
	struct refdev_info info;

	refdev_get_info(env->rd, &info);
	return info.nr_channels;
}

static u64 refdev_fops_dma_size(struct kunit *test, struct file *file)
{
	struct refdev_session_info si;

	refdev_session_get_info(refdev_test_fsession(file), &si);
	return si.dma_size;
}

/* A value ioctl: the errno it returns; when 0, how to read the value back. */
struct refdev_ioctl_value_case {
	const char *desc;
	unsigned int cmd;
	u64 value;
	size_t size;
	int err;
	u64 (*now)(struct kunit *test, struct file *file);
};

static const struct refdev_ioctl_value_case refdev_ioctl_values[] = {
	{ .desc = "RESIZE_RING 64", .cmd = REFDEV_IOC_RESIZE_RING,
	  .value = 64, .size = sizeof(u64), .now = refdev_fops_ring_entries },
	{ .desc = "SET_CHANNELS 10", .cmd = REFDEV_IOC_SET_CHANNELS,
	  .value = 10, .size = sizeof(u32), .now = refdev_fops_nr_channels },
	{ .desc = "ALLOC_DMA PAGE_SIZE", .cmd = REFDEV_IOC_ALLOC_DMA,
	  .value = PAGE_SIZE, .size = sizeof(u64), .now = refdev_fops_dma_size },
	{ .desc = "RESIZE_RING 0", .cmd = REFDEV_IOC_RESIZE_RING, .value = 0,
	  .size = sizeof(u64), .err = -EINVAL },
	{ .desc = "RESIZE_RING REFDEV_MAX_RING + 1",
	  .cmd = REFDEV_IOC_RESIZE_RING, .value = REFDEV_MAX_RING + 1,
	  .size = sizeof(u64), .err = -E2BIG },
	{ .desc = "RESIZE_RING U64_MAX", .cmd = REFDEV_IOC_RESIZE_RING,
	  .value = U64_MAX, .size = sizeof(u64), .err = -EOVERFLOW },
	{ .desc = "SET_CHANNELS 0", .cmd = REFDEV_IOC_SET_CHANNELS, .value = 0,
	  .size = sizeof(u32), .err = -EINVAL },
	{ .desc = "SET_CHANNELS U32_MAX", .cmd = REFDEV_IOC_SET_CHANNELS,
	  .value = U32_MAX, .size = sizeof(u32), .err = -E2BIG },
	{ .desc = "ALLOC_DMA 0", .cmd = REFDEV_IOC_ALLOC_DMA, .value = 0,
	  .size = sizeof(u64), .err = -EINVAL },
	{ .desc = "ALLOC_DMA REFDEV_MAX_DMA + 1", .cmd = REFDEV_IOC_ALLOC_DMA,
	  .value = REFDEV_MAX_DMA + 1, .size = sizeof(u64), .err = -E2BIG },
};

KUNIT_ARRAY_PARAM_DESC(refdev_ioctl_values, refdev_ioctl_values, desc);

/*
 * A value ioctl returns its errno; one in range reads back, one out of range
 * leaves the session untouched.
 */
static void refdev_fops_ioctl_value(struct kunit *test)
{
	const struct refdev_ioctl_value_case *p = test->param_value;
	struct file *file;

	file = refdev_test_file(test);
	KUNIT_EXPECT_EQ(test, refdev_test_ioctl_value(test, file, p->cmd,
						      p->value, p->size),
			p->err);
	if (p->now)
		KUNIT_EXPECT_EQ(test, p->now(test, file), p->value);
	else
		refdev_fops_expect_untouched(test, file);
}

/* The interrupt ioctl returns the number of requests completed. */
static void refdev_fops_ioctl_trigger_irq(struct kunit *test)
{
	struct file *file;
	unsigned int i;

	file = refdev_test_file(test);
	refdev_test_fill_user(test, 9, 4);
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, refdev_test_write(file,
							refdev_test_udata(test),
							4), 4);
	KUNIT_EXPECT_EQ(test, refdev_test_ioctl(file, REFDEV_IOC_TRIGGER_IRQ,
						NULL), 3);
	KUNIT_EXPECT_EQ(test, refdev_test_ioctl(file, REFDEV_IOC_TRIGGER_IRQ,
						NULL), 0);
}

static void refdev_fops_ioctl_get_info(struct kunit *test)
{
	struct refdev_dev_info info;
	struct file *file;

	file = refdev_test_file(test);
	refdev_test_fill_user(test, 9, 4);
	KUNIT_ASSERT_EQ(test, refdev_test_write(file, refdev_test_udata(test),
						4), 4);
	KUNIT_ASSERT_EQ(test, refdev_alloc_dma(refdev_test_fsession(file),
					       PAGE_SIZE), 0);

	KUNIT_ASSERT_EQ(test, refdev_test_ioctl(file, REFDEV_IOC_GET_INFO,
						refdev_test_uarg(test)), 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(&info, refdev_test_uarg(test),
					     sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, info.nr_sessions, 1);
	KUNIT_EXPECT_EQ(test, info.nr_channels, REFDEV_DEFAULT_CHANNELS);
	KUNIT_EXPECT_EQ(test, info.nr_queued, 1);
	KUNIT_EXPECT_EQ(test, info.nr_completed, 0);
	KUNIT_EXPECT_EQ(test, info.fw_size, 0);
	KUNIT_EXPECT_EQ(test, info.ring_entries, REFDEV_DEFAULT_RING);
	KUNIT_EXPECT_EQ(test, info.dma_size, PAGE_SIZE);
}

struct refdev_ioctl_cmd_case {
	const char *desc;
	unsigned int cmd;
};

static const struct refdev_ioctl_cmd_case refdev_ioctl_ptr_cmds[] = {
	{ .desc = "RESIZE_RING", .cmd = REFDEV_IOC_RESIZE_RING },
	{ .desc = "SET_CHANNELS", .cmd = REFDEV_IOC_SET_CHANNELS },
	{ .desc = "LOAD_FW", .cmd = REFDEV_IOC_LOAD_FW },
	{ .desc = "ALLOC_DMA", .cmd = REFDEV_IOC_ALLOC_DMA },
	{ .desc = "GET_INFO", .cmd = REFDEV_IOC_GET_INFO },
};

KUNIT_ARRAY_PARAM_DESC(refdev_ioctl_ptr_cmds, refdev_ioctl_ptr_cmds, desc);

/* Every ioctl with an argument: an inaccessible or NULL one is -EFAULT. */
static void refdev_fops_ioctl_bad_pointer(struct kunit *test)
{
	const struct refdev_ioctl_cmd_case *p = test->param_value;
	struct file *file;

	file = refdev_test_file(test);
	KUNIT_EXPECT_EQ(test, refdev_test_ioctl(file, p->cmd,
						refdev_test_ubad(test)), -EFAULT);
	KUNIT_EXPECT_EQ(test, refdev_test_ioctl(file, p->cmd, NULL), -EFAULT);

	refdev_fops_expect_untouched(test, file);
}

static void refdev_fops_ioctl_unknown_cmd(struct kunit *test)
{
	struct file *file = refdev_test_file(test);

	KUNIT_EXPECT_EQ(test, refdev_test_ioctl(file, _IO(REFDEV_IOC_MAGIC, 0x4f),
						NULL), -ENOTTY);
	KUNIT_EXPECT_EQ(test, refdev_test_ioctl(file, 0, NULL), -ENOTTY);
}

static struct kunit_case refdev_fops_test_cases[] = {
	KUNIT_CASE(refdev_fops_open_release),
	KUNIT_CASE(refdev_fops_write_queues),
	KUNIT_CASE_PARAM(refdev_fops_write_bad_len,
			 refdev_fops_write_bad_lens_gen_params),
	KUNIT_CASE(refdev_fops_write_bad_pointer),
	KUNIT_CASE(refdev_fops_read_roundtrip),
	KUNIT_CASE(refdev_fops_read_bad_pointer),
	KUNIT_CASE(refdev_fops_read_small_buffer),
	KUNIT_CASE(refdev_fops_ioctl_load_fw),
	KUNIT_CASE_PARAM(refdev_fops_ioctl_load_fw_bad_arg,
			 refdev_fw_bad_args_gen_params),
	KUNIT_CASE_PARAM(refdev_fops_ioctl_value,
			 refdev_ioctl_values_gen_params),
	KUNIT_CASE(refdev_fops_ioctl_trigger_irq),
	KUNIT_CASE(refdev_fops_ioctl_get_info),
	KUNIT_CASE_PARAM(refdev_fops_ioctl_bad_pointer,
			 refdev_ioctl_ptr_cmds_gen_params),
	KUNIT_CASE(refdev_fops_ioctl_unknown_cmd),
	{}
};

static struct kunit_suite refdev_fops_test_suite = {
	.name = "refdev_fops",
	.init = refdev_fops_test_init,
	.test_cases = refdev_fops_test_cases,
};

kunit_test_suite(refdev_fops_test_suite);

// SPDX-License-Identifier: GPL-2.0
/*
 * refdev misc character device: the file operations, which call the same
 * functions as the in-kernel API.  The uapi is in refdev_ioctl.h.
 */
#include <linux/compat.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>

#include "refdev_internal.h"
#include "refdev_ioctl.h"

static int refdev_fop_open(struct inode *inode, struct file *file)
{
	/* misc_open() points private_data at our struct miscdevice. */
	struct refdev *rd = container_of(file->private_data, struct refdev,
					 misc);
	struct refdev_session *s;

	s = refdev_open(rd);
	if (IS_ERR(s))
		return PTR_ERR(s);
	file->private_data = s;
	return stream_open(inode, file);
}

static int refdev_fop_release(struct inode *inode, struct file *file)
{
	refdev_release(file->private_data);
	return 0;
}

/*
 * One write() is one packet.  The length is checked and queue space
 * looked at before memdup_user() copies the packet into a kmalloc()ed,
 * DMA-aligned payload that the request then owns.
 */
static ssize_t refdev_fop_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct refdev_session *s = file->private_data;
	void *payload;
	int ret;

	ret = refdev_check_payload(len);
	if (ret)
		return ret;
	ret = refdev_queue_space(s);
	if (ret)
		return ret;

	payload = memdup_user(ubuf, len);
	if (IS_ERR(payload))
		return PTR_ERR(payload);
	ret = refdev_queue(s, payload, len);
	if (ret) {
		kfree(payload);
		return ret;
	}
	return len;
}

static ssize_t refdev_fop_read(struct file *file, char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	struct iov_iter to;
	int ret;

	ret = import_ubuf(ITER_DEST, ubuf, len, &to);
	if (ret)
		return ret;
	return refdev_read_iter(file->private_data, &to);
}

static long refdev_ioctl_resize_ring(struct refdev_session *s,
				     const void __user *uarg)
{
	u64 entries;

	if (copy_from_user(&entries, uarg, sizeof(entries)))
		return -EFAULT;
	/* Only possible where size_t is 32 bits. */
	if (entries != (size_t)entries)
		return -EOVERFLOW;
	return refdev_resize_ring(s, entries);
}

static long refdev_ioctl_set_channels(struct refdev *rd,
				      const void __user *uarg)
{
	u32 nr;

	if (copy_from_user(&nr, uarg, sizeof(nr)))
		return -EFAULT;
	return refdev_set_channels(rd, nr);
}

/*
 * The image is copied straight from userspace into the new vmalloc()
 * buffer, which replaces the old image only once the copy succeeded.
 */
static long refdev_ioctl_load_fw(struct refdev *rd, const void __user *uarg)
{
	struct refdev_fw_load arg;
	const void __user *uptr;
	void *fw;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.len != (size_t)arg.len)
		return -EOVERFLOW;
	ret = refdev_check_fw_len(arg.len);
	if (ret)
		return ret;
	uptr = u64_to_user_ptr(arg.ptr);
	/* Refuse ranges that wrap or leave user space before allocating. */
	if (!access_ok(uptr, arg.len))
		return -EFAULT;

	fw = vmalloc(arg.len);
	if (!fw)
		return -ENOMEM;
	if (copy_from_user(fw, uptr, arg.len)) {
		vfree(fw);
		return -EFAULT;
	}
	refdev_fw_install(rd, fw, arg.len);
	return 0;
}

static long refdev_ioctl_alloc_dma(struct refdev_session *s,
				   const void __user *uarg)
{
	u64 size;

	if (copy_from_user(&size, uarg, sizeof(size)))
		return -EFAULT;
	if (size != (size_t)size)
		return -EOVERFLOW;
	return refdev_alloc_dma(s, size);
}

static long refdev_ioctl_get_info(struct refdev_session *s, void __user *uarg)
{
	struct refdev_session_info si;
	struct refdev_dev_info arg;
	struct refdev_info info;

	refdev_get_info(s->rd, &info);
	refdev_session_get_info(s, &si);

	memset(&arg, 0, sizeof(arg));
	arg.nr_sessions = info.nr_sessions;
	arg.nr_channels = info.nr_channels;
	arg.nr_queued = info.nr_queued;
	arg.nr_completed = info.nr_completed;
	arg.fw_size = info.fw_size;
	arg.ring_entries = si.ring_entries;
	arg.dma_size = si.dma_size;
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		return -EFAULT;
	return 0;
}

static long refdev_fop_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct refdev_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case REFDEV_IOC_RESIZE_RING:
		return refdev_ioctl_resize_ring(s, uarg);
	case REFDEV_IOC_SET_CHANNELS:
		return refdev_ioctl_set_channels(s->rd, uarg);
	case REFDEV_IOC_LOAD_FW:
		return refdev_ioctl_load_fw(s->rd, uarg);
	case REFDEV_IOC_ALLOC_DMA:
		return refdev_ioctl_alloc_dma(s, uarg);
	case REFDEV_IOC_TRIGGER_IRQ:
		return refdev_irq(s->rd);
	case REFDEV_IOC_GET_INFO:
		return refdev_ioctl_get_info(s, uarg);
	default:
		return -ENOTTY;
	}
}

const struct file_operations refdev_fops = {
	.owner = THIS_MODULE,
	.open = refdev_fop_open,
	.release = refdev_fop_release,
	.read = refdev_fop_read,
	.write = refdev_fop_write,
	.unlocked_ioctl = refdev_fop_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

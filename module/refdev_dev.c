// SPDX-License-Identifier: GPL-2.0
/*
 * refdev device: probe/remove, channels, firmware, the interrupt, the
 * stats log and the device counters.
 */
#include <kunit/visibility.h>
#include <linux/bug.h>
#include <linux/device.h>
#include <linux/device/devres.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "refdev_internal.h"

/* Record @event in the stats log.  Caller holds rd->lock. */
void __refdev_log(struct refdev *rd, enum refdev_event event, u32 arg)
{
	struct refdev_log_entry *e;

	lockdep_assert_held(&rd->lock);
	e = &rd->stats[rd->log_head++ % REFDEV_LOG_ENTRIES];
	e->event = event;
	e->arg = arg;
}

void refdev_log(struct refdev *rd, enum refdev_event event, u32 arg)
{
	unsigned long flags;

	spin_lock_irqsave(&rd->lock, flags);
	__refdev_log(rd, event, arg);
	spin_unlock_irqrestore(&rd->lock, flags);
}

static void refdev_init_channels(struct refdev_channel *ch, unsigned int from,
				 unsigned int to)
{
	unsigned int i;

	for (i = from; i < to; i++) {
		ch[i].id = i;
		ch[i].weight = 1;
	}
}

static void refdev_port_release(struct device *dev)
{
	kfree(container_of(dev, struct refdev_port, dev));
}

/*
 * The port: "<name>-port" under the device.  The driver core's rule: once
 * device_register() has been called the struct device belongs to its
 * reference count, so a failed registration is put, not freed - put_device()
 * frees the name dev_set_name() allocated, the device_private
 * device_add() did, and the port through its release function.
 */
static int refdev_port_add(struct refdev *rd)
{
	struct refdev_port *port;
	int ret;

	port = kzalloc(sizeof(*port), GFP_KERNEL);
	if (!port)
		return -ENOMEM;
	port->rd = rd;
	port->dev.parent = rd->dev;
	port->dev.release = refdev_port_release;
	ret = dev_set_name(&port->dev, "%s-port", rd->name);
	if (ret) {
		kfree(port);
		return ret;
	}
	ret = device_register(&port->dev);
	if (ret) {
		put_device(&port->dev);
		return ret;
	}
	rd->port = port;
	return 0;
}

/**
 * refdev_probe() - bring up one device
 * @dev: the device; its driver data is set to the new struct refdev
 * @core: the core whose request cache and instance ids the device uses
 *
 * Stages, in order; a failure undoes the earlier ones in reverse order:
 *  1. devres group (devres_open_group, kmalloc GFP_KERNEL), so that the
 *     devm allocations below are released as soon as probe fails or
 *     remove runs, also when the caller is not the driver core
 *  2. the struct refdev (devm_kzalloc)
 *  3. an instance id (ida_alloc_max; -ENOSPC after REFDEV_MAX_DEVICES)
 *  4. the name "<core><id>" (devm_kasprintf)
 *  5. the descriptor ring (alloc_pages, order REFDEV_RING_ORDER)
 *  6. the stats log (vzalloc, REFDEV_STATS_SIZE)
 *  7. REFDEV_DEFAULT_CHANNELS channels (kcalloc)
 *  8. the misc device (misc_register, dynamic minor)
 *  9. the port, a child device (kzalloc, dev_set_name, device_register)
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL if @dev or @core is missing, -EBUSY if @dev already
 * has driver data, -ENOSPC if @core has no free id, -ENOMEM, or the error
 * of misc_register() or of device_register().
 */
int refdev_probe(struct device *dev, struct refdev_core *core)
{
	struct refdev *rd;
	int ret;

	if (!dev || IS_ERR_OR_NULL(core))
		return -EINVAL;
	if (dev_get_drvdata(dev))
		return -EBUSY;

	if (!devres_open_group(dev, refdev_probe, GFP_KERNEL))
		return -ENOMEM;

	rd = devm_kzalloc(dev, sizeof(*rd), GFP_KERNEL);
	if (!rd) {
		ret = -ENOMEM;
		goto err_release_devres;
	}
	rd->dev = dev;
	rd->core = core;
	mutex_init(&rd->mutex);
	spin_lock_init(&rd->lock);
	INIT_LIST_HEAD(&rd->sessions);

	ret = ida_alloc_max(&core->ida, REFDEV_MAX_DEVICES - 1, GFP_KERNEL);
	if (ret < 0) {
		dev_err_probe(dev, ret, "no free instance id in core %s\n",
			      core->name);
		goto err_release_devres;
	}
	rd->id = ret;

	rd->name = devm_kasprintf(dev, GFP_KERNEL, "%s%d", core->name, rd->id);
	if (!rd->name) {
		ret = -ENOMEM;
		goto err_free_id;
	}

	rd->desc_pages = alloc_pages(REFDEV_PAGES_GFP, REFDEV_RING_ORDER);
	if (!rd->desc_pages) {
		ret = -ENOMEM;
		goto err_free_id;
	}

	rd->stats = vzalloc(REFDEV_STATS_SIZE);
	if (!rd->stats) {
		ret = -ENOMEM;
		goto err_free_desc_ring;
	}

	rd->channels = kcalloc(REFDEV_DEFAULT_CHANNELS, sizeof(*rd->channels),
			       GFP_KERNEL);
	if (!rd->channels) {
		ret = -ENOMEM;
		goto err_free_stats;
	}
	refdev_init_channels(rd->channels, 0, REFDEV_DEFAULT_CHANNELS);
	rd->nr_channels = REFDEV_DEFAULT_CHANNELS;

	rd->misc.minor = MISC_DYNAMIC_MINOR;
	rd->misc.name = rd->name;
	rd->misc.fops = &refdev_fops;
	rd->misc.parent = dev;
	ret = misc_register(&rd->misc);
	if (ret) {
		dev_err_probe(dev, ret, "cannot register misc device %s\n",
			      rd->name);
		goto err_free_channels;
	}
	rd->registered = true;

	ret = refdev_port_add(rd);
	if (ret) {
		dev_err_probe(dev, ret, "cannot add the port of %s\n", rd->name);
		goto err_deregister_misc;
	}

	dev_set_drvdata(dev, rd);
	devres_close_group(dev, refdev_probe);
	return 0;

err_deregister_misc:
	misc_deregister(&rd->misc);
	rd->registered = false;
err_free_channels:
	kfree(rd->channels);
err_free_stats:
	vfree(rd->stats);
err_free_desc_ring:
	__free_pages(rd->desc_pages, REFDEV_RING_ORDER);
err_free_id:
	ida_free(&core->ida, rd->id);
err_release_devres:
	devres_release_group(dev, refdev_probe);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refdev_probe);

/**
 * refdev_remove() - undo refdev_probe()
 * @dev: the device; nothing happens if it has no struct refdev
 *
 * Frees in the reverse order of probe, after the firmware image, and
 * releases the devres group, so the struct refdev is gone on return.
 * Every session must have been released: the misc fops pin the module and
 * the platform driver has no sysfs unbind, so only in-kernel callers can
 * break this rule, and they get a WARN.
 *
 * Context: process context, may sleep.
 */
void refdev_remove(struct device *dev)
{
	struct refdev *rd = dev ? dev_get_drvdata(dev) : NULL;

	if (!rd)
		return;

	device_unregister(&rd->port->dev);
	mutex_lock(&rd->mutex);
	misc_deregister(&rd->misc);
	rd->registered = false;
	mutex_unlock(&rd->mutex);
	WARN_ON(rd->nr_sessions);

	vfree(rd->fw);
	kfree(rd->channels);
	vfree(rd->stats);
	__free_pages(rd->desc_pages, REFDEV_RING_ORDER);
	ida_free(&rd->core->ida, rd->id);
	mutex_destroy(&rd->mutex);

	dev_set_drvdata(dev, NULL);
	devres_release_group(dev, refdev_probe);
}
EXPORT_SYMBOL_IF_KUNIT(refdev_remove);

/**
 * refdev_from_dev() - the struct refdev probed on @dev
 * @dev: the device
 *
 * Return: the device's struct refdev, NULL if refdev_probe() did not
 * succeed on it.
 */
struct refdev *refdev_from_dev(struct device *dev)
{
	return dev_get_drvdata(dev);
}
EXPORT_SYMBOL_IF_KUNIT(refdev_from_dev);

/**
 * refdev_set_channels() - change the number of channels
 * @rd: the device
 * @nr: new number of channels, 1..REFDEV_MAX_CHANNELS
 *
 * The array is resized with krealloc_array(GFP_KERNEL): existing channels
 * keep their settings, new ones get defaults.  krealloc leaves the old
 * array in place when it fails, and neither allocates nor fails when the
 * new size fits in the current allocation (shrinking always does).
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL for 0, -E2BIG above REFDEV_MAX_CHANNELS, -ENOMEM.
 * On error nothing changed.
 */
int refdev_set_channels(struct refdev *rd, unsigned int nr)
{
	struct refdev_channel *ch;
	int ret;

	if (!nr)
		return -EINVAL;
	if (nr > REFDEV_MAX_CHANNELS)
		return -E2BIG;

	mutex_lock(&rd->mutex);
	ch = krealloc_array(rd->channels, nr, sizeof(*ch), GFP_KERNEL);
	if (!ch) {
		ret = -ENOMEM;
		mutex_unlock(&rd->mutex);
		return ret;
	}
	if (nr > rd->nr_channels)
		refdev_init_channels(ch, rd->nr_channels, nr);
	rd->channels = ch;
	rd->nr_channels = nr;
	refdev_log(rd, REFDEV_EV_CHANNELS, nr);
	mutex_unlock(&rd->mutex);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(refdev_set_channels);

/* Firmware length rule shared with the ioctl: 1..REFDEV_MAX_FW_SIZE. */
int refdev_check_fw_len(size_t len)
{
	if (!len)
		return -EINVAL;
	if (len > REFDEV_MAX_FW_SIZE)
		return -E2BIG;
	return 0;
}

/* Swap in a complete, vmalloc()ed image and free the previous one. */
void refdev_fw_install(struct refdev *rd, void *fw, size_t len)
{
	void *old;

	mutex_lock(&rd->mutex);
	old = rd->fw;
	rd->fw = fw;
	rd->fw_size = len;
	refdev_log(rd, REFDEV_EV_FIRMWARE, len);
	mutex_unlock(&rd->mutex);
	vfree(old);
}

/**
 * refdev_load_firmware() - load a firmware image
 * @rd: the device
 * @data: the image
 * @len: its length, 1..REFDEV_MAX_FW_SIZE
 *
 * The image is copied into a new vmalloc(GFP_KERNEL) buffer which replaces
 * the current one only once it is complete; the old one is then vfree()d.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL for a NULL @data or a 0 @len, -E2BIG above
 * REFDEV_MAX_FW_SIZE, -ENOMEM.  On error the old image stays loaded.
 */
int refdev_load_firmware(struct refdev *rd, const void *data, size_t len)
{
	void *fw;
	int ret;

	ret = refdev_check_fw_len(len);
	if (ret)
		return ret;
	if (!data)
		return -EINVAL;

	fw = vmalloc(len);
	if (!fw)
		return -ENOMEM;
	memcpy(fw, data, len);
	refdev_fw_install(rd, fw, len);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(refdev_load_firmware);

/* The device writes back the completed descriptor.  Under rd->lock. */
static void refdev_desc_write(struct refdev *rd, const struct refdev_hw_desc *hw)
{
	struct refdev_hw_desc *ring = page_address(rd->desc_pages);

	lockdep_assert_held(&rd->lock);
	ring[rd->desc_head++ % REFDEV_DESC_ENTRIES] = *hw;
}

/* ... and the session's status block, if it has a DMA buffer. */
static void refdev_status_write(struct refdev_session *s, u32 last_seq)
{
	struct refdev_status_block *sb;

	lockdep_assert_held(&s->rd->lock);
	if (!s->dma_pages)
		return;
	sb = page_address(s->dma_pages);
	sb->completed = cpu_to_le32(s->nr_done);
	sb->last_seq = cpu_to_le32(last_seq);
}

/*
 * Complete queued requests of @s while its rx ring has room.  Atomic
 * context (rd->lock, interrupts off): the completion record is GFP_ATOMIC.
 * If that fails the request stays at the head of the queue and completes
 * at the next interrupt.
 */
static int refdev_complete_session(struct refdev *rd, struct refdev_session *s,
				   int *done)
{
	struct refdev_completion *c;
	struct refdev_request *req;
	gfp_t gfp = GFP_ATOMIC;
	size_t slot;
	int ret = 0, n = 0;
	u32 seq = 0;

	lockdep_assert_held(&rd->lock);
	while (s->nr_queued && s->ring_count < s->ring_entries) {
		c = kmalloc(sizeof(*c), gfp);
		if (!c) {
			ret = -ENOMEM;
			break;
		}
		req = list_first_entry(&s->queue, struct refdev_request, node);
		list_del(&req->node);
		s->nr_queued--;
		rd->nr_queued--;

		req->hw.status = 0;
		c->req = req;
		c->status = 0;
		slot = (s->ring_head + s->ring_count) % s->ring_entries;
		s->ring[slot] = c;
		s->ring_count++;
		rd->nr_completed++;
		s->nr_done++;
		seq = le32_to_cpu(req->hw.seq);

		refdev_desc_write(rd, &req->hw);
		__refdev_log(rd, REFDEV_EV_COMPLETE, seq);
		n++;
	}
	if (n)
		refdev_status_write(s, seq);
	*done += n;
	return ret;
}

/**
 * refdev_irq() - the device interrupt
 * @rd: the device
 *
 * Under rd->lock with interrupts disabled, completes the queued requests of
 * every session, oldest first, as long as the session's rx ring has room:
 * each gets a completion record (kmalloc GFP_ATOMIC) in the rx ring, its
 * descriptor is written to the descriptor ring, and the session's status
 * block (DMA buffer) is updated.  A full rx ring is back-pressure, not an
 * error: the requests wait for a read() and the next interrupt.
 *
 * Fallback of the atomic path: when a completion record cannot be
 * allocated the interrupt stops there, the request and all later ones stay
 * queued (nothing is lost or reordered; they complete at the next
 * interrupt) and -ENOMEM is returned, even if some requests completed.
 *
 * Context: any context that may take a spinlock.
 * Return: the number of requests completed, or -ENOMEM.
 */
int refdev_irq(struct refdev *rd)
{
	struct refdev_session *s;
	unsigned long flags;
	int done = 0, ret = 0;

	spin_lock_irqsave(&rd->lock, flags);
	list_for_each_entry(s, &rd->sessions, node) {
		ret = refdev_complete_session(rd, s, &done);
		if (ret)
			break;
	}
	spin_unlock_irqrestore(&rd->lock, flags);

	return ret ? ret : done;
}
EXPORT_SYMBOL_IF_KUNIT(refdev_irq);

/**
 * refdev_get_info() - read the device counters
 * @rd: the device
 * @info: filled in
 *
 * Context: process context, may sleep.
 */
void refdev_get_info(struct refdev *rd, struct refdev_info *info)
{
	memset(info, 0, sizeof(*info));

	mutex_lock(&rd->mutex);
	info->nr_channels = rd->nr_channels;
	info->fw_size = rd->fw_size;
	info->registered = rd->registered;

	spin_lock_irq(&rd->lock);
	info->nr_sessions = rd->nr_sessions;
	info->nr_queued = rd->nr_queued;
	info->nr_completed = rd->nr_completed;
	spin_unlock_irq(&rd->lock);
	mutex_unlock(&rd->mutex);
}
EXPORT_SYMBOL_IF_KUNIT(refdev_get_info);

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refdev - reference driver for the kfault harness: a virtual DMA packet
 * device with no hardware behind it.
 *
 * The in-kernel API below is what the misc character device's file
 * operations call, and what the KUnit suites call directly so that no
 * userspace is needed.  Every function that can fail returns a negative
 * errno (or an ERR_PTR) and leaves the object it was given exactly as it
 * was before the call.
 */
#ifndef _REFDEV_H
#define _REFDEV_H

#include <linux/sizes.h>
#include <linux/types.h>
#include <asm/page.h>

struct device;
struct refdev_core;
struct refdev;
struct refdev_session;

/* Limits a caller (or userspace) is checked against before any allocation. */
#define REFDEV_MAX_PAYLOAD	SZ_64K		/* bytes per submitted request */
#define REFDEV_MAX_QUEUED	64		/* requests queued per session */
#define REFDEV_MAX_CHANNELS	256
#define REFDEV_MAX_FW_SIZE	SZ_1M
#define REFDEV_MAX_RING		4096		/* entries in a session's rx ring */
#define REFDEV_DEFAULT_RING	16
#define REFDEV_RING_ORDER	1		/* device descriptor ring: 2 pages */
#define REFDEV_STATS_SIZE	(4 * PAGE_SIZE)	/* vzalloc'ed statistics log */
#define REFDEV_NAME_MAX		32		/* core name, NUL included */
#define REFDEV_MAX_DEVICES	8		/* instance ids per core */
#define REFDEV_DEFAULT_CHANNELS	4
#define REFDEV_MAX_DMA		SZ_64K		/* bytes of a session DMA buffer */

/*
 * Module-level state ("module init"): the request slab cache shared by all
 * devices, and the instance-number allocator.  refdev_core_create() is what
 * module_init() runs; tests create private cores.
 */
struct refdev_core *refdev_core_create(const char *name);
void refdev_core_destroy(struct refdev_core *core);

/*
 * Device probe/remove through the driver model.  @dev's driver data is set
 * to the struct refdev on success.  All allocations are unwound in reverse
 * order on failure; remove frees everything probe allocated.  Every
 * session must be released before refdev_remove() (it WARNs otherwise and
 * the sessions then point at freed memory), and every device removed
 * before refdev_core_destroy().
 */
int refdev_probe(struct device *dev, struct refdev_core *core);
void refdev_remove(struct device *dev);
struct refdev *refdev_from_dev(struct device *dev);

/* Per-open state. */
struct refdev_session *refdev_open(struct refdev *rd);
void refdev_release(struct refdev_session *s);

/*
 * Queue one request with a copy of @buf; -EINVAL for 0 or oversize length,
 * -EAGAIN when REFDEV_MAX_QUEUED requests are queued.
 */
int refdev_submit(struct refdev_session *s, const void *buf, size_t len);
/*
 * Copy out completed data, one packet per call; returns bytes copied, 0 if
 * nothing completed, -EMSGSIZE if @len cannot hold the packet.
 */
ssize_t refdev_read(struct refdev_session *s, void *buf, size_t len);
/* Resize the session's rx ring (kvmalloc); contents preserved. */
int refdev_resize_ring(struct refdev_session *s, size_t entries);
/* Change the number of device channels (krealloc_array). */
int refdev_set_channels(struct refdev *rd, unsigned int nr);
/* Load a firmware image into a vmalloc'ed buffer, replacing the old one. */
int refdev_load_firmware(struct refdev *rd, const void *data, size_t len);
/* Allocate a DMA-style page buffer of @size bytes for the session. */
int refdev_alloc_dma(struct refdev_session *s, size_t size);
/*
 * The "interrupt": completes every queued request of every session under
 * the device spinlock, allocating a completion record with GFP_ATOMIC.
 * Returns the number of requests completed or a negative errno.
 */
int refdev_irq(struct refdev *rd);

/* Introspection for tests and the fault harness. */
struct refdev_info {
	unsigned int nr_sessions;
	unsigned int nr_channels;
	unsigned int nr_queued;		/* all sessions, not yet completed */
	unsigned int nr_completed;	/* all sessions, not yet read */
	size_t fw_size;
	bool registered;		/* misc device is registered */
};

void refdev_get_info(struct refdev *rd, struct refdev_info *info);
/* Per-session view. */
struct refdev_session_info {
	unsigned int nr_queued;
	unsigned int nr_completed;
	size_t ring_entries;
	size_t dma_size;
};

void refdev_session_get_info(struct refdev_session *s,
			     struct refdev_session_info *info);

#endif /* _REFDEV_H */

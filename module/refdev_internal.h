/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refdev - structures shared by the driver's files and its KUnit suites.
 *
 * Nothing outside module/ and kunit/ includes this header.  Symbols that
 * only the tests need are VISIBLE_IF_KUNIT / EXPORT_SYMBOL_IF_KUNIT.
 *
 * Locking:
 *   refdev_cores_lock (mutex, refdev_core.c)  the list of live cores
 *   refdev->mutex    configuration: channels, firmware, misc registration
 *   session->lock    serialises read and rx ring resize of a session
 *   refdev->lock     (spinlock, irq-safe) the session list, every request
 *                    queue and rx ring, the descriptor ring, the stats log,
 *                    the DMA buffer pointers; refdev_irq() holds it
 * Order: refdev->mutex or session->lock, then refdev->lock.  Nothing that
 * can sleep (GFP_KERNEL, vfree, kvfree, copy_*_user) runs under refdev->lock.
 */
#ifndef _REFDEV_INTERNAL_H
#define _REFDEV_INTERNAL_H

#include <linux/atomic.h>
#include <linux/compiler_types.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "refdev.h"

struct iov_iter;
struct kmem_cache;
struct page;

/**
 * struct refdev_core - module-level state
 * @node: entry in the list of live cores (names are unique)
 * @req_cache: slab cache of struct refdev_request, ARCH_DMA_MINALIGN aligned
 * @ida: instance ids of the devices probed against this core
 * @nr_requests: objects of @req_cache in use (submitted, not yet freed)
 * @name: core name; devices are called "<name><id>"
 */
struct refdev_core {
	struct list_head node;
	struct kmem_cache *req_cache;
	struct ida ida;
	atomic_t nr_requests;
	char name[REFDEV_NAME_MAX];
};

/**
 * struct refdev_hw_desc - descriptor the device reads from memory
 * @addr: address of the payload (a kmalloc()ed, DMA-aligned buffer)
 * @len: payload length in bytes
 * @seq: per-session sequence number
 * @status: written by the device on completion, 0 = done
 *
 * A request starts with its descriptor and the request cache is created
 * with ARCH_DMA_MINALIGN alignment, so the descriptor never shares a cache
 * line with CPU-owned data.  On completion it is copied into the device
 * descriptor ring.
 */
struct refdev_hw_desc {
	__le64 addr;
	__le32 len;
	__le32 seq;
	__le32 status;
	__le32 reserved;
};

/**
 * struct refdev_request - one submitted packet
 * @hw: the descriptor handed to the device (first, see above)
 * @node: entry in the session's request queue
 * @payload: kmalloc()ed copy of the packet (kmemdup or memdup_user)
 * @len: length of @payload
 */
struct refdev_request {
	struct refdev_hw_desc hw;
	struct list_head node;
	void *payload;
	size_t len;
};

/**
 * struct refdev_completion - completion record, allocated by the irq
 * @req: the completed request, owned by the record
 * @status: completion status reported to the reader (0)
 */
struct refdev_completion {
	struct refdev_request *req;
	int status;
};

/**
 * struct refdev_channel - a device channel (configuration only)
 * @id: channel index
 * @weight: scheduling weight, 1 by default
 */
struct refdev_channel {
	u32 id;
	u32 weight;
};

/* Events recorded in the stats log. */
enum refdev_event {
	REFDEV_EV_OPEN = 1,
	REFDEV_EV_RELEASE,
	REFDEV_EV_SUBMIT,
	REFDEV_EV_COMPLETE,
	REFDEV_EV_FIRMWARE,
	REFDEV_EV_CHANNELS,
	REFDEV_EV_RESIZE,
	REFDEV_EV_DMA,
};

/**
 * struct refdev_log_entry - one record of the stats log
 * @event: enum refdev_event
 * @arg: event argument (length, count, sequence number)
 */
struct refdev_log_entry {
	u32 event;
	u32 arg;
};

/* Page buffers (descriptor ring, session DMA buffers): zeroed, compound. */
#define REFDEV_PAGES_GFP	(GFP_KERNEL | __GFP_ZERO | __GFP_COMP)

#define REFDEV_LOG_ENTRIES	(REFDEV_STATS_SIZE / sizeof(struct refdev_log_entry))
#define REFDEV_DESC_ENTRIES	\
	((PAGE_SIZE << REFDEV_RING_ORDER) / sizeof(struct refdev_hw_desc))

/**
 * struct refdev_status_block - written by the device into a session's DMA
 * buffer at every interrupt that completed something for the session
 * @completed: total requests completed for the session
 * @last_seq: sequence number of the last completed request
 */
struct refdev_status_block {
	__le32 completed;
	__le32 last_seq;
};

/**
 * struct refdev - one device
 * @dev: the struct device it was probed on
 * @core: the core it was probed against
 * @id: instance id from @core->ida
 * @name: misc device name "<core><id>" (devm)
 * @misc: the misc character device
 * @registered: @misc is registered
 * @mutex: configuration lock
 * @lock: irq-safe lock of everything the interrupt touches
 * @sessions: open sessions
 * @nr_sessions: length of @sessions
 * @nr_queued: requests of all sessions not yet completed
 * @nr_completed: completions of all sessions not yet read
 * @desc_pages: device descriptor ring, order REFDEV_RING_ORDER
 * @desc_head: next slot of the descriptor ring
 * @stats: the stats log, REFDEV_STATS_SIZE bytes of vmalloc memory
 * @log_head: number of events logged (next slot modulo REFDEV_LOG_ENTRIES)
 * @channels: channel array, kcalloc()ed, resized with krealloc_array()
 * @nr_channels: entries of @channels
 * @fw: firmware image, vmalloc()ed, NULL if none
 * @fw_size: bytes of @fw
 */
/**
 * struct refdev_port - the device's port, a child device in the driver model
 * @dev: its struct device, registered under the refdev's device: once
 *	device_register() was called it is freed by put_device() only
 * @rd: the refdev it belongs to
 */
struct refdev_port {
	struct device dev;
	struct refdev *rd;
};

struct refdev {
	struct device *dev;
	struct refdev_core *core;
	int id;
	const char *name;
	struct miscdevice misc;
	bool registered;
	struct refdev_port *port;

	struct mutex mutex;	/* configuration: channels, firmware, misc */
	spinlock_t lock;	/* sessions, queues, rings, log: irq-safe */

	struct list_head sessions;
	unsigned int nr_sessions;
	unsigned int nr_queued;
	unsigned int nr_completed;

	struct page *desc_pages;
	unsigned int desc_head;
	struct refdev_log_entry *stats;
	unsigned int log_head;

	struct refdev_channel *channels;
	unsigned int nr_channels;
	void *fw;
	size_t fw_size;
};

/**
 * struct refdev_session - one open of the device
 * @rd: the device
 * @node: entry in @rd->sessions
 * @lock: serialises read and resize
 * @queue: submitted requests, oldest first
 * @nr_queued: length of @queue
 * @next_seq: sequence number of the next request
 * @ring: rx ring of completion records (kvmalloc_array)
 * @ring_entries: slots of @ring
 * @ring_head: slot of the oldest completion
 * @ring_count: completions in @ring, not yet read
 * @nr_done: requests completed so far (status block)
 * @dma_pages: DMA buffer, NULL if none
 * @dma_order: allocation order of @dma_pages
 * @dma_size: bytes requested for the DMA buffer
 */
struct refdev_session {
	struct refdev *rd;
	struct list_head node;
	struct mutex lock;	/* serialises read, resize */

	struct list_head queue;
	unsigned int nr_queued;
	u32 next_seq;

	struct refdev_completion **ring;
	size_t ring_entries;
	size_t ring_head;
	size_t ring_count;
	u32 nr_done;

	struct page *dma_pages;
	unsigned int dma_order;
	size_t dma_size;
};

/* refdev_fops.c */
extern const struct file_operations refdev_fops;

/* refdev_dev.c */
void refdev_log(struct refdev *rd, enum refdev_event event, u32 arg);
void __refdev_log(struct refdev *rd, enum refdev_event event, u32 arg);
int refdev_check_fw_len(size_t len);
void refdev_fw_install(struct refdev *rd, void *fw, size_t len);

/* refdev_session.c */
int refdev_check_payload(size_t len);
int refdev_queue_space(struct refdev_session *s);
int refdev_queue(struct refdev_session *s, void *payload, size_t len);
ssize_t refdev_read_iter(struct refdev_session *s, struct iov_iter *to);
void refdev_free_request(struct refdev_core *core, struct refdev_request *req);

#endif /* _REFDEV_INTERNAL_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * refdev sessions: open/release, submit, read, rx ring resize and the
 * per-session DMA buffer.
 */
#include <kunit/visibility.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>

#include "refdev_internal.h"

/**
 * refdev_open() - open a session
 * @rd: the device
 *
 * Allocations, in order: the session (kzalloc GFP_KERNEL), its rx ring of
 * REFDEV_DEFAULT_RING entries (kvmalloc_array GFP_KERNEL).
 *
 * Context: process context, may sleep.
 * Return: the session or ERR_PTR(-ENOMEM).
 */
struct refdev_session *refdev_open(struct refdev *rd)
{
	struct refdev_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);

	s->ring = kvmalloc_array(REFDEV_DEFAULT_RING, sizeof(*s->ring),
				 GFP_KERNEL);
	if (!s->ring)
		goto err_free_session;
	s->ring_entries = REFDEV_DEFAULT_RING;
	s->rd = rd;
	mutex_init(&s->lock);
	INIT_LIST_HEAD(&s->queue);

	spin_lock_irq(&rd->lock);
	list_add_tail(&s->node, &rd->sessions);
	rd->nr_sessions++;
	__refdev_log(rd, REFDEV_EV_OPEN, rd->nr_sessions);
	spin_unlock_irq(&rd->lock);
	return s;

err_free_session:
	kfree(s);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_IF_KUNIT(refdev_open);

/* Free a request and its payload; they are no longer on any list. */
void refdev_free_request(struct refdev_core *core, struct refdev_request *req)
{
	kfree(req->payload);
	kmem_cache_free(core->req_cache, req);
	atomic_dec(&core->nr_requests);
}

/**
 * refdev_release() - close a session
 * @s: the session; NULL and error pointers are ignored
 *
 * Unlinks the session so the interrupt no longer sees it, then frees its
 * queued requests, its unread completions, the rx ring, the DMA buffer and
 * the session, all before returning.
 *
 * Context: process context, may sleep.
 */
void refdev_release(struct refdev_session *s)
{
	struct refdev_request *req, *tmp;
	struct refdev_completion *c;
	struct refdev *rd;
	size_t i;

	if (IS_ERR_OR_NULL(s))
		return;
	rd = s->rd;

	spin_lock_irq(&rd->lock);
	list_del(&s->node);
	rd->nr_sessions--;
	rd->nr_queued -= s->nr_queued;
	rd->nr_completed -= s->ring_count;
	__refdev_log(rd, REFDEV_EV_RELEASE, rd->nr_sessions);
	spin_unlock_irq(&rd->lock);

	list_for_each_entry_safe(req, tmp, &s->queue, node) {
		list_del(&req->node);
		refdev_free_request(rd->core, req);
	}
	for (i = 0; i < s->ring_count; i++) {
		c = s->ring[(s->ring_head + i) % s->ring_entries];
		refdev_free_request(rd->core, c->req);
		kfree(c);
	}
	kvfree(s->ring);
	if (s->dma_pages)
		__free_pages(s->dma_pages, s->dma_order);
	mutex_destroy(&s->lock);
	kfree(s);
}
EXPORT_SYMBOL_IF_KUNIT(refdev_release);

/* Payload length rule shared with write(): 1..REFDEV_MAX_PAYLOAD. */
int refdev_check_payload(size_t len)
{
	return len && len <= REFDEV_MAX_PAYLOAD ? 0 : -EINVAL;
}

/* Cheap early check, before the payload is copied: is the queue full? */
int refdev_queue_space(struct refdev_session *s)
{
	int ret;

	spin_lock_irq(&s->rd->lock);
	ret = s->nr_queued < REFDEV_MAX_QUEUED ? 0 : -EAGAIN;
	spin_unlock_irq(&s->rd->lock);
	return ret;
}

/*
 * Queue @payload (kmalloc()ed by the caller, so aligned for DMA) in a new
 * request from the core's cache (kmem_cache_zalloc GFP_KERNEL).  On error
 * the caller still owns @payload.
 */
int refdev_queue(struct refdev_session *s, void *payload, size_t len)
{
	struct refdev *rd = s->rd;
	struct refdev_request *req;

	req = kmem_cache_zalloc(rd->core->req_cache, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	atomic_inc(&rd->core->nr_requests);
	req->payload = payload;
	req->len = len;
	req->hw.addr = cpu_to_le64(virt_to_phys(payload));
	req->hw.len = cpu_to_le32(len);

	spin_lock_irq(&rd->lock);
	/* The queue may have filled up since refdev_queue_space(). */
	if (s->nr_queued >= REFDEV_MAX_QUEUED) {
		spin_unlock_irq(&rd->lock);
		req->payload = NULL;
		refdev_free_request(rd->core, req);
		return -EAGAIN;
	}
	req->hw.seq = cpu_to_le32(s->next_seq++);
	list_add_tail(&req->node, &s->queue);
	s->nr_queued++;
	rd->nr_queued++;
	__refdev_log(rd, REFDEV_EV_SUBMIT, len);
	spin_unlock_irq(&rd->lock);
	return 0;
}

/**
 * refdev_submit() - queue one packet
 * @s: the session
 * @buf: the packet, copied
 * @len: its length, 1..REFDEV_MAX_PAYLOAD
 *
 * Allocations, in order: the payload copy (kmemdup GFP_KERNEL; kmalloc
 * memory is aligned for DMA), the request (kmem_cache_zalloc GFP_KERNEL
 * from the core's ARCH_DMA_MINALIGN-aligned cache).  Nothing is allocated
 * when the length is bad or the queue holds REFDEV_MAX_QUEUED requests.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL for a NULL @buf, a 0 or oversize @len, -EAGAIN if
 * the queue is full, -ENOMEM.  On error nothing is queued.
 */
int refdev_submit(struct refdev_session *s, const void *buf, size_t len)
{
	void *payload;
	int ret;

	ret = refdev_check_payload(len);
	if (ret)
		return ret;
	if (!buf)
		return -EINVAL;
	ret = refdev_queue_space(s);
	if (ret)
		return ret;

	payload = kmemdup(buf, len, GFP_KERNEL);
	if (!payload)
		return -ENOMEM;
	ret = refdev_queue(s, payload, len);
	if (ret)
		kfree(payload);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refdev_submit);

/*
 * Copy the oldest completed packet to @to and free it.  Readers are
 * serialised by s->lock and only they remove completions, so the oldest
 * one stays put while it is copied outside rd->lock (the copy may fault).
 */
ssize_t refdev_read_iter(struct refdev_session *s, struct iov_iter *to)
{
	struct refdev *rd = s->rd;
	struct refdev_completion *c = NULL;
	ssize_t ret;
	size_t len;

	mutex_lock(&s->lock);
	spin_lock_irq(&rd->lock);
	if (s->ring_count)
		c = s->ring[s->ring_head];
	spin_unlock_irq(&rd->lock);
	if (!c) {
		ret = 0;
		goto out_unlock;
	}

	len = c->req->len;
	if (iov_iter_count(to) < len) {
		ret = -EMSGSIZE;
		goto out_unlock;
	}
	if (copy_to_iter(c->req->payload, len, to) != len) {
		ret = -EFAULT;
		goto out_unlock;
	}

	spin_lock_irq(&rd->lock);
	s->ring[s->ring_head] = NULL;
	s->ring_head = (s->ring_head + 1) % s->ring_entries;
	s->ring_count--;
	rd->nr_completed--;
	spin_unlock_irq(&rd->lock);

	refdev_free_request(rd->core, c->req);
	kfree(c);
	ret = len;
out_unlock:
	mutex_unlock(&s->lock);
	return ret;
}

/**
 * refdev_read() - read one completed packet
 * @s: the session
 * @buf: where to copy it
 * @len: size of @buf
 *
 * Allocates nothing; frees the packet's completion record, request and
 * payload.
 *
 * Context: process context, may sleep.
 * Return: the packet length, 0 if no packet is completed, -EMSGSIZE if
 * @len is smaller than the packet (which stays queued for reading).
 */
ssize_t refdev_read(struct refdev_session *s, void *buf, size_t len)
{
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct iov_iter to;

	iov_iter_kvec(&to, ITER_DEST, &kv, 1, len);
	return refdev_read_iter(s, &to);
}
EXPORT_SYMBOL_IF_KUNIT(refdev_read);

/**
 * refdev_resize_ring() - resize the rx ring
 * @s: the session
 * @entries: new number of entries, 1..REFDEV_MAX_RING
 *
 * Checks, in order: 0 gives -EINVAL, a byte size that overflows size_t
 * gives -EOVERFLOW, more than REFDEV_MAX_RING gives -E2BIG, fewer entries
 * than unread completions gives -EBUSY.  Then allocates the new ring
 * (kvmalloc_array GFP_KERNEL: kmalloc, or vmalloc above a page if kmalloc
 * fails), moves the unread completions into it in order and kvfree()s the
 * old ring.
 *
 * Context: process context, may sleep.
 * Return: 0 or a negative errno; on error the old ring is unchanged.
 */
int refdev_resize_ring(struct refdev_session *s, size_t entries)
{
	struct refdev_completion **ring, **old;
	struct refdev *rd = s->rd;
	size_t bytes, i;
	int ret = 0;

	if (!entries)
		return -EINVAL;
	if (check_mul_overflow(entries, sizeof(*ring), &bytes))
		return -EOVERFLOW;
	if (entries > REFDEV_MAX_RING)
		return -E2BIG;

	mutex_lock(&s->lock);
	spin_lock_irq(&rd->lock);
	if (entries < s->ring_count)
		ret = -EBUSY;
	spin_unlock_irq(&rd->lock);
	if (ret)
		goto out_unlock;

	ring = kvmalloc_array(entries, sizeof(*ring), GFP_KERNEL);
	if (!ring) {
		ret = -ENOMEM;
		goto out_unlock;
	}

	spin_lock_irq(&rd->lock);
	/* The interrupt may have added completions meanwhile. */
	if (entries < s->ring_count) {
		spin_unlock_irq(&rd->lock);
		kvfree(ring);
		ret = -EBUSY;
		goto out_unlock;
	}
	for (i = 0; i < s->ring_count; i++)
		ring[i] = s->ring[(s->ring_head + i) % s->ring_entries];
	old = s->ring;
	s->ring = ring;
	s->ring_entries = entries;
	s->ring_head = 0;
	__refdev_log(rd, REFDEV_EV_RESIZE, entries);
	spin_unlock_irq(&rd->lock);
	kvfree(old);

out_unlock:
	mutex_unlock(&s->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refdev_resize_ring);

/**
 * refdev_alloc_dma() - give the session a DMA buffer
 * @s: the session
 * @size: bytes, 1..REFDEV_MAX_DMA
 *
 * Allocates zeroed pages of order get_order(@size) (alloc_pages
 * GFP_KERNEL; order 0 for up to a page), page aligned, and replaces the
 * session's previous buffer, which is freed.  The device writes the
 * session's struct refdev_status_block at its start.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL for 0, -E2BIG above REFDEV_MAX_DMA, -ENOMEM.  On
 * error the old buffer is kept.
 */
int refdev_alloc_dma(struct refdev_session *s, size_t size)
{
	struct refdev *rd = s->rd;
	unsigned int order, old_order;
	struct page *page, *old;

	if (!size)
		return -EINVAL;
	if (size > REFDEV_MAX_DMA)
		return -E2BIG;

	order = get_order(size);
	page = alloc_pages(REFDEV_PAGES_GFP, order);
	if (!page)
		return -ENOMEM;

	spin_lock_irq(&rd->lock);
	old = s->dma_pages;
	old_order = s->dma_order;
	s->dma_pages = page;
	s->dma_order = order;
	s->dma_size = size;
	__refdev_log(rd, REFDEV_EV_DMA, size);
	spin_unlock_irq(&rd->lock);

	if (old)
		__free_pages(old, old_order);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(refdev_alloc_dma);

/**
 * refdev_session_get_info() - read the session counters
 * @s: the session
 * @info: filled in
 *
 * Context: any context that may take a spinlock with interrupts enabled.
 */
void refdev_session_get_info(struct refdev_session *s,
			     struct refdev_session_info *info)
{
	struct refdev *rd = s->rd;

	memset(info, 0, sizeof(*info));
	spin_lock_irq(&rd->lock);
	info->nr_queued = s->nr_queued;
	info->nr_completed = s->ring_count;
	info->ring_entries = s->ring_entries;
	info->dma_size = s->dma_size;
	spin_unlock_irq(&rd->lock);
}
EXPORT_SYMBOL_IF_KUNIT(refdev_session_get_info);

// SPDX-License-Identifier: GPL-2.0
/*
 * refdev_session: the in-kernel API on a probed device: sessions, submit,
 * the interrupt, read, rx ring resize, channels, firmware, DMA buffers.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/cache.h>
#include <linux/err.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "refdev_kunit.h"

KUNIT_DEFINE_ACTION_WRAPPER(vfree_action, vfree, const void *);

static struct refdev *refdev_test_rd(struct kunit *test)
{
	struct refdev_test_env *env = test->priv;

	return env->rd;
}

static int refdev_test_nr_requests(struct kunit *test)
{
	struct refdev_test_env *env = test->priv;

	return atomic_read(&env->core->nr_requests);
}

/* vmalloc()ed test buffer of @len bytes filled with @c, freed at exit. */
static void *refdev_test_vbuf(struct kunit *test, size_t len, int c)
{
	void *buf = refdev_test_keep(test, vmalloc(len), vfree_action);

	memset(buf, c, len);
	return buf;
}

/* The device's and a session's counters at one moment. */
struct refdev_test_counts {
	struct refdev_info rd;
	struct refdev_session_info s;
};

static void refdev_test_count(struct kunit *test, struct refdev_session *s,
			      struct refdev_test_counts *c)
{
	refdev_get_info(refdev_test_rd(test), &c->rd);
	refdev_session_get_info(s, &c->s);
}

/* Device and session counters are the same as in @before. */
static void refdev_test_expect_unchanged(struct kunit *test,
					 struct refdev_session *s,
					 const struct refdev_test_counts *before)
{
	struct refdev_test_counts now;

	refdev_test_count(test, s, &now);
	KUNIT_EXPECT_EQ(test, now.rd.nr_sessions, before->rd.nr_sessions);
	KUNIT_EXPECT_EQ(test, now.rd.nr_channels, before->rd.nr_channels);
	KUNIT_EXPECT_EQ(test, now.rd.nr_queued, before->rd.nr_queued);
	KUNIT_EXPECT_EQ(test, now.rd.nr_completed, before->rd.nr_completed);
	KUNIT_EXPECT_EQ(test, now.rd.fw_size, before->rd.fw_size);
	KUNIT_EXPECT_EQ(test, now.rd.registered, before->rd.registered);
	KUNIT_EXPECT_EQ(test, now.s.nr_queued, before->s.nr_queued);
	KUNIT_EXPECT_EQ(test, now.s.nr_completed, before->s.nr_completed);
	KUNIT_EXPECT_EQ(test, now.s.ring_entries, before->s.ring_entries);
	KUNIT_EXPECT_EQ(test, now.s.dma_size, before->s.dma_size);
}

/* A new session with @n packets of @len bytes completed, unread. */
static struct refdev_session *refdev_test_completed(struct kunit *test,
						    unsigned int n, size_t len,
						    u8 first)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_session *s = refdev_test_open(test, rd);

	refdev_test_submit(test, s, n, len, first);
	KUNIT_ASSERT_EQ(test, refdev_irq(rd), n);
	return s;
}

/* Read one packet and check its length and fill byte. */
static void refdev_test_expect_packet(struct kunit *test,
				      struct refdev_session *s,
				      size_t len, u8 fill)
{
	u8 buf[64];

	KUNIT_ASSERT_LE(test, len, sizeof(buf));
	memset(buf, 0, sizeof(buf));
	KUNIT_ASSERT_EQ(test, refdev_read(s, buf, sizeof(buf)), (ssize_t)len);
	KUNIT_EXPECT_EQ(test, buf[0], fill);
	KUNIT_EXPECT_EQ(test, buf[len - 1], fill);
}

/* The calls that take a size or a count, for the bad-size cases. */
enum refdev_sized {
	REFDEV_SUBMIT,
	REFDEV_RESIZE,
	REFDEV_CHANNELS,
	REFDEV_FIRMWARE,
	REFDEV_DMA,
};

struct refdev_size_case {
	const char *desc;
	enum refdev_sized call;
	size_t size;
	int err;
};

/* ---- open / release ---- */

static void refdev_open_adds_session(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_session_info si;
	struct refdev_session *s;
	struct refdev_info info;

	s = refdev_test_open(test, rd);
	refdev_get_info(rd, &info);
	KUNIT_EXPECT_EQ(test, info.nr_sessions, 1);

	refdev_session_get_info(s, &si);
	KUNIT_EXPECT_EQ(test, si.ring_entries, REFDEV_DEFAULT_RING);
	KUNIT_EXPECT_EQ(test, si.nr_queued, 0);
	KUNIT_EXPECT_EQ(test, si.nr_completed, 0);
	KUNIT_EXPECT_EQ(test, si.dma_size, 0);
	/* kvmalloc_array() of 16 pointers is a plain kmalloc. */
	KUNIT_ASSERT_NOT_NULL(test, s->ring);
	KUNIT_EXPECT_FALSE(test, is_vmalloc_addr(s->ring));
	KUNIT_EXPECT_PTR_EQ(test, s->rd, rd);
}

/* Releasing a session with queued, completed and DMA state frees it all. */
static void refdev_release_frees_everything(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_session *s, *keep;
	struct refdev_info info;

	keep = refdev_test_open(test, rd);
	s = refdev_test_open(test, rd);
	KUNIT_ASSERT_EQ(test, refdev_alloc_dma(s, PAGE_SIZE), 0);
	refdev_test_submit(test, s, 3, 8, 0);
	KUNIT_ASSERT_EQ(test, refdev_irq(rd), 3);
	refdev_test_submit(test, s, 2, 8, 3);
	refdev_test_submit(test, keep, 1, 8, 9);
	KUNIT_ASSERT_EQ(test, refdev_test_nr_requests(test), 6);

	refdev_test_close(test, s);
	refdev_get_info(rd, &info);
	KUNIT_EXPECT_EQ(test, info.nr_sessions, 1);
	KUNIT_EXPECT_EQ(test, info.nr_queued, 1);
	KUNIT_EXPECT_EQ(test, info.nr_completed, 0);
	KUNIT_EXPECT_EQ(test, refdev_test_nr_requests(test), 1);
	KUNIT_EXPECT_EQ(test, rd->stats[(rd->log_head - 1) %
			REFDEV_LOG_ENTRIES].event, REFDEV_EV_RELEASE);
}

/* ---- submit ---- */

/* The payload is a kmemdup() copy, aligned for DMA, in a cached request. */
static void refdev_submit_queues_copy(struct kunit *test)
{
	struct refdev_test_counts c;
	struct refdev_request *req;
	struct refdev_session *s;
	u8 buf[37];

	s = refdev_test_open(test, refdev_test_rd(test));
	memset(buf, 0x5a, sizeof(buf));
	KUNIT_ASSERT_EQ(test, refdev_submit(s, buf, sizeof(buf)), 0);

	refdev_test_count(test, s, &c);
	KUNIT_EXPECT_EQ(test, c.s.nr_queued, 1);
	KUNIT_EXPECT_EQ(test, c.rd.nr_queued, 1);
	KUNIT_EXPECT_EQ(test, refdev_test_nr_requests(test), 1);

	KUNIT_ASSERT_FALSE(test, list_empty(&s->queue));
	req = list_first_entry(&s->queue, struct refdev_request, node);
	KUNIT_EXPECT_EQ(test, req->len, sizeof(buf));
	KUNIT_EXPECT_PTR_NE(test, req->payload, (void *)buf);
	KUNIT_EXPECT_MEMEQ(test, req->payload, buf, sizeof(buf));
	KUNIT_EXPECT_FALSE(test, is_vmalloc_addr(req->payload));
	KUNIT_EXPECT_GE(test, ksize(req->payload), sizeof(buf));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(req->hw.len), sizeof(buf));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(req->hw.seq), 0);
	if (!IS_ENABLED(CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC))
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)req->payload,
						   ARCH_DMA_MINALIGN));
}

/* Requests come from the core's cache, DMA aligned, one per packet. */
static void refdev_submit_request_from_cache(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_request *req;
	struct refdev_session *s;
	u32 seq = 0;

	s = refdev_test_open(test, rd);
	refdev_test_submit(test, s, 4, 16, 0);
	KUNIT_EXPECT_EQ(test, refdev_test_nr_requests(test), 4);
	KUNIT_EXPECT_GE(test, kmem_cache_size(rd->core->req_cache), sizeof(*req));
	list_for_each_entry(req, &s->queue, node) {
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)req,
						   ARCH_DMA_MINALIGN));
		KUNIT_EXPECT_EQ(test, le32_to_cpu(req->hw.seq), seq++);
	}

	/* Reading a packet frees its request. */
	KUNIT_ASSERT_EQ(test, refdev_irq(rd), 4);
	refdev_test_expect_packet(test, s, 16, 0);
	KUNIT_EXPECT_EQ(test, refdev_test_nr_requests(test), 3);
}

/* REFDEV_MAX_PAYLOAD bytes is the largest packet. */
static void refdev_submit_max_payload(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_session_info si;
	struct refdev_session *s;
	void *buf;

	s = refdev_test_open(test, rd);
	buf = refdev_test_vbuf(test, REFDEV_MAX_PAYLOAD, 0xa5);
	KUNIT_EXPECT_EQ(test, refdev_submit(s, buf, REFDEV_MAX_PAYLOAD), 0);
	refdev_session_get_info(s, &si);
	KUNIT_EXPECT_EQ(test, si.nr_queued, 1);
}

static void refdev_submit_null_buf(struct kunit *test)
{
	struct refdev_session *s = refdev_test_open(test, refdev_test_rd(test));

	KUNIT_EXPECT_EQ(test, refdev_submit(s, NULL, 8), -EINVAL);
	KUNIT_EXPECT_EQ(test, refdev_test_nr_requests(test), 0);
}

/* REFDEV_MAX_QUEUED requests fit; the next one gets -EAGAIN. */
static void refdev_submit_queue_full(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_test_counts before;
	struct refdev_session *s;
	u8 buf[8] = {};

	s = refdev_test_open(test, rd);
	refdev_test_submit(test, s, REFDEV_MAX_QUEUED, sizeof(buf), 0);
	refdev_test_count(test, s, &before);
	KUNIT_EXPECT_EQ(test, before.s.nr_queued, REFDEV_MAX_QUEUED);

	KUNIT_EXPECT_EQ(test, refdev_submit(s, buf, sizeof(buf)), -EAGAIN);
	refdev_test_expect_unchanged(test, s, &before);
	KUNIT_EXPECT_EQ(test, refdev_test_nr_requests(test), REFDEV_MAX_QUEUED);

	/* Completing requests makes room again. */
	KUNIT_ASSERT_EQ(test, refdev_irq(rd), REFDEV_DEFAULT_RING);
	KUNIT_EXPECT_EQ(test, refdev_submit(s, buf, sizeof(buf)), 0);
}

/* ---- the interrupt ---- */

/* Every queued request gets a completion record in the rx ring. */
static void refdev_irq_completes_queued(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_test_counts counts;
	struct refdev_completion *c;
	struct refdev_session *s;
	size_t i;

	s = refdev_test_completed(test, 3, 8, 0);

	refdev_test_count(test, s, &counts);
	KUNIT_EXPECT_EQ(test, counts.rd.nr_queued, 0);
	KUNIT_EXPECT_EQ(test, counts.rd.nr_completed, 3);
	KUNIT_EXPECT_EQ(test, counts.s.nr_queued, 0);
	KUNIT_EXPECT_EQ(test, counts.s.nr_completed, 3);
	KUNIT_EXPECT_TRUE(test, list_empty(&s->queue));

	for (i = 0; i < 3; i++) {
		c = s->ring[(s->ring_head + i) % s->ring_entries];
		KUNIT_ASSERT_NOT_NULL(test, c);
		KUNIT_EXPECT_EQ(test, c->status, 0);
		KUNIT_ASSERT_NOT_NULL(test, c->req);
		KUNIT_EXPECT_EQ(test, le32_to_cpu(c->req->hw.seq), i);
		/* The record is a separate (GFP_ATOMIC) slab object. */
		KUNIT_EXPECT_GE(test, ksize(c), sizeof(*c));
	}
	/* Nothing left: the next interrupt completes nothing. */
	KUNIT_EXPECT_EQ(test, refdev_irq(rd), 0);
}

static void refdev_irq_no_sessions(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, refdev_irq(refdev_test_rd(test)), 0);
}

/* One interrupt completes the requests of every session. */
static void refdev_irq_all_sessions(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_session *s[3];
	struct refdev_info info;
	unsigned int i, queued = 0;

	/* Session i queues i + 1 packets, filled from 10 * i on. */
	for (i = 0; i < ARRAY_SIZE(s); i++) {
		s[i] = refdev_test_open(test, rd);
		refdev_test_submit(test, s[i], i + 1, 8, 10 * i);
		queued += i + 1;
	}
	KUNIT_EXPECT_EQ(test, refdev_irq(rd), queued);
	refdev_get_info(rd, &info);
	KUNIT_EXPECT_EQ(test, info.nr_completed, queued);
	for (i = 0; i < ARRAY_SIZE(s); i++)
		refdev_test_expect_packet(test, s[i], 8, 10 * i);
}

/*
 * A full rx ring is back-pressure: the rest stays queued until a read
 * frees a slot and the next interrupt runs.
 */
static void refdev_irq_ring_full_backpressure(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_session_info si;
	struct refdev_session *s;

	s = refdev_test_open(test, rd);
	refdev_test_submit(test, s, REFDEV_DEFAULT_RING + 4, 8, 0);
	KUNIT_EXPECT_EQ(test, refdev_irq(rd), REFDEV_DEFAULT_RING);
	refdev_session_get_info(s, &si);
	KUNIT_EXPECT_EQ(test, si.nr_completed, REFDEV_DEFAULT_RING);
	KUNIT_EXPECT_EQ(test, si.nr_queued, 4);

	KUNIT_EXPECT_EQ(test, refdev_irq(rd), 0);
	refdev_test_expect_packet(test, s, 8, 0);
	KUNIT_EXPECT_EQ(test, refdev_irq(rd), 1);
	refdev_session_get_info(s, &si);
	KUNIT_EXPECT_EQ(test, si.nr_completed, REFDEV_DEFAULT_RING);
	KUNIT_EXPECT_EQ(test, si.nr_queued, 3);
}

/* The device writes completed descriptors to its order-1 ring. */
static void refdev_irq_writes_desc_ring(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_hw_desc *ring;
	struct refdev_session *s;
	u32 i;

	s = refdev_test_completed(test, 3, 24, 0);
	KUNIT_EXPECT_EQ(test, rd->desc_head, 3);

	ring = page_address(rd->desc_pages);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, le32_to_cpu(ring[i].seq), i);
		KUNIT_EXPECT_EQ(test, le32_to_cpu(ring[i].len), 24);
		KUNIT_EXPECT_NE(test, le64_to_cpu(ring[i].addr), 0);
	}
	KUNIT_EXPECT_EQ(test, le32_to_cpu(ring[3].len), 0);
}

/* ... and the status block at the start of the session's DMA buffer. */
static void refdev_irq_writes_status_block(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_status_block *sb;
	struct refdev_session *s;

	s = refdev_test_open(test, rd);
	KUNIT_ASSERT_EQ(test, refdev_alloc_dma(s, PAGE_SIZE), 0);
	sb = page_address(s->dma_pages);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(sb->completed), 0);

	refdev_test_submit(test, s, 2, 8, 0);
	KUNIT_ASSERT_EQ(test, refdev_irq(rd), 2);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(sb->completed), 2);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(sb->last_seq), 1);
}

/* Submissions and completions are recorded in the vmalloc()ed log. */
static void refdev_irq_logs_events(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_session *s;
	unsigned int start;

	s = refdev_test_open(test, rd);
	start = rd->log_head;
	refdev_test_submit(test, s, 2, 8, 0);
	KUNIT_ASSERT_EQ(test, refdev_irq(rd), 2);
	KUNIT_ASSERT_EQ(test, rd->log_head, start + 4);
	KUNIT_EXPECT_EQ(test, rd->stats[start].event, REFDEV_EV_SUBMIT);
	KUNIT_EXPECT_EQ(test, rd->stats[start].arg, 8);
	KUNIT_EXPECT_EQ(test, rd->stats[start + 1].event, REFDEV_EV_SUBMIT);
	KUNIT_EXPECT_EQ(test, rd->stats[start + 2].event, REFDEV_EV_COMPLETE);
	KUNIT_EXPECT_EQ(test, rd->stats[start + 2].arg, 0);
	KUNIT_EXPECT_EQ(test, rd->stats[start + 3].event, REFDEV_EV_COMPLETE);
	KUNIT_EXPECT_EQ(test, rd->stats[start + 3].arg, 1);
}

#ifdef CONFIG_FAILSLAB
/*
 * Run the interrupt with the first fault-injection site this task reaches
 * armed (fail_nth = 1): that is the GFP_ATOMIC kmalloc() of the first
 * completion record, which failslab fails even with its default settings
 * (they spare only allocations that may enter direct reclaim).
 */
static int refdev_test_irq_fail_first(struct refdev *rd, bool *fired)
{
	int ret;

	WRITE_ONCE(current->fail_nth, 1);
	ret = refdev_irq(rd);
	*fired = !READ_ONCE(current->fail_nth);
	WRITE_ONCE(current->fail_nth, 0);
	return ret;
}
#else
static int refdev_test_irq_fail_first(struct refdev *rd, bool *fired)
{
	*fired = false;
	return -EOPNOTSUPP;
}
#endif

/*
 * The atomic path's fallback: when a completion record cannot be
 * allocated the interrupt returns -ENOMEM and the requests stay queued, in
 * order, for the next interrupt.  (The fault sweep fails every allocation;
 * this checks the documented behaviour once.)
 */
static void refdev_irq_alloc_failure_keeps_queued(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_session_info si;
	struct refdev_session *s;
	bool fired;
	int ret;
	u8 i;

	if (!IS_ENABLED(CONFIG_FAILSLAB))
		kunit_skip(test, "Test requires CONFIG_FAILSLAB=y");

	s = refdev_test_open(test, rd);
	refdev_test_submit(test, s, 3, 8, 0);

	ret = refdev_test_irq_fail_first(rd, &fired);
	KUNIT_ASSERT_TRUE_MSG(test, fired, "no allocation failed");
	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
	refdev_session_get_info(s, &si);
	KUNIT_EXPECT_EQ(test, si.nr_queued, 3);
	KUNIT_EXPECT_EQ(test, si.nr_completed, 0);
	KUNIT_EXPECT_EQ(test, refdev_test_nr_requests(test), 3);

	KUNIT_EXPECT_EQ(test, refdev_irq(rd), 3);
	for (i = 0; i < 3; i++)
		refdev_test_expect_packet(test, s, 8, i);
}

/* ---- read ---- */

/* Packets come out in submission order with their data. */
static void refdev_read_fifo(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_session *s;
	struct refdev_info info;
	u8 i;

	s = refdev_test_completed(test, 5, 32, 100);
	for (i = 0; i < 5; i++)
		refdev_test_expect_packet(test, s, 32, 100 + i);

	refdev_get_info(rd, &info);
	KUNIT_EXPECT_EQ(test, info.nr_completed, 0);
	KUNIT_EXPECT_EQ(test, refdev_test_nr_requests(test), 0);
}

/* Nothing completed: 0, even with requests still queued. */
static void refdev_read_empty(struct kunit *test)
{
	struct refdev_session *s = refdev_test_open(test, refdev_test_rd(test));
	u8 buf[8];

	KUNIT_EXPECT_EQ(test, refdev_read(s, buf, sizeof(buf)), 0);
	refdev_test_submit(test, s, 1, 8, 0);
	KUNIT_EXPECT_EQ(test, refdev_read(s, buf, sizeof(buf)), 0);
}

/* A buffer too small for the packet: -EMSGSIZE, the packet stays. */
static void refdev_read_small_buffer(struct kunit *test)
{
	struct refdev_session_info si, before;
	struct refdev_session *s;
	u8 buf[16];

	s = refdev_test_completed(test, 1, sizeof(buf) + 1, 7);
	refdev_session_get_info(s, &before);

	KUNIT_EXPECT_EQ(test, refdev_read(s, buf, sizeof(buf)), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, refdev_read(s, buf, 0), -EMSGSIZE);
	refdev_session_get_info(s, &si);
	KUNIT_EXPECT_EQ(test, si.nr_completed, before.nr_completed);
	KUNIT_EXPECT_EQ(test, refdev_test_nr_requests(test), 1);

	refdev_test_expect_packet(test, s, sizeof(buf) + 1, 7);
}

/* ---- rx ring resize ---- */

/* Growing keeps the unread completions, in order, in a new ring. */
static void refdev_resize_ring_grow(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_completion **old;
	struct refdev_session_info si;
	struct refdev_session *s;
	u8 i;

	s = refdev_test_completed(test, 3, 8, 0);
	old = s->ring;

	KUNIT_ASSERT_EQ(test, refdev_resize_ring(s, 64), 0);
	refdev_session_get_info(s, &si);
	KUNIT_EXPECT_EQ(test, si.ring_entries, 64);
	KUNIT_EXPECT_EQ(test, si.nr_completed, 3);
	KUNIT_EXPECT_PTR_NE(test, s->ring, old);

	/* The bigger ring takes more completions at once. */
	refdev_test_submit(test, s, REFDEV_DEFAULT_RING, 8, 3);
	KUNIT_EXPECT_EQ(test, refdev_irq(rd), REFDEV_DEFAULT_RING);
	for (i = 0; i < 3 + REFDEV_DEFAULT_RING; i++)
		refdev_test_expect_packet(test, s, 8, i);
}

/* The contents of a ring that has wrapped around are kept in order. */
static void refdev_resize_ring_wrapped(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_session *s;
	u8 i;

	s = refdev_test_completed(test, 10, 8, 0);
	for (i = 0; i < 8; i++)
		refdev_test_expect_packet(test, s, 8, i);
	/* Completions 8..19 now occupy slots 8..15 and 0..3. */
	refdev_test_submit(test, s, 10, 8, 10);
	KUNIT_ASSERT_EQ(test, refdev_irq(rd), 10);
	KUNIT_ASSERT_EQ(test, s->ring_head, 8);

	KUNIT_ASSERT_EQ(test, refdev_resize_ring(s, 12), 0);
	KUNIT_EXPECT_EQ(test, s->ring_head, 0);
	for (i = 8; i < 20; i++)
		refdev_test_expect_packet(test, s, 8, i);
}

/* Shrinking below the unread completions is -EBUSY; to exactly that is ok. */
static void refdev_resize_ring_shrink(struct kunit *test)
{
	struct refdev_test_counts before;
	struct refdev_completion **old;
	struct refdev_session_info si;
	struct refdev_session *s;

	s = refdev_test_completed(test, 5, 8, 0);
	refdev_test_count(test, s, &before);
	old = s->ring;

	KUNIT_EXPECT_EQ(test, refdev_resize_ring(s, 4), -EBUSY);
	refdev_test_expect_unchanged(test, s, &before);
	KUNIT_EXPECT_PTR_EQ(test, s->ring, old);

	KUNIT_EXPECT_EQ(test, refdev_resize_ring(s, 5), 0);
	refdev_session_get_info(s, &si);
	KUNIT_EXPECT_EQ(test, si.ring_entries, 5);
	KUNIT_EXPECT_EQ(test, si.nr_completed, 5);
}

/* REFDEV_MAX_RING entries (32 KiB of pointers) are accepted. */
static void refdev_resize_ring_max(struct kunit *test)
{
	struct refdev_session *s = refdev_test_open(test, refdev_test_rd(test));
	struct refdev_session_info si;

	KUNIT_ASSERT_EQ(test, refdev_resize_ring(s, REFDEV_MAX_RING), 0);
	refdev_session_get_info(s, &si);
	KUNIT_EXPECT_EQ(test, si.ring_entries, REFDEV_MAX_RING);
	/* kvmalloc: kmalloc or vmalloc memory, big enough either way. */
	if (!is_vmalloc_addr(s->ring))
		KUNIT_EXPECT_GE(test, ksize(s->ring),
				REFDEV_MAX_RING * sizeof(*s->ring));
	/* KASAN checks that the last slot lies inside the allocation. */
	s->ring[REFDEV_MAX_RING - 1] = NULL;
}

/* ---- channels ---- */

/* krealloc_array() keeps existing channels and initialises new ones. */
static void refdev_set_channels_grow(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_info info;
	unsigned int i;

	rd->channels[1].weight = 7;
	KUNIT_ASSERT_EQ(test, refdev_set_channels(rd, 100), 0);
	refdev_get_info(rd, &info);
	KUNIT_EXPECT_EQ(test, info.nr_channels, 100);
	KUNIT_EXPECT_GE(test, ksize(rd->channels), 100 * sizeof(*rd->channels));
	KUNIT_EXPECT_EQ(test, rd->channels[1].weight, 7);
	for (i = REFDEV_DEFAULT_CHANNELS; i < 100; i++) {
		KUNIT_EXPECT_EQ(test, rd->channels[i].id, i);
		KUNIT_EXPECT_EQ(test, rd->channels[i].weight, 1);
	}
}

static void refdev_set_channels_shrink(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_info info;

	rd->channels[0].weight = 3;
	KUNIT_ASSERT_EQ(test, refdev_set_channels(rd, 1), 0);
	refdev_get_info(rd, &info);
	KUNIT_EXPECT_EQ(test, info.nr_channels, 1);
	KUNIT_EXPECT_EQ(test, rd->channels[0].weight, 3);
}

static void refdev_set_channels_max(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_info info;

	KUNIT_ASSERT_EQ(test, refdev_set_channels(rd, REFDEV_MAX_CHANNELS), 0);
	refdev_get_info(rd, &info);
	KUNIT_EXPECT_EQ(test, info.nr_channels, REFDEV_MAX_CHANNELS);
	KUNIT_EXPECT_EQ(test, rd->channels[REFDEV_MAX_CHANNELS - 1].id,
			REFDEV_MAX_CHANNELS - 1);
}

/* ---- firmware ---- */

static void refdev_load_firmware_vmalloc(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_info info;
	u8 image[300];

	memset(image, 0xf1, sizeof(image));
	KUNIT_ASSERT_EQ(test, refdev_load_firmware(rd, image, sizeof(image)), 0);
	refdev_get_info(rd, &info);
	KUNIT_EXPECT_EQ(test, info.fw_size, sizeof(image));
	KUNIT_ASSERT_NOT_NULL(test, rd->fw);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(rd->fw));
	KUNIT_EXPECT_PTR_NE(test, rd->fw, (void *)image);
	KUNIT_EXPECT_MEMEQ(test, rd->fw, image, sizeof(image));
}

/* A new image replaces the old one. */
static void refdev_load_firmware_replace(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	u8 a[64], b[32];

	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	KUNIT_ASSERT_EQ(test, refdev_load_firmware(rd, a, sizeof(a)), 0);
	KUNIT_ASSERT_EQ(test, refdev_load_firmware(rd, b, sizeof(b)), 0);
	KUNIT_EXPECT_EQ(test, rd->fw_size, sizeof(b));
	KUNIT_EXPECT_MEMEQ(test, rd->fw, b, sizeof(b));
}

static void refdev_load_firmware_max(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	void *image = refdev_test_vbuf(test, REFDEV_MAX_FW_SIZE, 0x3c);

	KUNIT_ASSERT_EQ(test, refdev_load_firmware(rd, image,
						   REFDEV_MAX_FW_SIZE), 0);
	KUNIT_EXPECT_EQ(test, rd->fw_size, REFDEV_MAX_FW_SIZE);
	KUNIT_EXPECT_MEMEQ(test, rd->fw, image, REFDEV_MAX_FW_SIZE);
}

static void refdev_load_firmware_null_data(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);

	KUNIT_EXPECT_EQ(test, refdev_load_firmware(rd, NULL, 16), -EINVAL);
	KUNIT_EXPECT_NULL(test, rd->fw);
	KUNIT_EXPECT_EQ(test, rd->fw_size, 0);
}

/* ---- DMA buffer ---- */

/* Up to a page: one zeroed order-0 page. */
static void refdev_alloc_dma_one_page(struct kunit *test)
{
	struct refdev_session *s = refdev_test_open(test, refdev_test_rd(test));
	struct refdev_session_info si;
	u8 *p;

	KUNIT_ASSERT_EQ(test, refdev_alloc_dma(s, 100), 0);
	refdev_session_get_info(s, &si);
	KUNIT_EXPECT_EQ(test, si.dma_size, 100);
	KUNIT_ASSERT_NOT_NULL(test, s->dma_pages);
	KUNIT_EXPECT_EQ(test, s->dma_order, 0);
	p = page_address(s->dma_pages);
	KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(p));
	KUNIT_EXPECT_EQ(test, p[0], 0);
	KUNIT_EXPECT_EQ(test, p[PAGE_SIZE - 1], 0);

	KUNIT_ASSERT_EQ(test, refdev_alloc_dma(s, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, s->dma_order, 0);
}

/* More than a page: a compound block of get_order(size). */
static void refdev_alloc_dma_multi_page(struct kunit *test)
{
	struct refdev_session *s = refdev_test_open(test, refdev_test_rd(test));

	KUNIT_ASSERT_EQ(test, refdev_alloc_dma(s, PAGE_SIZE + 1), 0);
	KUNIT_EXPECT_EQ(test, s->dma_order, 1);
	KUNIT_EXPECT_EQ(test, compound_order(s->dma_pages), 1);

	KUNIT_ASSERT_EQ(test, refdev_alloc_dma(s, REFDEV_MAX_DMA), 0);
	KUNIT_EXPECT_EQ(test, s->dma_order, get_order(REFDEV_MAX_DMA));
	KUNIT_EXPECT_EQ(test, compound_order(s->dma_pages),
			get_order(REFDEV_MAX_DMA));
	KUNIT_EXPECT_EQ(test, s->dma_size, REFDEV_MAX_DMA);
}

/* A new buffer replaces the old one. */
static void refdev_alloc_dma_replace(struct kunit *test)
{
	struct refdev_session *s = refdev_test_open(test, refdev_test_rd(test));
	struct page *old;

	KUNIT_ASSERT_EQ(test, refdev_alloc_dma(s, PAGE_SIZE), 0);
	old = s->dma_pages;
	KUNIT_ASSERT_EQ(test, refdev_alloc_dma(s, 2 * PAGE_SIZE), 0);
	KUNIT_EXPECT_PTR_NE(test, s->dma_pages, old);
	KUNIT_EXPECT_EQ(test, s->dma_size, 2 * PAGE_SIZE);
}

/* ---- bad sizes ---- */

static const struct refdev_size_case refdev_bad_sizes[] = {
	{ "submit: zero", REFDEV_SUBMIT, 0, -EINVAL },
	{ "submit: REFDEV_MAX_PAYLOAD + 1", REFDEV_SUBMIT,
	  REFDEV_MAX_PAYLOAD + 1, -EINVAL },
	{ "submit: SIZE_MAX", REFDEV_SUBMIT, SIZE_MAX, -EINVAL },
	{ "resize: zero", REFDEV_RESIZE, 0, -EINVAL },
	{ "resize: REFDEV_MAX_RING + 1", REFDEV_RESIZE, REFDEV_MAX_RING + 1,
	  -E2BIG },
	{ "resize: byte size overflows", REFDEV_RESIZE,
	  SIZE_MAX / sizeof(void *) + 1, -EOVERFLOW },
	{ "resize: SIZE_MAX", REFDEV_RESIZE, SIZE_MAX, -EOVERFLOW },
	{ "channels: zero", REFDEV_CHANNELS, 0, -EINVAL },
	{ "channels: REFDEV_MAX_CHANNELS + 1", REFDEV_CHANNELS,
	  REFDEV_MAX_CHANNELS + 1, -E2BIG },
	{ "channels: UINT_MAX", REFDEV_CHANNELS, UINT_MAX, -E2BIG },
	{ "firmware: zero", REFDEV_FIRMWARE, 0, -EINVAL },
	{ "firmware: REFDEV_MAX_FW_SIZE + 1", REFDEV_FIRMWARE,
	  REFDEV_MAX_FW_SIZE + 1, -E2BIG },
	{ "firmware: SIZE_MAX", REFDEV_FIRMWARE, SIZE_MAX, -E2BIG },
	{ "dma: zero", REFDEV_DMA, 0, -EINVAL },
	{ "dma: REFDEV_MAX_DMA + 1", REFDEV_DMA, REFDEV_MAX_DMA + 1, -E2BIG },
	{ "dma: SIZE_MAX", REFDEV_DMA, SIZE_MAX, -E2BIG },
};

KUNIT_ARRAY_PARAM_DESC(refdev_bad_sizes, refdev_bad_sizes, desc);

/* What the call must leave as it was: its object, or its request count. */
static const void *refdev_sized_object(struct refdev *rd, struct refdev_session *s,
				       enum refdev_sized call)
{
	switch (call) {
	case REFDEV_RESIZE:
		return s->ring;
	case REFDEV_CHANNELS:
		return rd->channels;
	case REFDEV_FIRMWARE:
		return rd->fw;
	case REFDEV_DMA:
		return s->dma_pages;
	default:
		return NULL;
	}
}

static long refdev_sized_call(struct refdev *rd, struct refdev_session *s,
			      const struct refdev_size_case *p, const u8 *buf)
{
	switch (p->call) {
	case REFDEV_SUBMIT:
		return refdev_submit(s, buf, p->size);
	case REFDEV_RESIZE:
		return refdev_resize_ring(s, p->size);
	case REFDEV_CHANNELS:
		return refdev_set_channels(rd, p->size);
	case REFDEV_FIRMWARE:
		return refdev_load_firmware(rd, buf, p->size);
	case REFDEV_DMA:
		return refdev_alloc_dma(s, p->size);
	}
	return -EINVAL;
}

/*
 * A bad size or count: the errno, and nothing changed - the counters, the
 * object the call would replace (a loaded image, a DMA buffer), no request
 * allocated.
 */
static void refdev_bad_size(struct kunit *test)
{
	const struct refdev_size_case *p = test->param_value;
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_test_counts before;
	struct refdev_session *s;
	const void *old;
	u8 buf[16];

	memset(buf, 0x11, sizeof(buf));
	s = refdev_test_open(test, rd);
	if (p->call == REFDEV_FIRMWARE)
		KUNIT_ASSERT_EQ(test, refdev_load_firmware(rd, buf, sizeof(buf)), 0);
	if (p->call == REFDEV_DMA)
		KUNIT_ASSERT_EQ(test, refdev_alloc_dma(s, 64), 0);
	old = refdev_sized_object(rd, s, p->call);
	refdev_test_count(test, s, &before);

	KUNIT_EXPECT_EQ(test, refdev_sized_call(rd, s, p, buf), (long)p->err);
	refdev_test_expect_unchanged(test, s, &before);
	KUNIT_EXPECT_PTR_EQ(test, refdev_sized_object(rd, s, p->call), old);
	KUNIT_EXPECT_EQ(test, refdev_test_nr_requests(test), 0);
	if (p->call == REFDEV_FIRMWARE)
		KUNIT_EXPECT_MEMEQ(test, rd->fw, buf, sizeof(buf));
}

/* ---- counters ---- */

/* refdev_get_info() follows a session's life. */
static void refdev_get_info_counts(struct kunit *test)
{
	struct refdev *rd = refdev_test_rd(test);
	struct refdev_session *s;
	struct refdev_info info;
	u8 buf[8];

	s = refdev_test_open(test, rd);
	refdev_test_submit(test, s, 4, sizeof(buf), 0);
	refdev_get_info(rd, &info);
	KUNIT_EXPECT_EQ(test, info.nr_queued, 4);
	KUNIT_EXPECT_EQ(test, info.nr_completed, 0);

	KUNIT_ASSERT_EQ(test, refdev_irq(rd), 4);
	KUNIT_ASSERT_EQ(test, refdev_read(s, buf, sizeof(buf)), sizeof(buf));
	refdev_get_info(rd, &info);
	KUNIT_EXPECT_EQ(test, info.nr_sessions, 1);
	KUNIT_EXPECT_EQ(test, info.nr_queued, 0);
	KUNIT_EXPECT_EQ(test, info.nr_completed, 3);
	KUNIT_EXPECT_TRUE(test, info.registered);
}

static struct kunit_case refdev_session_test_cases[] = {
	KUNIT_CASE(refdev_open_adds_session),
	KUNIT_CASE(refdev_release_frees_everything),
	KUNIT_CASE(refdev_submit_queues_copy),
	KUNIT_CASE(refdev_submit_request_from_cache),
	KUNIT_CASE(refdev_submit_max_payload),
	KUNIT_CASE(refdev_submit_null_buf),
	KUNIT_CASE(refdev_submit_queue_full),
	KUNIT_CASE(refdev_irq_completes_queued),
	KUNIT_CASE(refdev_irq_no_sessions),
	KUNIT_CASE(refdev_irq_all_sessions),
	KUNIT_CASE(refdev_irq_ring_full_backpressure),
	KUNIT_CASE(refdev_irq_writes_desc_ring),
	KUNIT_CASE(refdev_irq_writes_status_block),
	KUNIT_CASE(refdev_irq_logs_events),
	KUNIT_CASE(refdev_irq_alloc_failure_keeps_queued),
	KUNIT_CASE(refdev_read_fifo),
	KUNIT_CASE(refdev_read_empty),
	KUNIT_CASE(refdev_read_small_buffer),
	KUNIT_CASE(refdev_resize_ring_grow),
	KUNIT_CASE(refdev_resize_ring_wrapped),
	KUNIT_CASE(refdev_resize_ring_shrink),
	KUNIT_CASE(refdev_resize_ring_max),
	KUNIT_CASE(refdev_set_channels_grow),
	KUNIT_CASE(refdev_set_channels_shrink),
	KUNIT_CASE(refdev_set_channels_max),
	KUNIT_CASE(refdev_load_firmware_vmalloc),
	KUNIT_CASE(refdev_load_firmware_replace),
	KUNIT_CASE(refdev_load_firmware_max),
	KUNIT_CASE(refdev_load_firmware_null_data),
	KUNIT_CASE(refdev_alloc_dma_one_page),
	KUNIT_CASE(refdev_alloc_dma_multi_page),
	KUNIT_CASE(refdev_alloc_dma_replace),
	KUNIT_CASE_PARAM(refdev_bad_size, refdev_bad_sizes_gen_params),
	KUNIT_CASE(refdev_get_info_counts),
	{}
};

static struct kunit_suite refdev_session_test_suite = {
	.name = "refdev_session",
	.init = refdev_test_env_init_device,
	.test_cases = refdev_session_test_cases,
};

kunit_test_suite(refdev_session_test_suite);

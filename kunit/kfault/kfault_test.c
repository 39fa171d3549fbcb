// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the kfault library's own parts that need no target:
 * the knobs' unwind, allocator names, the stable hash.
 */
#include <kunit/test.h>
#include <linux/string.h>

#include "internal.h"

/*
 * A knob table with one knob missing must change nothing, and the unwind
 * that env init runs after the failure must write nothing back: a knob's
 * value is restored only when it was saved.
 */
static void kfault_knobs_unwind_partial(struct kunit *test)
{
	struct kfault_knob probe[] = {
		{ "failslab", "ignore-gfp-wait", sizeof(bool), 0 },
	};
	struct kfault_knob knobs[] = {
		{ "failslab", "ignore-gfp-wait", sizeof(bool), 0 },
		{ "failslab", "kfault-test-no-such-knob", sizeof(bool), 0 },
	};
	bool *real, before, after;

	/* where the knob lives, and its value (Y by default) */
	KUNIT_ASSERT_EQ(test, kfault_knobs_apply(probe, 1), 0);
	real = probe[0].ptr;
	KUNIT_ASSERT_NOT_NULL(test, real);
	kfault_knobs_restore(probe, 1);
	before = READ_ONCE(*real);
	KUNIT_ASSERT_TRUE_MSG(test, before,
			      "failslab/ignore-gfp-wait is N: the test cannot tell");

	KUNIT_EXPECT_EQ(test, kfault_knobs_apply(knobs, ARRAY_SIZE(knobs)),
			-ENOENT);
	after = READ_ONCE(*real);
	KUNIT_EXPECT_EQ(test, after, before);
	kfault_knobs_restore(knobs, ARRAY_SIZE(knobs));
	after = READ_ONCE(*real);
	KUNIT_EXPECT_EQ_MSG(test, after, before,
			    "the unwind wrote a value it never saved");
}

/* A full table is set, then put back as it was. */
static void kfault_knobs_roundtrip(struct kunit *test)
{
	struct kfault_knob knobs[] = {
		{ "fail_page_alloc", "min-order", sizeof(u32), 0 },
	};
	u32 before, now;

	KUNIT_ASSERT_EQ(test, kfault_knobs_apply(knobs, 1), 0);
	before = knobs[0].saved;
	now = READ_ONCE(*(u32 *)knobs[0].ptr);
	KUNIT_EXPECT_EQ(test, now, 0U);
	kfault_knobs_restore(knobs, 1);
	now = READ_ONCE(*(u32 *)knobs[0].ptr);
	KUNIT_EXPECT_EQ(test, now, before);
}

struct kfault_name_case {
	const char *sym;
	const char *name;
};

static const struct kfault_name_case kfault_name_cases[] = {
	{ "__kmalloc_cache_noprof+0x1a/0x30", "kmalloc_cache" },
	{ "kmem_cache_alloc_noprof+0x10/0x20", "kmem_cache_alloc" },
	{ "__vmalloc_node_range_noprof", "vmalloc_node_range" },
	{ "kvmalloc_node", "kvmalloc_node" },
};

static void kfault_name_desc(const struct kfault_name_case *c, char *desc)
{
	strscpy(desc, c->sym, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kfault_name, kfault_name_cases, kfault_name_desc);

static void kfault_allocator_names(struct kunit *test)
{
	const struct kfault_name_case *c = test->param_value;
	char buf[40];

	kfault_allocator_name(c->sym, buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf, c->name);
}

/* Site ids are compared across runs and builds: the hash must not change. */
static void kfault_fnv_stable(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kfault_fnv(KFAULT_FNV_SEED, "", 0),
			KFAULT_FNV_SEED);
	KUNIT_EXPECT_EQ(test, kfault_fnv(KFAULT_FNV_SEED, "a", 1), 0xe40c292cU);
}

static struct kunit_case kfault_lib_cases[] = {
	KUNIT_CASE(kfault_knobs_unwind_partial),
	KUNIT_CASE(kfault_knobs_roundtrip),
	KUNIT_CASE_PARAM(kfault_allocator_names, kfault_name_gen_params),
	KUNIT_CASE(kfault_fnv_stable),
	{}
};

static struct kunit_suite kfault_lib_suite = {
	.name = "kfault_lib",
	.test_cases = kfault_lib_cases,
};

/*
 * A suite whose init uses an allocation without checking it, on purpose:
 * with nothing failing it passes; swept by kfault_suites
 * (kfault.suites=kfault_init_deref), its point nth=1 fails that allocation
 * before init runs and the kernel crashes in kfault_init_deref_init().
 * What the any-suite sweep must report as a crash at that line.
 */
struct kfault_init_deref_ctx {
	unsigned long magic;
};

static int kfault_init_deref_init(struct kunit *test)
{
	struct kfault_init_deref_ctx *ctx = kmalloc(sizeof(*ctx), GFP_KERNEL);

	ctx->magic = 0x6b6b;	/* kfault-defect: init_deref crash */
	test->priv = ctx;
	return 0;
}

static void kfault_init_deref_exit(struct kunit *test)
{
	kfree(test->priv);
}

static void kfault_init_deref_magic(struct kunit *test)
{
	struct kfault_init_deref_ctx *ctx = test->priv;

	KUNIT_EXPECT_EQ(test, ctx->magic, 0x6b6bUL);
}

static struct kunit_case kfault_init_deref_cases[] = {
	KUNIT_CASE(kfault_init_deref_magic),
	{}
};

static struct kunit_suite kfault_init_deref_suite = {
	.name = "kfault_init_deref",
	.init = kfault_init_deref_init,
	.exit = kfault_init_deref_exit,
	.test_cases = kfault_init_deref_cases,
};

/*
 * A case whose one allocation is a page, handled: swept by kfault_suites
 * (make sweep SUITE=kfault_page_site), its point 1 must be that page,
 * named by its call.  A failed page allocation never reaches the page
 * tracepoint; the console's FAULT_INJECTION dump says where it was.
 */
static void kfault_page_site_alloc(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);

	if (!page)
		return;
	__free_page(page);
}

static struct kunit_case kfault_page_site_cases[] = {
	KUNIT_CASE(kfault_page_site_alloc),
	{}
};

static struct kunit_suite kfault_page_site_suite = {
	.name = "kfault_page_site",
	.test_cases = kfault_page_site_cases,
};

kunit_test_suites(&kfault_lib_suite, &kfault_init_deref_suite,
		  &kfault_page_site_suite);

MODULE_DESCRIPTION("KUnit tests of the kfault library");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * refdev_core: refdev_core_create()/refdev_core_destroy() and what
 * module_init() set up.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/cache.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "refdev_kunit.h"

KUNIT_DEFINE_ACTION_WRAPPER(refdev_core_destroy_action, refdev_core_destroy,
			    struct refdev_core *);
KUNIT_DEFINE_ACTION_WRAPPER(put_device_action, put_device, struct device *);

static struct refdev_core *refdev_test_core_create(struct kunit *test,
						   const char *name)
{
	return refdev_test_keep(test, refdev_core_create(name),
				refdev_core_destroy_action);
}

/* A core has its name, an empty id space and a DMA-aligned request cache. */
static void refdev_core_create_valid(struct kunit *test)
{
	struct refdev_core *core = refdev_test_core_create(test, "rdcore");

	KUNIT_EXPECT_STREQ(test, core->name, "rdcore");
	KUNIT_ASSERT_NOT_NULL(test, core->req_cache);
	KUNIT_EXPECT_GE(test, kmem_cache_size(core->req_cache),
			sizeof(struct refdev_request));
	KUNIT_EXPECT_TRUE(test, ida_is_empty(&core->ida));
	KUNIT_EXPECT_EQ(test, atomic_read(&core->nr_requests), 0);
}

/* Each core has a request cache of its own, never merged with another. */
static void refdev_core_create_own_cache(struct kunit *test)
{
	struct refdev_core *a = refdev_test_core_create(test, "rdcore_a");
	struct refdev_core *b = refdev_test_core_create(test, "rdcore_b");

	KUNIT_ASSERT_NOT_NULL(test, a->req_cache);
	KUNIT_ASSERT_NOT_NULL(test, b->req_cache);
	KUNIT_EXPECT_PTR_NE(test, a->req_cache, b->req_cache);
	KUNIT_EXPECT_EQ(test, kmem_cache_size(a->req_cache),
			kmem_cache_size(b->req_cache));
}

/* The longest name that fits, REFDEV_NAME_MAX - 1 characters. */
static void refdev_core_create_max_name(struct kunit *test)
{
	char name[REFDEV_NAME_MAX];
	struct refdev_core *core;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	core = refdev_test_core_create(test, name);
	KUNIT_EXPECT_STREQ(test, core->name, name);
}

struct refdev_core_name_case {
	const char *desc;
	const char *name;
};

static const struct refdev_core_name_case refdev_core_bad_names[] = {
	{ .desc = "NULL", .name = NULL },
	{ .desc = "empty", .name = "" },
	{ .desc = "slash", .name = "rd/core" },
	{ .desc = "REFDEV_NAME_MAX chars",
	  .name = "0123456789abcdef0123456789abcdef" },
};

KUNIT_ARRAY_PARAM_DESC(refdev_core_bad_names, refdev_core_bad_names, desc);

/* Bad names are refused with -EINVAL before anything is allocated. */
static void refdev_core_create_bad_name(struct kunit *test)
{
	const struct refdev_core_name_case *p = test->param_value;
	struct refdev_core *core;

	core = refdev_core_create(p->name);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(core), -EINVAL);
	if (!IS_ERR(core))
		refdev_core_destroy(core);
}

/* Names are unique; destroying a core frees its name. */
static void refdev_core_create_duplicate_name(struct kunit *test)
{
	struct refdev_core *core, *dup;

	core = refdev_test_core_create(test, "rddup");

	dup = refdev_core_create("rddup");
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(dup), -EEXIST);
	if (!IS_ERR(dup))
		refdev_core_destroy(dup);

	kunit_release_action(test, refdev_core_destroy_action, core);
	refdev_test_core_create(test, "rddup");
}

/* Like kfree(), destroy ignores NULL (and error pointers). */
static void refdev_core_destroy_null(struct kunit *test)
{
	refdev_core_destroy(NULL);
	refdev_core_destroy(ERR_PTR(-ENOMEM));
}

/*
 * module_init() created the "refdev" core and a platform device that the
 * platform driver probed: /dev/refdev0 is registered.
 */
static void refdev_core_module_init_device(struct kunit *test)
{
	struct refdev_core *dup;
	struct refdev_info info;
	struct device *dev;
	struct refdev *rd;

	dev = bus_find_device_by_name(&platform_bus_type, NULL, "refdev");
	refdev_test_keep(test, dev, put_device_action);

	rd = refdev_from_dev(dev);
	KUNIT_ASSERT_NOT_NULL(test, rd);
	refdev_get_info(rd, &info);
	KUNIT_EXPECT_TRUE(test, info.registered);
	KUNIT_EXPECT_STREQ(test, rd->misc.name, "refdev0");
	KUNIT_EXPECT_STREQ(test, rd->core->name, "refdev");

	dup = refdev_core_create("refdev");
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(dup), -EEXIST);
	if (!IS_ERR(dup))
		refdev_core_destroy(dup);
}

static struct kunit_case refdev_core_test_cases[] = {
	KUNIT_CASE(refdev_core_create_valid),
	KUNIT_CASE(refdev_core_create_own_cache),
	KUNIT_CASE(refdev_core_create_max_name),
	KUNIT_CASE_PARAM(refdev_core_create_bad_name,
			 refdev_core_bad_names_gen_params),
	KUNIT_CASE(refdev_core_create_duplicate_name),
	KUNIT_CASE(refdev_core_destroy_null),
	KUNIT_CASE(refdev_core_module_init_device),
	{}
};

static struct kunit_suite refdev_core_test_suite = {
	.name = "refdev_core",
	.test_cases = refdev_core_test_cases,
};

kunit_test_suite(refdev_core_test_suite);

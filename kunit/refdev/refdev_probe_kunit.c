// SPDX-License-Identifier: GPL-2.0
/*
 * refdev_probe: refdev_probe()/refdev_remove(), through the driver model
 * (a KUnit driver and device) and called directly on a device bound to a
 * stub driver, as the fault sweep does.
 */
#include <kunit/device.h>
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "refdev_kunit.h"

KUNIT_DEFINE_ACTION_WRAPPER(refdev_remove_action, refdev_remove,
			    struct device *);

/* Probe @dev directly; refdev_remove() runs at test end. */
static struct refdev *refdev_test_probe(struct kunit *test, struct device *dev)
{
	struct refdev_test_env *env = test->priv;
	int ret;

	ret = refdev_probe(dev, env->core);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = kunit_add_action_or_reset(test, refdev_remove_action, dev);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return refdev_from_dev(dev);
}

/* A stub device, probed directly; @before: its devres count before probe. */
static struct refdev *refdev_test_probe_stub(struct kunit *test,
					     struct device **dev, size_t *before)
{
	struct refdev *rd;

	*dev = refdev_test_add_stub_device(test, "stub");
	*before = refdev_test_devres_count(*dev);
	rd = refdev_test_probe(test, *dev);
	KUNIT_ASSERT_NOT_NULL(test, rd);
	return rd;
}

/* The driver core calls refdev_probe(): the device is fully set up. */
static void refdev_probe_driver_model(struct kunit *test)
{
	struct refdev_info info;
	struct device *dev;
	struct refdev *rd;

	dev = refdev_test_add_device(test, "refdev");
	KUNIT_ASSERT_NOT_NULL(test, dev);
	rd = refdev_from_dev(dev);
	KUNIT_ASSERT_NOT_NULL(test, rd);

	KUNIT_EXPECT_PTR_EQ(test, rd->dev, dev);
	KUNIT_EXPECT_EQ(test, rd->id, 0);
	KUNIT_EXPECT_STREQ(test, rd->misc.name, REFDEV_TEST_CORE "0");
	KUNIT_EXPECT_NE(test, rd->misc.minor, MISC_DYNAMIC_MINOR);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, rd->misc.this_device);

	refdev_get_info(rd, &info);
	KUNIT_EXPECT_TRUE(test, info.registered);
	KUNIT_EXPECT_EQ(test, info.nr_channels, REFDEV_DEFAULT_CHANNELS);
	KUNIT_EXPECT_EQ(test, info.nr_sessions, 0);
	KUNIT_EXPECT_EQ(test, info.nr_queued, 0);
	KUNIT_EXPECT_EQ(test, info.nr_completed, 0);
	KUNIT_EXPECT_EQ(test, info.fw_size, 0);
}

/*
 * The struct refdev and its name are devm allocations inside a devres
 * group: open marker, refdev, name, close marker.  Remove releases them.
 */
static void refdev_probe_devm_allocations(struct kunit *test)
{
	struct device *dev;
	struct refdev *rd;
	size_t before;

	rd = refdev_test_probe_stub(test, &dev, &before);
	KUNIT_EXPECT_EQ(test, refdev_test_devres_count(dev), before + 4);
	KUNIT_EXPECT_FALSE(test, is_vmalloc_addr(rd));

	kunit_release_action(test, refdev_remove_action, dev);
	KUNIT_EXPECT_EQ(test, refdev_test_devres_count(dev), before);
	KUNIT_EXPECT_NULL(test, refdev_from_dev(dev));
}

/* The descriptor ring is one zeroed order-REFDEV_RING_ORDER block. */
static void refdev_probe_desc_ring_pages(struct kunit *test)
{
	struct refdev_test_env *env;
	unsigned long i, words;
	unsigned long *p;

	refdev_test_env_add_device(test);
	env = test->priv;
	KUNIT_ASSERT_NOT_NULL(test, env->rd->desc_pages);
	KUNIT_EXPECT_EQ(test, compound_order(env->rd->desc_pages),
			REFDEV_RING_ORDER);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(page_to_pfn(env->rd->desc_pages),
					   1UL << REFDEV_RING_ORDER));

	p = page_address(env->rd->desc_pages);
	KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(p));
	words = (PAGE_SIZE << REFDEV_RING_ORDER) / sizeof(*p);
	for (i = 0; i < words; i++)
		if (p[i])
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, words, "descriptor ring not zeroed");
}

/* The stats log is vzalloc()ed and empty. */
static void refdev_probe_stats_vmalloc(struct kunit *test)
{
	struct refdev_test_env *env;

	refdev_test_env_add_device(test);
	env = test->priv;
	KUNIT_ASSERT_NOT_NULL(test, env->rd->stats);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(env->rd->stats));
	KUNIT_EXPECT_EQ(test, env->rd->log_head, 0);
	KUNIT_EXPECT_EQ(test, env->rd->stats[0].event, 0);
	KUNIT_EXPECT_EQ(test, env->rd->stats[REFDEV_LOG_ENTRIES - 1].event, 0);
}

/* REFDEV_DEFAULT_CHANNELS channels come from kcalloc(). */
static void refdev_probe_channels_kcalloc(struct kunit *test)
{
	struct refdev_test_env *env;
	struct refdev *rd;
	unsigned int i;

	refdev_test_env_add_device(test);
	env = test->priv;
	rd = env->rd;
	KUNIT_ASSERT_NOT_NULL(test, rd->channels);
	KUNIT_EXPECT_FALSE(test, is_vmalloc_addr(rd->channels));
	KUNIT_EXPECT_GE(test, ksize(rd->channels),
			REFDEV_DEFAULT_CHANNELS * sizeof(*rd->channels));
	KUNIT_ASSERT_EQ(test, rd->nr_channels, REFDEV_DEFAULT_CHANNELS);
	for (i = 0; i < rd->nr_channels; i++) {
		KUNIT_EXPECT_EQ(test, rd->channels[i].id, i);
		KUNIT_EXPECT_EQ(test, rd->channels[i].weight, 1);
	}
}

/* Each device gets its own id, misc name and minor. */
static void refdev_probe_unique_names(struct kunit *test)
{
	struct device *dev0, *dev1;
	struct refdev *rd0, *rd1;

	dev0 = refdev_test_add_device(test, "refdev0");
	dev1 = refdev_test_add_device(test, "refdev1");
	KUNIT_ASSERT_NOT_NULL(test, dev0);
	KUNIT_ASSERT_NOT_NULL(test, dev1);
	rd0 = refdev_from_dev(dev0);
	rd1 = refdev_from_dev(dev1);

	KUNIT_EXPECT_EQ(test, rd0->id, 0);
	KUNIT_EXPECT_EQ(test, rd1->id, 1);
	KUNIT_EXPECT_STREQ(test, rd0->misc.name, REFDEV_TEST_CORE "0");
	KUNIT_EXPECT_STREQ(test, rd1->misc.name, REFDEV_TEST_CORE "1");
	KUNIT_EXPECT_NE(test, rd0->misc.minor, rd1->misc.minor);
}

/* Missing arguments: -EINVAL, nothing allocated. */
static void refdev_probe_bad_args(struct kunit *test)
{
	struct refdev_test_env *env = test->priv;
	struct device *dev;
	size_t before;

	dev = refdev_test_add_stub_device(test, "stub");
	before = refdev_test_devres_count(dev);

	KUNIT_EXPECT_EQ(test, refdev_probe(dev, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, refdev_probe(dev, ERR_PTR(-ENOMEM)), -EINVAL);
	KUNIT_EXPECT_EQ(test, refdev_probe(NULL, env->core), -EINVAL);

	KUNIT_EXPECT_EQ(test, refdev_test_devres_count(dev), before);
	KUNIT_EXPECT_NULL(test, refdev_from_dev(dev));
	KUNIT_EXPECT_TRUE(test, ida_is_empty(&env->core->ida));
}

/* A device that already has a refdev is refused with -EBUSY. */
static void refdev_probe_already_probed(struct kunit *test)
{
	struct refdev_test_env *env = test->priv;
	struct device *dev;
	struct refdev *rd;
	size_t before;

	dev = refdev_test_add_stub_device(test, "stub");
	rd = refdev_test_probe(test, dev);
	before = refdev_test_devres_count(dev);

	KUNIT_EXPECT_EQ(test, refdev_probe(dev, env->core), -EBUSY);
	KUNIT_EXPECT_PTR_EQ(test, refdev_from_dev(dev), rd);
	KUNIT_EXPECT_EQ(test, refdev_test_devres_count(dev), before);
}

/*
 * REFDEV_MAX_DEVICES devices per core: the next probe fails at the id
 * stage with -ENOSPC and unwinds its devres group; a removed device's id
 * is reused.
 */
static void refdev_probe_ids_exhausted(struct kunit *test)
{
	struct refdev_test_env *env = test->priv;
	struct device *devs[REFDEV_MAX_DEVICES + 1];
	char name[16];
	size_t before;
	unsigned int i;
	struct refdev *rd;

	for (i = 0; i < ARRAY_SIZE(devs); i++) {
		snprintf(name, sizeof(name), "stub%u", i);
		devs[i] = refdev_test_add_stub_device(test, name);
	}
	for (i = 0; i < REFDEV_MAX_DEVICES; i++)
		refdev_test_probe(test, devs[i]);

	before = refdev_test_devres_count(devs[REFDEV_MAX_DEVICES]);
	KUNIT_EXPECT_EQ(test, refdev_probe(devs[REFDEV_MAX_DEVICES], env->core),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, refdev_test_devres_count(devs[REFDEV_MAX_DEVICES]),
			before);
	KUNIT_EXPECT_NULL(test, refdev_from_dev(devs[REFDEV_MAX_DEVICES]));

	kunit_release_action(test, refdev_remove_action, devs[3]);
	rd = refdev_test_probe(test, devs[REFDEV_MAX_DEVICES]);
	KUNIT_ASSERT_NOT_NULL(test, rd);
	KUNIT_EXPECT_EQ(test, rd->id, 3);
}

/* Remove frees what probe allocated: devres, id, misc registration. */
static void refdev_remove_frees_everything(struct kunit *test)
{
	struct refdev_test_env *env = test->priv;
	struct device *dev;
	struct refdev *rd;
	size_t before;

	rd = refdev_test_probe_stub(test, &dev, &before);
	KUNIT_EXPECT_FALSE(test, ida_is_empty(&env->core->ida));

	kunit_release_action(test, refdev_remove_action, dev);
	KUNIT_EXPECT_EQ(test, refdev_test_devres_count(dev), before);
	KUNIT_EXPECT_NULL(test, refdev_from_dev(dev));
	KUNIT_EXPECT_TRUE(test, ida_is_empty(&env->core->ida));

	/* The same device probes again, with the same id. */
	rd = refdev_test_probe(test, dev);
	KUNIT_ASSERT_NOT_NULL(test, rd);
	KUNIT_EXPECT_EQ(test, rd->id, 0);
}

/* Unregistering the device makes the driver core call refdev_remove(). */
static void refdev_remove_driver_model(struct kunit *test)
{
	struct refdev_test_env *env = test->priv;
	struct device *dev;

	dev = refdev_test_add_device(test, "refdev");
	KUNIT_ASSERT_NOT_NULL(test, dev);
	KUNIT_EXPECT_FALSE(test, ida_is_empty(&env->core->ida));

	kunit_device_unregister(test, dev);
	KUNIT_EXPECT_TRUE(test, ida_is_empty(&env->core->ida));

	dev = refdev_test_add_device(test, "refdev");
	KUNIT_ASSERT_NOT_NULL(test, dev);
	KUNIT_EXPECT_EQ(test, refdev_from_dev(dev)->id, 0);
}

/* remove on a device refdev never probed does nothing. */
static void refdev_remove_unprobed(struct kunit *test)
{
	struct device *dev;
	size_t before;

	dev = refdev_test_add_stub_device(test, "stub");
	before = refdev_test_devres_count(dev);
	refdev_remove(dev);
	refdev_remove(NULL);
	KUNIT_EXPECT_EQ(test, refdev_test_devres_count(dev), before);
}

static void refdev_from_dev_unprobed(struct kunit *test)
{
	struct device *dev = refdev_test_add_stub_device(test, "stub");

	KUNIT_EXPECT_NULL(test, refdev_from_dev(dev));
}

static struct kunit_case refdev_probe_test_cases[] = {
	KUNIT_CASE(refdev_probe_driver_model),
	KUNIT_CASE(refdev_probe_devm_allocations),
	KUNIT_CASE(refdev_probe_desc_ring_pages),
	KUNIT_CASE(refdev_probe_stats_vmalloc),
	KUNIT_CASE(refdev_probe_channels_kcalloc),
	KUNIT_CASE(refdev_probe_unique_names),
	KUNIT_CASE(refdev_probe_bad_args),
	KUNIT_CASE(refdev_probe_already_probed),
	KUNIT_CASE(refdev_probe_ids_exhausted),
	KUNIT_CASE(refdev_remove_frees_everything),
	KUNIT_CASE(refdev_remove_driver_model),
	KUNIT_CASE(refdev_remove_unprobed),
	KUNIT_CASE(refdev_from_dev_unprobed),
	{}
};

static struct kunit_suite refdev_probe_test_suite = {
	.name = "refdev_probe",
	.init = refdev_test_env_init,
	.test_cases = refdev_probe_test_cases,
};

kunit_test_suite(refdev_probe_test_suite);

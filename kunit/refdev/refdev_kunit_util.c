// SPDX-License-Identifier: GPL-2.0
/*
 * Fixtures of the functional refdev suites: a private core, devices probed
 * through the driver model on the KUnit bus, sessions.
 */
#include <kunit/device.h>
#include <kunit/resource.h>
#include <kunit/test-bug.h>
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "refdev_kunit.h"

KUNIT_DEFINE_ACTION_WRAPPER(refdev_core_destroy_action, refdev_core_destroy,
			    struct refdev_core *);
KUNIT_DEFINE_ACTION_WRAPPER(refdev_release_action, refdev_release,
			    struct refdev_session *);

/*
 * Runs after every session and device of the test is gone, just before
 * the core is destroyed: nothing may be left in the core.
 */
static void refdev_test_check_core_idle(void *ctx)
{
	struct kunit *test = ctx;
	struct refdev_test_env *env = test->priv;

	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&env->core->nr_requests), 0,
			    "requests left in the core's cache");
	KUNIT_EXPECT_TRUE_MSG(test, ida_is_empty(&env->core->ida),
			      "devices left in the core");
}

int refdev_test_env_init(struct kunit *test)
{
	struct refdev_test_env *env;
	int ret;

	env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, env);
	test->priv = env;

	env->core = refdev_test_keep(test, refdev_core_create(REFDEV_TEST_CORE),
				     refdev_core_destroy_action);
	ret = kunit_add_action_or_reset(test, refdev_test_check_core_idle, test);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return 0;
}

void refdev_test_env_add_device(struct kunit *test)
{
	struct refdev_test_env *env = test->priv;

	env->dev = refdev_test_add_device(test, "refdev");
	KUNIT_ASSERT_NOT_NULL(test, env->dev);
	env->rd = refdev_from_dev(env->dev);
	KUNIT_ASSERT_NOT_NULL(test, env->rd);
}

int refdev_test_env_init_device(struct kunit *test)
{
	refdev_test_env_init(test);
	refdev_test_env_add_device(test);
	return 0;
}

/* Probe runs synchronously in the test's thread: the env is its priv. */
static int refdev_test_drv_probe(struct device *dev)
{
	struct kunit *test = kunit_get_current_test();
	struct refdev_test_env *env = test->priv;

	return refdev_probe(dev, env->core);
}

static int refdev_test_drv_remove(struct device *dev)
{
	refdev_remove(dev);
	return 0;
}

/*
 * The KUnit bus matches every driver with every device, so while this
 * test's driver is the only one registered each new device binds to it.
 */
struct device *refdev_test_add_device(struct kunit *test, const char *name)
{
	struct refdev_test_env *env = test->priv;
	struct device *dev;

	if (!env->drv) {
		env->drv = kunit_driver_create(test, "refdev_kunit");
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, env->drv);
		env->drv->probe = refdev_test_drv_probe;
		env->drv->remove = refdev_test_drv_remove;
	}
	dev = kunit_device_register_with_driver(test, name, env->drv);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	return dev->driver ? dev : NULL;
}

struct device *refdev_test_add_stub_device(struct kunit *test,
					   const char *name)
{
	struct refdev_test_env *env = test->priv;
	struct device *dev;

	/* Our driver would grab the device: add stub devices first. */
	KUNIT_ASSERT_NULL(test, env->drv);
	dev = kunit_device_register(test, name);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	return dev;
}

void *refdev_test_keep(struct kunit *test, void *obj, kunit_action_t *release)
{
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, release, obj), 0);
	return obj;
}

struct refdev_session *refdev_test_open(struct kunit *test, struct refdev *rd)
{
	return refdev_test_keep(test, refdev_open(rd), refdev_release_action);
}

void refdev_test_close(struct kunit *test, struct refdev_session *s)
{
	kunit_release_action(test, refdev_release_action, s);
}

size_t refdev_test_devres_count(struct device *dev)
{
	unsigned long flags;
	size_t n;

	spin_lock_irqsave(&dev->devres_lock, flags);
	n = list_count_nodes(&dev->devres_head);
	spin_unlock_irqrestore(&dev->devres_lock, flags);
	return n;
}

void refdev_test_submit(struct kunit *test, struct refdev_session *s,
			unsigned int n, size_t len, u8 first)
{
	unsigned int i;
	u8 *buf;

	buf = kunit_kmalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < n; i++) {
		memset(buf, (u8)(first + i), len);
		KUNIT_ASSERT_EQ(test, refdev_submit(s, buf, len), 0);
	}
	kunit_kfree(test, buf);
}

MODULE_DESCRIPTION("Functional KUnit tests of the kfault reference driver");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

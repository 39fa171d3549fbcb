/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixtures shared by the functional refdev suites.  Everything a helper
 * creates is released by a KUnit action, in reverse order, also when the
 * test fails half-way.
 */
#ifndef _REFDEV_KUNIT_H
#define _REFDEV_KUNIT_H

#include <kunit/test.h>

#include "../../module/refdev.h"
#include "../../module/refdev_internal.h"

#define REFDEV_TEST_CORE	"rdkunit"

/**
 * struct refdev_test_env - test->priv of every functional suite
 * @core: a private core named REFDEV_TEST_CORE
 * @drv: the KUnit driver whose probe/remove call refdev_probe/remove
 * @dev: the device of refdev_test_env_add_device()
 * @rd: its struct refdev
 * @umem: user memory (kunit_vm_mmap()), the fops suite only
 * @ubad: an inaccessible (PROT_NONE) user address, the fops suite only
 */
struct refdev_test_env {
	struct refdev_core *core;
	struct device_driver *drv;
	struct device *dev;
	struct refdev *rd;
	unsigned long umem;
	unsigned long ubad;
};

/* Suite .init: a private core in test->priv. */
int refdev_test_env_init(struct kunit *test);
/* Suite .init: the same, plus one device probed through the driver model. */
int refdev_test_env_init_device(struct kunit *test);
/* Add env->dev, probed through the driver model, and env->rd. */
void refdev_test_env_add_device(struct kunit *test);

/* Register a device bound by the driver model to refdev; NULL if unbound. */
struct device *refdev_test_add_device(struct kunit *test, const char *name);
/* Register a device bound to a stub driver, for direct refdev_probe(). */
struct device *refdev_test_add_stub_device(struct kunit *test,
					   const char *name);
/*
 * @obj, checked to be neither NULL nor an error pointer, handed to @release
 * at test end: the test stops here if either fails.
 */
void *refdev_test_keep(struct kunit *test, void *obj, kunit_action_t *release);
/* refdev_open(), released at test end. */
struct refdev_session *refdev_test_open(struct kunit *test, struct refdev *rd);
/* refdev_release() now instead of at test end. */
void refdev_test_close(struct kunit *test, struct refdev_session *s);
/* Number of devres entries of @dev. */
size_t refdev_test_devres_count(struct device *dev);
/* Submit @n packets of @len bytes; packet i is filled with @first + i. */
void refdev_test_submit(struct kunit *test, struct refdev_session *s,
			unsigned int n, size_t len, u8 first);

#endif /* _REFDEV_KUNIT_H */

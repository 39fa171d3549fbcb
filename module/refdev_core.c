// SPDX-License-Identifier: GPL-2.0
/*
 * refdev core: the module-level state (request slab cache, instance ids)
 * and module init/exit, which create a core, register the platform driver
 * and one platform device so that a real /dev/refdev0 exists.
 */
#include <kunit/visibility.h>
#include <linux/cache.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "refdev_internal.h"

#define REFDEV_DRV_NAME		"refdev"
#define REFDEV_CACHE_SUFFIX	"_req"

/* Live cores; their names are unique (they name caches and devices). */
static LIST_HEAD(refdev_cores);
static DEFINE_MUTEX(refdev_cores_lock);

static bool refdev_core_name_valid(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strnlen(name, REFDEV_NAME_MAX);
	/* Device names may not contain '/'. */
	return len && len < REFDEV_NAME_MAX && !strchr(name, '/');
}

static struct refdev_core *refdev_core_find(const char *name)
{
	struct refdev_core *core;

	lockdep_assert_held(&refdev_cores_lock);
	list_for_each_entry(core, &refdev_cores, node)
		if (!strcmp(core->name, name))
			return core;
	return NULL;
}

/**
 * refdev_core_create() - create the module-level state
 * @name: core name, 1..REFDEV_NAME_MAX - 1 characters, no '/'; unique
 *	among live cores.  Devices are called "<name><id>" and the request
 *	cache "<name>_req".
 *
 * Allocations, in order: the core (kzalloc, GFP_KERNEL), then the request
 * cache (kmem_cache_create(): its name, per-node and per-cpu structures,
 * sysfs and debugfs entries).  The name is checked before anything is
 * allocated.
 *
 * Context: process context, may sleep.
 * Return: the core, ERR_PTR(-EINVAL) for a bad name, ERR_PTR(-EEXIST) if a
 * live core has that name, ERR_PTR(-ENOMEM).
 */
struct refdev_core *refdev_core_create(const char *name)
{
	char cache_name[REFDEV_NAME_MAX + sizeof(REFDEV_CACHE_SUFFIX)];
	struct refdev_core *core;
	int ret;

	if (!refdev_core_name_valid(name))
		return ERR_PTR(-EINVAL);

	mutex_lock(&refdev_cores_lock);
	if (refdev_core_find(name)) {
		ret = -EEXIST;
		goto err_unlock;
	}

	core = kzalloc(sizeof(*core), GFP_KERNEL);
	if (!core) {
		ret = -ENOMEM;
		goto err_unlock;
	}
	strscpy(core->name, name);
	ida_init(&core->ida);
	atomic_set(&core->nr_requests, 0);

	/*
	 * A request begins with the descriptor the device reads: align the
	 * objects for DMA.  The cache is never merged with a compatible one
	 * (SLAB_NO_MERGE, documented for caches of self-tests, which is what
	 * this driver is): its life is exactly the core's, create and destroy
	 * really create and destroy it, and /sys/kernel/slab/<name>_req
	 * counts this core's requests only.  kmem_cache_create() copies the
	 * name.
	 */
	snprintf(cache_name, sizeof(cache_name), "%s" REFDEV_CACHE_SUFFIX, name);
	core->req_cache = kmem_cache_create(cache_name,
					    sizeof(struct refdev_request),
					    ARCH_DMA_MINALIGN,
					    SLAB_HWCACHE_ALIGN | SLAB_NO_MERGE,
					    NULL);
	if (!core->req_cache) {
		ret = -ENOMEM;
		goto err_free_core;
	}

	list_add_tail(&core->node, &refdev_cores);
	mutex_unlock(&refdev_cores_lock);
	return core;

err_free_core:
	kfree(core);
err_unlock:
	mutex_unlock(&refdev_cores_lock);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_IF_KUNIT(refdev_core_create);

/**
 * refdev_core_destroy() - undo refdev_core_create()
 * @core: the core; NULL and error pointers are ignored
 *
 * Every device probed against @core must have been removed: their
 * requests live in the core's cache.
 *
 * Context: process context, may sleep.
 */
void refdev_core_destroy(struct refdev_core *core)
{
	if (IS_ERR_OR_NULL(core))
		return;

	mutex_lock(&refdev_cores_lock);
	list_del(&core->node);
	mutex_unlock(&refdev_cores_lock);

	WARN_ON(!ida_is_empty(&core->ida));
	WARN_ON(atomic_read(&core->nr_requests));
	kmem_cache_destroy(core->req_cache);
	ida_destroy(&core->ida);
	kfree(core);
}
EXPORT_SYMBOL_IF_KUNIT(refdev_core_destroy);

/* The module's own core, device and driver. */
static struct refdev_core *refdev_default_core;
static struct platform_device *refdev_pdev;

static int refdev_platform_probe(struct platform_device *pdev)
{
	return refdev_probe(&pdev->dev, refdev_default_core);
}

static void refdev_platform_remove(struct platform_device *pdev)
{
	refdev_remove(&pdev->dev);
}

/*
 * No sysfs bind/unbind: a device is only removed at module exit, which
 * cannot happen while a file is open (the misc fops hold the module).
 */
static struct platform_driver refdev_platform_driver = {
	.driver = {
		.name = REFDEV_DRV_NAME,
		.suppress_bind_attrs = true,
	},
	.probe = refdev_platform_probe,
	.remove = refdev_platform_remove,
};

static int __init refdev_init(void)
{
	int ret;

	refdev_default_core = refdev_core_create(REFDEV_DRV_NAME);
	if (IS_ERR(refdev_default_core))
		return PTR_ERR(refdev_default_core);

	ret = platform_driver_register(&refdev_platform_driver);
	if (ret)
		goto err_destroy_core;

	refdev_pdev = platform_device_register_simple(REFDEV_DRV_NAME,
						      PLATFORM_DEVID_NONE,
						      NULL, 0);
	if (IS_ERR(refdev_pdev)) {
		ret = PTR_ERR(refdev_pdev);
		goto err_unregister_driver;
	}
	return 0;

err_unregister_driver:
	platform_driver_unregister(&refdev_platform_driver);
err_destroy_core:
	refdev_core_destroy(refdev_default_core);
	return ret;
}

static void __exit refdev_exit(void)
{
	platform_device_unregister(refdev_pdev);
	platform_driver_unregister(&refdev_platform_driver);
	refdev_core_destroy(refdev_default_core);
}

module_init(refdev_init);
module_exit(refdev_exit);

MODULE_DESCRIPTION("kfault reference driver: a virtual DMA packet device");
MODULE_LICENSE("GPL");

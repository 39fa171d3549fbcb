// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: what a point must leave as it found it, checked after each point
 * of the suite sweeps - the drivers and devices of the KUnit bus.
 *
 * KUnit's managed drivers and devices (lib/kunit/device.c) are unregistered
 * by cleanup actions of their test.  One still registered after its case's
 * cleanup is a finding of the point that left it there: a driver whose
 * memory the cleanup freed stays on the bus, and the next device added
 * there walks it (__device_attach_driver(): a use-after-free some cases
 * later), or a driver of the same name fails to register ("already
 * registered") in every case after.  Unchecked, the damage surfaces at a
 * later point, or a later case's baseline, and is blamed there.
 */
#include <kunit/device.h>
#include <linux/device.h>
#include <linux/minmax.h>

#include "internal.h"

static const struct bus_type *kfault_kunit_bus;

static int kfault_bus_device(struct device *dev, void *data)
{
	(*(int *)data)++;
	return 0;
}

static int kfault_bus_driver(struct device_driver *drv, void *data)
{
	(*(int *)data)++;
	return 0;
}

/* lib/kunit/device.c keeps its bus static: a device of our own names it. */
void kfault_bus_init(struct kunit *test)
{
	struct device *dev;

	if (kfault_kunit_bus)
		return;
	dev = kunit_device_register(test, "kfault_bus");
	if (IS_ERR(dev))
		return;
	kfault_kunit_bus = dev->bus;
	kunit_device_unregister(test, dev);
}

/* Counted only: a driver left behind may be memory its test freed. */
void kfault_bus_read(struct kfault_bus *b)
{
	b->drivers = 0;
	b->devices = 0;
	if (!kfault_kunit_bus)
		return;
	bus_for_each_drv(kfault_kunit_bus, NULL, &b->drivers,
			 kfault_bus_driver);
	bus_for_each_dev(kfault_kunit_bus, NULL, &b->devices,
			 kfault_bus_device);
}

/*
 * After the point: what it left on the bus since @before, in @left, and as
 * a report in @buf (false: nothing left).
 */
bool kfault_bus_left(const struct kfault_bus *before, struct kfault_bus *left,
		     char *buf, size_t size)
{
	struct kfault_bus now;

	kfault_bus_read(&now);
	left->drivers = max(now.drivers - before->drivers, 0);
	left->devices = max(now.devices - before->devices, 0);
	if (!left->drivers && !left->devices)
		return false;
	snprintf(buf, size,
		 "kfault: left registered on the kunit bus after the case's cleanup: %d driver(s), %d device(s)",
		 left->drivers, left->devices);
	return true;
}

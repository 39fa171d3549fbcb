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
 *
 * So the bus is put back as the point found it.  When the point's failure
 * hits (probes.c), every driver the point has registered so far is copied,
 * while its memory is still the test's: the unregister the failure makes
 * the test forget is of a driver registered before it (finding 11's
 * kunit_add_action() in kunit_driver_create()), and the test may free it
 * before its case ends (kunit_device_cleanup_test calls kunit_cleanup()).
 * One still registered after the cleanup is unregistered through the copy -
 * its driver_private, its kobject and the bus's klist are the driver
 * core's own, alive, and the copy stands for the freed struct
 * device_driver, which is never read again.  A device left registered is
 * alive (the bus holds it) and is unregistered.  A driver registered after
 * the failure or with nothing failed, one with devices still bound, what a
 * point whose code faulted left, or more than are kept cannot be put back:
 * the boot ends after the point (guard.c, kfault_guard_damaged()).
 */
#include <kunit/device.h>
#include <linux/device.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>

#include "internal.h"

static const struct bus_type *kfault_kunit_bus;

/*
 * kfault.put_back=0: nothing is taken off the bus; what a point left ends
 * the boot (with kfault.end_on_damage=1) - every later point then runs in a
 * fresh boot, to compare a sweep that puts the bus back with.
 */
static bool put_back = true;
module_param(put_back, bool, 0644);
MODULE_PARM_DESC(put_back, "take off the KUnit bus what a point left there");

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

static void kfault_bus_see(struct kfault_bus_state *b,
			   struct kfault_bus_seen *seen, const void *p)
{
	if (seen->nr < ARRAY_SIZE(seen->p))
		seen->p[seen->nr++] = p;
	else
		b->lost = true;
}

static bool kfault_bus_saw(const struct kfault_bus_seen *seen, const void *p)
{
	unsigned int i;

	for (i = 0; i < seen->nr; i++)
		if (seen->p[i] == p)
			return true;
	return false;
}

/* A device on the bus before the point: noted */
static int kfault_bus_note_device(struct device *dev, void *data)
{
	struct kfault_bus_state *b = data;

	kfault_bus_see(b, &b->devices_before, dev);
	return 0;
}

/* A driver on the bus before the point: noted, not read */
static int kfault_bus_note_one(struct device_driver *drv, void *data)
{
	struct kfault_bus_state *b = data;

	kfault_bus_see(b, &b->drivers_before, drv);
	return 0;
}

static bool kfault_bus_was_kept(const struct kfault_bus_state *b,
				const struct device_driver *drv)
{
	unsigned int i;

	for (i = 0; i < b->nr_kept; i++)
		if (b->kept[i].drv == drv)
			return true;
	return false;
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

/* Before the point: counted, its drivers and devices noted, none read */
void kfault_bus_note(struct kfault_bus_state *b)
{
	b->lost = false;
	b->drivers_before.nr = 0;
	b->devices_before.nr = 0;
	b->nr_kept = 0;
	b->nr_taken = 0;
	kfault_bus_read(&b->count);
	if (!kfault_kunit_bus)
		return;
	bus_for_each_drv(kfault_kunit_bus, NULL, b, kfault_bus_note_one);
	bus_for_each_dev(kfault_kunit_bus, NULL, b, kfault_bus_note_device);
}

/* A driver the point registered, copied while it is still the test's */
static int kfault_bus_keep_one(struct device_driver *drv, void *data)
{
	struct kfault_bus_state *b = data;
	struct kfault_bus_kept *k;

	if (kfault_bus_saw(&b->drivers_before, drv) ||
	    kfault_bus_was_kept(b, drv))
		return 0;
	if (b->nr_kept == ARRAY_SIZE(b->kept)) {
		b->lost = true;
		return 0;
	}
	k = &b->kept[b->nr_kept++];
	k->drv = drv;
	k->copy = *drv;
	strscpy(k->name, drv->name ? drv->name : "", sizeof(k->name));
	k->copy.name = k->name;
	return 0;
}

/* At the point's failure, before the test can free what it registered */
void kfault_bus_keep(struct kfault_bus_state *b)
{
	if (kfault_kunit_bus)
		bus_for_each_drv(kfault_kunit_bus, NULL, b, kfault_bus_keep_one);
}

struct kfault_bus_find {
	const struct device_driver *drv;
	bool found;
};

/* Compares the pointer only: the driver's memory may be freed. */
static int kfault_bus_find_one(struct device_driver *drv, void *data)
{
	struct kfault_bus_find *f = data;

	if (drv == f->drv)
		f->found = true;
	return f->found;
}

static int kfault_bus_bound(struct device *dev, void *data)
{
	(*(int *)data)++;
	return 0;
}

/* The drivers kept that are still on the bus: off it, through their copies */
static int kfault_bus_put_back_drivers(struct kfault_bus_state *b)
{
	unsigned int i;
	int stuck = 0;

	for (i = 0; i < b->nr_kept; i++) {
		struct kfault_bus_kept *k = &b->kept[i];
		struct kfault_bus_find f = { .drv = k->drv };
		int bound = 0;

		bus_for_each_drv(kfault_kunit_bus, NULL, &f,
				 kfault_bus_find_one);
		if (!f.found)
			continue;
		/* the driver core would detach them from the freed driver */
		if (driver_for_each_device(&k->copy, NULL, &bound,
					   kfault_bus_bound) || bound) {
			stuck++;
			continue;
		}
		driver_unregister(&k->copy);
		b->removed.drivers++;
	}
	b->nr_kept = 0;
	return stuck;
}

/* A device the point registered and left: held, to be unregistered */
static int kfault_bus_take_device(struct device *dev, void *data)
{
	struct kfault_bus_state *b = data;

	if (kfault_bus_saw(&b->devices_before, dev))
		return 0;
	if (b->nr_taken == ARRAY_SIZE(b->taken)) {
		b->lost = true;
		return 0;
	}
	b->taken[b->nr_taken++] = get_device(dev);
	return 0;
}

/*
 * A device left registered is the driver core's, alive (its reference is
 * the bus's): unregistered as its test's cleanup would have, unless the
 * point's code faulted - the fault may have cut its registration short -
 * or it is bound to a driver the point registered: unbinding it would call
 * that driver, whose memory the test may have freed.
 */
static int kfault_bus_put_back_devices(struct kfault_bus_state *b,
				       bool faulted)
{
	unsigned int i;
	int stuck = 0;

	b->nr_taken = 0;
	bus_for_each_dev(kfault_kunit_bus, NULL, b, kfault_bus_take_device);
	for (i = 0; i < b->nr_taken; i++) {
		struct device *dev = b->taken[i];

		if (faulted || !device_is_registered(dev) ||
		    kfault_bus_was_kept(b, READ_ONCE(dev->driver))) {
			stuck++;
		} else {
			device_unregister(dev);
			b->removed.devices++;
		}
		put_device(dev);
	}
	b->nr_taken = 0;
	return stuck;
}

/*
 * After the point is judged: the bus put back as the point found it.  The
 * devices it left go first, as its cleanup's actions would have run (last
 * registered, first unregistered), then the drivers kept at its failure.
 * What was taken off is in b->removed; returns how many drivers and
 * devices the point left that could not be (more than are kept, devices
 * bound to a freed driver, a fault in the point's code).
 */
int kfault_bus_put_back(struct kfault_bus_state *b, bool faulted)
{
	int stuck;

	b->removed.drivers = 0;
	b->removed.devices = 0;
	if (!kfault_kunit_bus)
		return 0;
	stuck = kfault_bus_put_back_devices(b, faulted || !put_back);
	if (faulted || !put_back) {
		b->nr_kept = 0;
		return stuck + 1;
	}
	stuck += kfault_bus_put_back_drivers(b);
	return stuck + (b->lost ? 1 : 0);
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

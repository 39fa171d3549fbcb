// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-injection sweep of drivers/input: every allocation of each operation
 * below fails in turn, and kfault checks the errno, the rollback, leaks and
 * kernel reports.  Written by 'kfault skeleton', filled in for the input
 * core: registering a device, and giving one multi-touch slots.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/input.h>
#include <linux/input/mt.h>

#include <kfault/kfault.h>

static struct kfault_target input_target = {
	.name = "input",		/* announced on the console */
	.srcdir = "drivers/input/",	/* the leak check's scope */
	.prefix = "input_",		/* the driver's text */
};

/* What one point's setup builds and its run uses (zeroed for each point). */
struct input_fault_ctx {
	struct input_dev *dev;
	bool registered;
};

/* @arg 1: an allocated, unregistered device to work on. */
static int input_fault_setup(void *ctx, unsigned long arg)
{
	struct input_fault_ctx *c = ctx;

	if (!arg)
		return 0;
	c->dev = input_allocate_device();
	if (!c->dev)
		return -ENOMEM;
	c->dev->name = "kfault-input";
	__set_bit(EV_KEY, c->dev->evbit);
	__set_bit(KEY_A, c->dev->keybit);
	return 0;
}

/* A key device, allocated and registered. */
static int input_fault_register(void *ctx)
{
	struct input_fault_ctx *c = ctx;
	struct input_dev *dev;
	int err;

	dev = input_allocate_device();
	if (!dev)
		return -ENOMEM;
	dev->name = "kfault-input";
	__set_bit(EV_KEY, dev->evbit);
	__set_bit(KEY_A, dev->keybit);
	err = input_register_device(dev);
	if (err) {
		input_free_device(dev);
		return err;
	}
	c->dev = dev;
	c->registered = true;
	return 0;
}

/* Four multi-touch slots on the device of setup. */
static int input_fault_mt_slots(void *ctx)
{
	struct input_fault_ctx *c = ctx;

	return input_mt_init_slots(c->dev, 4, INPUT_MT_DIRECT);
}

/* 0: nothing registered is left behind after a failed register. */
static int input_fault_none(void *ctx)
{
	struct input_fault_ctx *c = ctx;

	return c->dev || c->registered ? -EINVAL : 0;
}

/* 0: the device is registered. */
static int input_fault_registered(void *ctx)
{
	struct input_fault_ctx *c = ctx;

	return c->registered ? 0 : -EINVAL;
}

/* 0: no slots after a failed input_mt_init_slots(). */
static int input_fault_no_slots(void *ctx)
{
	struct input_fault_ctx *c = ctx;

	return c->dev->mt ? -EINVAL : 0;
}

/* 0: the slots are there. */
static int input_fault_slots(void *ctx)
{
	struct input_fault_ctx *c = ctx;

	return c->dev->mt && c->dev->mt->num_slots == 4 ? 0 : -EINVAL;
}

/* Free everything, whatever run() returned. */
static void input_fault_teardown(void *ctx)
{
	struct input_fault_ctx *c = ctx;

	if (c->registered)
		input_unregister_device(c->dev);
	else if (c->dev)
		input_free_device(c->dev);
}

KFAULT_OP(input_target, register,
	  .ctx_size = sizeof(struct input_fault_ctx),
	  .mode = KFAULT_WINDOW,
	  .expected_err = -ENOMEM,
	  .setup = input_fault_setup, .setup_arg = 0,
	  .run = input_fault_register,
	  .check_rollback = input_fault_none,
	  .check_success = input_fault_registered,
	  .teardown = input_fault_teardown);

KFAULT_OP(input_target, mt_slots,
	  .ctx_size = sizeof(struct input_fault_ctx),
	  .mode = KFAULT_WINDOW,
	  .expected_err = -ENOMEM,
	  .setup = input_fault_setup, .setup_arg = 1,
	  .run = input_fault_mt_slots,
	  .check_rollback = input_fault_no_slots,
	  .check_success = input_fault_slots,
	  .teardown = input_fault_teardown);

static struct kunit_case input_fault_cases[] = {
	KFAULT_OP_CASE(register),
	KFAULT_OP_CASE(mt_slots),
	KUNIT_CASE(kfault_canary_fault_injection),
	KUNIT_CASE(kfault_canary_kasan),
	KUNIT_CASE_SLOW(kfault_kmemleak_confirmation),
	KUNIT_CASE(kfault_sweep_summary),
	{}
};

KFAULT_SUITE(input_fault, input_target, input_fault_cases);

MODULE_DESCRIPTION("Fault-injection sweeps of input");
MODULE_LICENSE("GPL");

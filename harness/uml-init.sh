#!/bin/sh
# init of a UML boot on the host's root (hostfs, read-only), for
# 'make modules-test': load the driver and its KUnit module (the suites run
# on load), unload both (module exit is an error path too), let kmemleak
# look, power off.  KFAULT_DRIVER and KFAULT_TESTS (from the kernel command
# line) are the paths of refdev.ko and refdev_kunit.ko.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
step() {
	echo "kfault-init: $*"
	"$@" || echo "kfault-init: FAILED ($?): $*"
}
step insmod "$KFAULT_DRIVER"
step insmod "$KFAULT_TESTS"
step rmmod refdev_kunit
step rmmod refdev
# kmemleak reports objects 5 s old and unchanged across two scans
sleep 6
echo scan > /sys/kernel/debug/kmemleak
echo scan > /sys/kernel/debug/kmemleak
echo "kfault-init: kmemleak report begin"
cat /sys/kernel/debug/kmemleak
echo "kfault-init: kmemleak report end"
echo "kfault-init: done"
poweroff -f -f

#!/bin/sh
# init of a UML boot on the host's root (hostfs, read-only), for
# 'make modules-test': load the target's modules and its KUnit test modules
# (the suites run on load), unload them in reverse order (module exit is an
# error path too), let kmemleak look, power off.  KFAULT_MODULES (from the
# kernel command line) is the ':'-separated list of .ko paths, load order.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
step() {
	echo "kfault-init: $*"
	"$@" || echo "kfault-init: FAILED ($?): $*"
}
loaded=""
IFS=:
for ko in $KFAULT_MODULES; do
	step insmod "$ko"
	name=$(basename "$ko" .ko | tr - _)
	loaded="$name $loaded"
done
IFS=' '
for name in $loaded; do
	step rmmod "$name"
done
# kmemleak reports objects 5 s old and unchanged across two scans
sleep 6
echo scan > /sys/kernel/debug/kmemleak
echo scan > /sys/kernel/debug/kmemleak
echo "kfault-init: kmemleak report begin"
cat /sys/kernel/debug/kmemleak
echo "kfault-init: kmemleak report end"
echo "kfault-init: done"
poweroff -f -f

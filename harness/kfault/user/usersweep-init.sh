#!/bin/sh
# init of a UML boot on the host's root (hostfs, read-only) for a sweep from
# user space ('make sweep TARGET=<a target with [user]>').  From the kernel
# command line: KFAULT_USER_DIR, the sweep's directory on the host (made
# writable here: the plan, the helper, the records), KFAULT_BOOT, the boot's
# number, KFAULT_RESUME, OP:NTH to resume after, only:OP:ID to run the
# point with that id alone (or "-"), and KFAULT_REJECT, START-END of
# kmemleak's text: the stack filter neither fails nor counts kmemleak's own
# allocations.  The engine is the kfault library's (debugfs kfault/user).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
mount -t devtmpfs devtmpfs /dev
dir="$KFAULT_USER_DIR"
mount -t hostfs hostfs "$dir" -o "$dir" || echo "kfault-user: FAILED: mount $dir"
# the engine fails sleeping allocations too, and order-0 pages per operation
# (kfault-user); each injected failure dumps its stack (verbose=2), and
# here not rate limited
knobs=/sys/kernel/debug
for attr in failslab fail_page_alloc; do
	echo N > $knobs/$attr/ignore-gfp-wait
	echo 2 > $knobs/$attr/verbose
	echo 0 > $knobs/$attr/verbose_ratelimit_interval_ms
	if [ "$KFAULT_REJECT" != "-" ] && [ -n "$KFAULT_REJECT" ]; then
		echo "${KFAULT_REJECT%-*}" > $knobs/$attr/reject-start
		echo "${KFAULT_REJECT#*-}" > $knobs/$attr/reject-end
	fi
done
echo "kfault-user: boot $KFAULT_BOOT"
records="$dir/boot-$KFAULT_BOOT.records"
if [ "$KFAULT_RESUME" = "-" ] || [ -z "$KFAULT_RESUME" ]; then
	"$dir/kfault-user" "$dir/plan.txt" "$records"
else
	# shellcheck disable=SC2046 # its words are separate arguments
	"$dir/kfault-user" "$dir/plan.txt" "$records" $(echo "$KFAULT_RESUME" | tr : ' ')
fi
echo "kfault-user: exit $?"
# kmemleak reports objects 5 s old and unchanged across two scans
sleep 6
echo scan > $knobs/kmemleak
echo scan > $knobs/kmemleak
cat $knobs/kmemleak > "$dir/boot-$KFAULT_BOOT.kmemleak"
sync
echo "kfault-user: done"
poweroff -f -f

// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: the tables that say which console lines and which stack frames
 * are whose.  The harness's side of them is harness/kfault/console/tables.py;
 * harness/tests/test_tables.py checks that the lists both sides use to
 * decide the same thing (report heads, artefacts, allocator frames) agree.
 */
#include <linux/string.h>

#include "internal.h"

/* How a kernel report's first line starts (tables.py: REPORT_HEADERS). */
static const char * const kfault_report_heads[] = {
	"BUG: ", "WARNING: ", "UBSAN: ", "Oops", "kernel BUG",
	"INFO: possible recursive locking", "INFO: task ",
};

/*
 * Kernel reports that fault injection itself causes, outside the target:
 * a failed slab extension vector (MEM_ALLOC_PROFILING) WARNs in 6.12, and
 * KUnit WARNs when it cannot allocate the stream that prints a failed
 * assertion (lib/kunit/test.c, seen sweeping property-entry).
 */
static const char * const kfault_artefacts[] = {
	"alloc_tagging_slab_alloc_hook", "__kunit_do_failed_assertion",
};

/*
 * What lies between an allocation and its caller in kmemleak's backtrace,
 * compared with the frame's name stripped of leading underscores
 * (tables.py: ALLOCATOR_FRAMES).
 */
static const char * const kfault_alloc_frames[] = {
	"save_stack_trace", "stack_trace_save", "set_track", "alloc_object",
	"create_object", "kmemleak_", "kmalloc", "kmem_cache_alloc", "vmalloc",
	"vzalloc", "kvmalloc", "kvzalloc", "kmemdup", "kstrdup", "kstrndup",
	"krealloc", "kzalloc", "kcalloc", "memdup_user", "alloc_pages", "devm_",
	"alloc_dr", "devres_alloc", "kvasprintf", "kasprintf",
	"slab_post_alloc_hook", "slab_alloc", "do_kmalloc",
};

/*
 * What inside an allocator is the kernel's own bookkeeping, never the
 * target's, and comes and goes between runs: kmemleak's metadata, slab
 * pages and their extension vectors, KASAN's shadow and stack depot, page
 * tables of vmalloc mappings, and the per-cpu preloads - vmalloc's
 * vmap_area, the radix tree's nodes for IDR users such as kernfs - which
 * allocate or not depending on what an earlier caller left in the pool
 * (seen in 'make determinism'; failing them takes the error path of the
 * allocation next to them), and SLUB_RCU_DEBUG's delayed free of an object
 * of a SLAB_TYPESAFE_BY_RCU cache (slab_free_hook, seen closing a file).
 */
static const char * const kfault_bookkeeping[] = {
	"alloc_object", "mem_pool_alloc", "kmemleak", "alloc_slab_obj_exts",
	"allocate_slab", "new_slab", "alloc_slab_page", "kasan_", "stack_depot",
	"depot_", "__pte_alloc", "pte_alloc", "__pmd_alloc", "__pud_alloc",
	"__p4d_alloc", "vmap_pages", "set_track", "alloc_vmap_area",
	"radix_tree_node_alloc", "__radix_tree_preload", "radix_tree_preload",
	"idr_preload", "slab_free_hook",
};

/*
 * Call sites whose objects the kernel keeps on purpose after the call that
 * made them returned (tables.py: KEPT, with the reason of each): neither
 * leak check counts them (live.c, and tags.c's scope of a point).
 */
static const char * const kfault_kept[] = {
	"preload_this_cpu_lock", "alloc_thread_stack_node", "create_worker",
};

/*
 * What one new workqueue worker leaves allocated for as long as it lives:
 * its struct worker and its name (create_worker(), kthread_create_on_node())
 * and the task kthreadd forks for it (its stack is kfault_kept).  A pool
 * keeps an idle worker for 5 minutes (kernel/workqueue.c
 * IDLE_WORKER_TIMEOUT), so whether a point makes one depends on the points
 * before it; tags.c takes one call at each of these sites off a point's
 * growth for each worker the system gained during the point (tables.py:
 * WORKER_SITES).  Seen on a night: ext4_mballoc_test and regmap points.
 */
static const char * const kfault_worker_sites[] = {
	"alloc_worker", "kvasprintf", "alloc_task_struct_node", "copy_signal",
	"copy_sighand", "alloc_pid", "set_kthread_struct", "prepare_creds",
};

/*
 * Functions that raise a count others wait on and lower it on their way
 * out: a fault caught inside one skipped the lowering, and the waiters wait
 * for ever.  driver_probe_device() counts probes in flight (probe_count,
 * drivers/base/dd.c); device_shutdown() waits for none to be left
 * (wait_for_device_probe()).  Seen: a fault caught in a kunit_device
 * driver's probe (U5), then the boot hung at power-off.
 */
static const char * const kfault_counted_sections[] = {
	"driver_probe_device",
};

/*
 * The line of a memory-safety report that says the bad access was a write:
 * KASAN reports the access before it happens and lets it go on, so the
 * memory - a freed object in the quarantine, its neighbour, another
 * vmalloc area - is corrupted.  Seen on iov_iter (all_tests.config): its
 * vmalloc-out-of-bounds writes, and later points crashed in
 * kasan_quarantine_reduce().  A read corrupts nothing.
 */
static const char * const kfault_bad_writes[] = {
	"Write of size ", "BUG: KFENCE: out-of-bounds write",
	"BUG: KFENCE: use-after-free write", "BUG: KFENCE: invalid write",
};

/*
 * Frames of the page allocator, the tracepoints and the fault-injection
 * machinery: what lies between an allocation and its caller.
 */
static const char * const kfault_machinery[] = {
	"kfault_", "__traceiter_", "__alloc_pages", "alloc_pages", "__alloc_frozen",
	"alloc_frozen", "__folio_alloc", "folio_alloc", "__get_free_pages",
	"get_zeroed_page", "prepare_alloc_pages", "should_fail", "fail_dump",
	"dump_stack", "__dump_stack", "show_stack", "stack_trace_save",
	"save_stack_trace",
};

/* Does s start with (or, anywhere, contain) one of the table's strings? */
static bool kfault_has_any(const char *s, const char * const *table,
			   unsigned int nr, bool anywhere)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (anywhere ? !!strstr(s, table[i]) : str_has_prefix(s, table[i]))
			return true;
	return false;
}

bool kfault_is_report(const char *line)
{
	return !kfault_has_any(line, kfault_artefacts,
			       ARRAY_SIZE(kfault_artefacts), true) &&
	       kfault_has_any(line, kfault_report_heads,
			      ARRAY_SIZE(kfault_report_heads), false);
}

bool kfault_is_bad_write(const char *line)
{
	return kfault_has_any(line, kfault_bad_writes,
			      ARRAY_SIZE(kfault_bad_writes), false);
}

bool kfault_is_alloc_frame(const char *function)
{
	while (*function == '_')
		function++;
	return kfault_has_any(function, kfault_alloc_frames,
			      ARRAY_SIZE(kfault_alloc_frames), false);
}

bool kfault_is_bookkeeping(const char *function)
{
	return kfault_has_any(function, kfault_bookkeeping,
			      ARRAY_SIZE(kfault_bookkeeping), false);
}

bool kfault_is_machinery(const char *name)
{
	return kfault_has_any(name, kfault_machinery,
			      ARRAY_SIZE(kfault_machinery), false);
}

bool kfault_is_kept(const char *function)
{
	return kfault_has_any(function, kfault_kept, ARRAY_SIZE(kfault_kept),
			      false);
}

/* @function is one of @table's, exactly (NULL is none) */
static bool kfault_is_one_of(const char *function, const char * const *table,
			     size_t n)
{
	size_t i;

	for (i = 0; function && i < n; i++)
		if (!strcmp(function, table[i]))
			return true;
	return false;
}

bool kfault_is_worker_site(const char *function)
{
	return kfault_is_one_of(function, kfault_worker_sites,
				ARRAY_SIZE(kfault_worker_sites));
}

bool kfault_is_counted_section(const char *function)
{
	return kfault_is_one_of(function, kfault_counted_sections,
				ARRAY_SIZE(kfault_counted_sections));
}

/* SPDX-License-Identifier: GPL-2.0 */
/* kfault's parts, as they see each other.  Not for suites: see kfault.h. */
#ifndef _KFAULT_INTERNAL_H
#define _KFAULT_INTERNAL_H

#include <linux/alloc_tag.h>
#include <linux/device/driver.h>
#include <linux/fault-inject.h>
#include <linux/kmsg_dump.h>

#include "kfault.h"

/*
 * The vmlinux section holding every built-in allocation call site's tag
 * (CODETAG_SECTIONS() in the linker script); no kernel header declares it.
 */
extern struct alloc_tag __start_alloc_tags[], __stop_alloc_tags[];

#define KFAULT_LINE_LEN		256
#define KFAULT_STACK_DEPTH	48

/* The built-in KUnit suites (the executor's section; no header declares it). */
extern struct kunit_suite * const __kunit_suites_start[];
extern struct kunit_suite * const __kunit_suites_end[];

/* ---- knobs.c ------------------------------------------------------------ */

/* A debugfs knob we change, and the value to put back. */
struct kfault_knob {
	const char *dir;
	const char *file;
	size_t size;		/* sizeof(bool), sizeof(u32), sizeof(ulong) */
	unsigned long set;
	void *ptr;
	unsigned long saved;
	bool changed;		/* saved holds its value: restore it */
};

#define KFAULT_NR_KNOBS		6

struct kfault_knobs {
	struct kfault_knob knob[KFAULT_NR_KNOBS];
	struct fault_attr *attrs[2];	/* failslab, fail_page_alloc */
};

int kfault_knobs_apply(struct kfault_knob *knobs, unsigned int nr);
void kfault_knobs_restore(struct kfault_knob *knobs, unsigned int nr);
int kfault_knobs_set(struct kfault_knobs *k);

/* ---- text.c, tags.c, ids.c, probes.c: the target, its sites, the events - */

struct kfault_text {
	unsigned long start, end;
};

int kfault_find_text(const struct kfault_target *target,
		     struct kfault_text *text);

/*
 * The armed window's allocation events and the failure, filled inside the
 * allocator by the tracepoint probes, maybe in atomic context.
 */
struct kfault_bus_state;

struct kfault_catch {
	struct task_struct *armed;
	bool stack_filter;		/* events only through the target */
	unsigned int events;		/* allocations completed so far */
	bool arm_on_event;		/* arm after the event below: */
	u32 arm_hash;			/* ... the one with this site hash */
	unsigned int arm_occurrence;	/* ... seen this often before it */
	unsigned int arm_count;		/* ... with fail_nth = this */
	bool fail_armed;		/* current->fail_nth was set */
	unsigned int armed_at;		/* events when it was set */
	unsigned int rearmed;		/* bookkeeping failures skipped */
	bool captured;
	struct kfault_site cap;
	unsigned long entries[KFAULT_STACK_DEPTH];
	char (*symbols)[KFAULT_SYM_LEN];	/* the failure's, if not NULL */
	unsigned int nr_symbols;
	u32 *hash;			/* each event's site hash ... */
	unsigned int max_events;	/* ... for this many events */
	u32 hash_store[KFAULT_MAX_NTH];	/* the op sweeps' hash */
	struct kfault_site *sites;	/* each event's site, if not NULL */
	struct kfault_bus_state *bus;	/* a suite point's KUnit bus (bus.c) */
	/* the first allocation that may sleep, made in atomic context */
	unsigned long atomic_site;
	unsigned int atomic_preempt;	/* the caller's preempt count */
	bool atomic_irqs_off;
	unsigned int atomic_events;	/* how many such allocations */
};

/*
 * The target's allocation tags, all of them: a tag of the target's
 * directories left out would be checked by neither leak check (live.c
 * leaves the target's own tags to this one).  Sized at kfault_find_tags().
 */
struct kfault_tags {
	struct alloc_tag **tag;
	unsigned int nr;
	s64 *calls_before;
	s64 *bytes_before;
	s64 *calls;
	s64 *bytes;
	unsigned int workers_before;	/* live workqueue workers at the snapshot */
	unsigned int new_workers;	/* how many more at the last read */
};

/* ---- live.c: what a point's tasks allocated and did not free ------------ */

#define KFAULT_LIVE_BITS	13
#define KFAULT_LIVE_SLOTS	BIT(KFAULT_LIVE_BITS)	/* half used at most */
#define KFAULT_LIVE_TAGS	512
#define KFAULT_LIVE_TASKS	4

#define KFAULT_LIVE_DEPTH	16	/* return addresses kept per object */
#define KFAULT_LIVE_GROUPS	16	/* sites reported per point */
#define KFAULT_LIVE_CALLERS	3	/* callers named past the allocator */

struct kfault_live_obj {
	const void *ptr;		/* a slab object or a struct page */
	unsigned int tag;		/* its site: an index into tags */
	unsigned int bytes;
	unsigned long stack[KFAULT_LIVE_DEPTH];	/* from the probe out */
};

struct kfault_live_tag {
	struct alloc_tag *tag;
	s64 calls_before;		/* the tag's count before our first */
	s64 bytes_before;
	unsigned int live;		/* ours, not seen freed */
	u64 bytes;
};

struct kfault_live {
	raw_spinlock_t lock;
	bool on;
	struct task_struct *task[KFAULT_LIVE_TASKS];	/* whose allocations */
	unsigned int nr_tasks;
	struct kfault_live_obj *obj;	/* open addressing by address */
	unsigned int nr_obj;
	struct kfault_live_tag *tags;
	unsigned int nr_tags;
	unsigned int untracked;		/* no tag, or a table full */
};

int kfault_live_init(struct kfault_live *l);
void kfault_live_free_tables(struct kfault_live *l);
void kfault_live_begin(struct kfault_live *l);
void kfault_live_add_task(struct kfault_live *l, struct task_struct *task);
void kfault_live_alloc(struct kfault_live *l, const void *ptr, size_t bytes);
void kfault_live_free(struct kfault_live *l, const void *ptr);
struct kfault_env;
unsigned int kfault_live_end(struct kfault_live *l,
			     const struct kfault_env *env, char *buf,
			     size_t len, unsigned int *untracked);

/* ---- console.c ---------------------------------------------------------- */

struct kfault_console {
	struct kmsg_dump_iter iter;
	char line[KFAULT_LINE_LEN];
};

/* ---- the environment ---------------------------------------------------- */

struct kfault_stats {
	unsigned int points;
	unsigned int attempts;
	unsigned int verdicts[KFAULT_NR_VERDICTS];
	u64 ns;
	unsigned int live_untracked;	/* objects the live check could not follow */
};

/* The sweep's scratch. */
struct kfault_calls {
	unsigned long target_addr;	/* kfault.target's call, or 0 */
	struct kfault_result res;
	u32 expect[KFAULT_MAX_NTH];	/* each event's hash, counted */
	unsigned int skip;		/* countable allocations to let pass */
};

/* ---- guard.c: a kernel-mode fault ends the point (ARCH=um) ------------- */

struct kfault_fault {
	bool caught;		/* fn faulted and came back here */
	bool unusable;		/* ... leaving a lock held, or atomic */
	unsigned long addr;	/* the faulting address */
	unsigned long ip;	/* the faulting instruction */
	unsigned int reports;	/* KASAN/KFENCE reports during the call */
	bool flooded;		/* ... the rest silenced after KFAULT_FLOOD */
	long printed;		/* bytes printk stored during the call */
	bool muted;		/* ... the console silenced past the bound */
	bool wrote;		/* a report of a bad write: memory is corrupted */
};

/* Memory-safety reports a point's code may print before the rest are silenced */
#define KFAULT_FLOOD	16
/* Console bytes a guarded call may print before the console is silenced */
#define KFAULT_CONSOLE_BOUND	(256 * 1024)

/* The KUnit bus's drivers and devices (bus.c) */
struct kfault_bus {
	int drivers;
	int devices;
};

#define KFAULT_BUS_BEFORE	16
#define KFAULT_BUS_KEPT		4

/* A driver a point registered, as it was before the case's cleanup */
struct kfault_bus_kept {
	const struct device_driver *drv;	/* compared only, after the cleanup */
	struct device_driver copy;		/* what the driver core is given */
	char name[64];
};

/* Drivers or devices on the bus, by address only */
struct kfault_bus_seen {
	unsigned int nr;
	const void *p[KFAULT_BUS_BEFORE];
};

/* The bus as a point found it, the drivers it registered, what was put back */
struct kfault_bus_state {
	struct kfault_bus count;
	bool lost;			/* more than the arrays below hold */
	struct kfault_bus_seen drivers_before;
	struct kfault_bus_seen devices_before;
	unsigned int nr_kept;
	struct kfault_bus_kept kept[KFAULT_BUS_KEPT];
	unsigned int nr_taken;
	struct device *taken[KFAULT_BUS_KEPT];
	struct kfault_bus removed;	/* taken off the bus after the point */
};

struct kunit;
void kfault_bus_init(struct kunit *test);
void kfault_bus_read(struct kfault_bus *b);
bool kfault_bus_left(const struct kfault_bus *before, struct kfault_bus *left,
		     char *buf, size_t size);
void kfault_bus_note(struct kfault_bus_state *b);
void kfault_bus_keep(struct kfault_bus_state *b);
int kfault_bus_put_back(struct kfault_bus_state *b, bool faulted);

void kfault_guard_init(void);
int kfault_guard(int (*fn)(void *arg), void *arg, struct kfault_fault *fault);
bool kfault_guard_ended(void);

/* The user engine's armed task lends its arming to a case thread (user.c) */
struct task_struct *kfault_user_lend(void);
void kfault_user_give_back(struct task_struct *to);

/* A KUnit test module's suites run guarded while the user engine is open */
struct module;
#ifdef CONFIG_MODULES
void kfault_mods_init(void);
void kfault_mods_module(struct module *mod, unsigned long state);
#else
static inline void kfault_mods_init(void)
{
}

static inline void kfault_mods_module(struct module *mod, unsigned long state)
{
}
#endif
struct kfault_result;
void kfault_guard_end(const char *op, unsigned int nth,
		      const struct kfault_fault *f, struct kfault_result *res);
void kfault_guard_damaged(const char *op, unsigned int nth,
			  const struct kfault_result *res);
void kfault_guard_result(const struct kfault_env *env,
			 const struct kfault_fault *f, struct kfault_result *res);

struct kfault_env {
	const struct kfault_target *target;
	struct kfault_knobs knobs;
	struct kfault_text text;
	struct kfault_tags tags;
	struct kfault_console console;
	struct kfault_catch catch;
	struct kfault_live live;
	struct kfault_calls calls;
	struct kfault_stats stats;
	unsigned int last_events;	/* the last operation's, counted */
	struct kfault_fault fault;	/* the last call's, if it faulted */
};

bool kfault_in_text(const struct kfault_text *text, unsigned long addr);
bool kfault_in_target(const struct kfault_env *env, unsigned long addr);
enum kfault_nesting kfault_nesting(const struct kfault_site *site);
/* ---- tables.c: which lines and frames are whose ------------------------ */

bool kfault_is_report(const char *line);
bool kfault_is_bad_write(const char *line);
bool kfault_is_alloc_frame(const char *function);
bool kfault_is_bookkeeping(const char *function);
bool kfault_is_kept(const char *function);
bool kfault_is_worker_site(const char *function);
bool kfault_is_counted_section(const char *function);
bool kfault_is_machinery(const char *name);
u32 kfault_site_hash(const struct kfault_site *site);
unsigned int kfault_occurrence(const u32 *hashes, unsigned int before,
			       u32 hash);

/*
 * Allocations fault injection counts but that have no event of their own
 * can sit between event k - 1 and event k's allocation: the page
 * allocator's bulk path in vmalloc, a silent __GFP_NOWARN page, or the
 * kernel's bookkeeping that it does not tolerate failing (vmalloc's
 * vmap_area: vmalloc returns NULL and event k never comes).  Then skip
 * them, failing the second, third, ... allocation after event k - 1, until
 * the failure is event k's.
 */
#define KFAULT_MAX_SKIP		4

u32 kfault_site_id(const struct kfault_site *site);
u32 kfault_expect_id(const u32 *expect, unsigned int nth);
bool kfault_hit(const struct kfault_site *site, const u32 *expect,
		unsigned int nth);
bool kfault_miss(const struct kfault_result *res);
void kfault_site_from_stack(struct kfault_env *env, unsigned int nr,
			    unsigned long call_site, struct kfault_site *site);
void kfault_catch_arm(struct kfault_catch *c, const u32 *expect,
		      unsigned int nth, unsigned int count);
unsigned int kfault_catch_kept(const struct kfault_catch *c);
bool kfault_own_tag(const struct kfault_env *env, const struct alloc_tag *tag);
bool kfault_list_match(const char *list, const char *s);
bool kfault_in_srcdir(const char *srcdirs, const char *file);
bool kfault_sleeping_in_atomic(gfp_t gfp, unsigned int *count);
void kfault_catch_atomic_report(const struct kfault_catch *c,
				struct kfault_result *res);
int kfault_find_tags(struct kfault_env *env);
void kfault_free_tags(struct kfault_tags *t);
void kfault_tags_snapshot(struct kfault_env *env);
unsigned int kfault_tags_diff(struct kfault_env *env, char *buf, size_t len);
unsigned int kfault_tags_read_grown(struct kfault_env *env);
bool kfault_tags_grown(const struct kfault_tags *t, unsigned int i, s64 *dc,
		       s64 *db);
void kfault_worker_discount(const char *function, unsigned int workers,
			    s64 *dc, s64 *db);
int kfault_probes_register(struct kfault_env *env);
void kfault_probes_unregister(struct kfault_env *env);
void kfault_allocator_name(const char *sym, char *buf, size_t len);
u32 kfault_fnv(u32 h, const void *s, size_t n);
#define KFAULT_FNV_SEED		2166136261u

void kfault_settle(void);
void kfault_console_mark(struct kfault_console *c);
void kfault_console_scan(struct kfault_console *c,
			 const struct kfault_text *text, struct kfault_site *site,
			 struct kfault_result *res);
bool kfault_console_seen(struct kfault_console *c, const char *needle);

/* ---- output.c: every "kfault:" line ------------------------------------- */

void kfault_point_desc(const struct kfault_op *op,
		       const struct kfault_point *point, char *buf, size_t len);
void kfault_print_target(const struct kfault_env *env);
void kfault_print_try_name(const char *op, unsigned int nth);
void kfault_print_try_id(const char *op, unsigned int nth, u32 id);
void kfault_print_ran_name(const char *op, unsigned int nth,
			   enum kfault_verdict v, const struct kfault_site *s,
			   unsigned int events);
void kfault_print_thread(const char *op, unsigned int nth, pid_t pid);
void kfault_print_left(const char *op, unsigned int nth,
		       const struct kfault_bus *left,
		       const struct kfault_bus *removed);
void kfault_print_suite(const char *suite, unsigned int cases, bool excluded);
void kfault_print_capped(const char *suite, unsigned int ms, const char *op,
			 unsigned int nth);
void kfault_print_unusable(const char *op, unsigned int nth, const char *why);
void kfault_print_event(unsigned int nr, const struct kfault_site *s);
void kfault_print_canary_read(int value);
void kfault_print_try(const struct kfault_op *op, unsigned int nth,
		      unsigned int fill, unsigned long target);
void kfault_print_ran(const struct kfault_op *op,
		      const struct kfault_result *res, unsigned int events);
void kfault_print_done_name(const char *op, unsigned int nth);
void kfault_print_done(const struct kfault_op *op, unsigned int events);
void kfault_log_count(struct kunit *test, const struct kfault_op *op,
		      int nr, unsigned int bookkeeping, unsigned int events);
void kfault_log_point(struct kunit *test, const struct kfault_op *op,
		      const struct kfault_point *pt);
void kfault_log_result(struct kunit *test, const struct kfault_op *op,
		       const struct kfault_point *point,
		       const struct kfault_result *res);
void kfault_log_any_result(struct kunit *test, const char *op, unsigned int nth,
			   enum kfault_verdict v, int ret,
			   const struct kfault_result *res, const char *param);
void kfault_log_cap(struct kunit *test, const char *op, unsigned int events);
void kfault_log_stats(struct kunit *test, const struct kfault_env *env);
void kfault_log_leak(struct kunit *test, const char *block);
void kfault_log_second_canary(struct kunit *test);
void kfault_log_kmemleak(struct kunit *test, const struct kfault_env *env,
			 bool canary, unsigned int target, unsigned int kernel);
void kfault_log_kernel_leak(struct kunit *test, const char *block,
			    const char *caller);

/* ---- kunit.c, kmemleak.c ----------------------------------------------- */

#define KMEMLEAK_BLOCK		"unreferenced object"

/*
 * What kmemleak's report tells, block by block: each "unreferenced object"
 * block is handed to kfault_kmemleak_block() whole, whatever the size of
 * the report.  Read into one buffer of a fixed size, a night's last boot
 * (hundreds of objects) lost its end - and the canary, the newest object,
 * is the last block: "kmemleak did not report the canary" in both shards.
 */
struct kfault_kmemleak_read {
	struct kunit *test;
	const char *prefix;	/* the target's, "" for a suite sweep */
	bool canary_only;	/* the second canary's report: only look for it */
	char *buf;
	size_t size;		/* of buf */
	size_t have;		/* bytes in buf */
	bool canary;
	unsigned int target;	/* leaks whose caller is the target's */
	unsigned int kernel;	/* the kernel's own under a target call */
	unsigned int blocks;	/* every block */
};

void kfault_kmemleak_got(struct kfault_kmemleak_read *r, size_t n);
void kfault_kmemleak_end(struct kfault_kmemleak_read *r);

struct kfault_env *kfault_test_env(struct kunit *test);
void kfault_canary_run(struct kunit *test, int (*fn)(void *));

/* ---- sweep.c ------------------------------------------------------------ */

const char *kfault_resume(void);
const char *kfault_only(void);

/* ---- cov_flush.c -------------------------------------------------------- */

/* libgcov's, linked only into make review's coverage build (UML). */
void __gcov_dump(void);

#endif /* _KFAULT_INTERNAL_H */

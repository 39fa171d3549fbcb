// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: a kernel-mode fault ends the point, not the kernel (ARCH=um).
 *
 * On UML every kernel-mode fault panics (arch/um/kernel/trap.c segv():
 * "Segfault with no mm" for a kernel thread), where x86_64 kills only the
 * faulting thread.  segv() has one way out that is not a panic: a task
 * with an mm and a fault catcher (current->thread.fault_catcher, a jmp_buf)
 * is longjmp'ed back to it, the path that UML's copy_from_user() once
 * used.  kfault_guard() runs a point's code that way: the sweep's thread
 * borrows an mm of its own (kthread_use_mm()) for the call, and a fault -
 * a NULL dereference, a non-canonical pointer, a freed page - comes back
 * as an oops printed here, in the format of UML's own, and the sweep goes
 * on with the next point.
 *
 * segv() runs in the host's SIGSEGV handler on the IRQ stack, and the jump
 * skips its return: what the return would have undone is undone here -
 * the task's stack and thread_info (arch/um/kernel/irq.c from_irq_stack()),
 * the host's blocked interrupt signals (the handler's sa_mask), and KASAN's
 * poison of the skipped frames on both stacks.
 *
 * What the skipped code held is known from lockdep's lock_acquire and
 * lock_release tracepoints, which keep firing after a taint turned lockdep
 * off: mutexes, spinlocks and RCU read sections are released, a lock whose
 * own memory faulted as it was taken is undone; any other lock, the preempt
 * count raised or interrupts off, and a KASAN report before the fault make
 * the kernel unusable, and the sweep ends its boot, as before.  Faults at a
 * user address above the first page still panic in segv() before the
 * catcher is looked at.
 */
#include <linux/debug_locks.h>
#include <linux/kallsyms.h>
#include <linux/kasan.h>
#include <linux/kthread.h>
#include <linux/lockdep.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/debug.h>
#include <linux/sched/mm.h>
#include <linux/sched/task_stack.h>
#include <linux/signal.h>
#include <linux/string.h>
#include <trace/events/error_report.h>
#include <trace/events/lock.h>
#include <trace/events/printk.h>

#include "internal.h"

#ifdef CONFIG_UML
#include <asm/ptrace.h>
#include <asm/stacktrace.h>
#include <longjmp.h>

/*
 * The faulting frames lie below the guard's; what runs after the jump
 * reuses that stack.  fn is called below a gap, so that the stack walk
 * that runs first (a few frames: UML's dump_trace() from the fault's
 * registers) reads them before anything overwrites them.
 */
#define KFAULT_GUARD_GAP	1024
#define KFAULT_GUARD_FRAMES	64

static struct mm_struct *kfault_guard_mm;

/*
 * kfault.guard=0: a kernel-mode fault panics, as UML does without the
 * guard - one boot per crash, for comparing a sweep with and without it.
 */
static bool guard = true;
module_param(guard, bool, 0644);
MODULE_PARM_DESC(guard, "catch kernel-mode faults of a point (UML)");

/* The fault's registers and frames: one sweep thread guards at a time. */
static struct kfault_guard_oops {
	struct pt_regs regs;
	unsigned long entries[KFAULT_GUARD_FRAMES];
	bool reliable[KFAULT_GUARD_FRAMES];	/* on the frame-pointer chain */
	unsigned int nr;
} kfault_guard_oops;

/* Every text address on the stack, as UML's show_stack() has them */
static void kfault_guard_frame(void *data, unsigned long addr, int reliable)
{
	struct kfault_guard_oops *o = data;

	if (o->nr == KFAULT_GUARD_FRAMES)
		return;
	o->reliable[o->nr] = reliable;
	o->entries[o->nr++] = addr;
}

static const struct stacktrace_ops kfault_guard_frames = {
	.address = kfault_guard_frame,
};

#define KFAULT_GUARD_LOCKS	32

/*
 * The guarded call, one at a time (one sweep thread guards), kept out of the
 * registers and stack slots the jump restores: a call that faulted inside
 * lockdep came back with its fault pointer 0x110 off (kunit-resource-test
 * under lockdep), its result written into the guard's own frame.
 *
 * map[] holds the locks the call took and has not released.  lock_acquire()
 * and lock_release() fire their tracepoints before they look at
 * debug_locks (kernel/locking/lockdep.c), so this keeps counting after a
 * taint turned lockdep off - as any KASAN report does - where lockdep's
 * held_locks stop.  A trylock is traced only when it took the lock.
 */
static struct kfault_guard_call {
	struct task_struct *task;	/* the call's thread; NULL between calls */
	unsigned int nr;		/* locks held, innermost last */
	bool lost;			/* more held at once than map[] keeps */
	struct lockdep_map *map[KFAULT_GUARD_LOCKS];
	struct kfault_fault *fault;
	struct mm_struct *borrowed;
	int depth;			/* lockdep's depth, the preempt count, */
	int preempt;			/* the report count and lockdep's */
	int reports;			/* recursion count when the call began */
	unsigned int recursion;
	bool silenced;			/* KASAN reports turned off for the call */
	long printed;			/* console bytes when the call began */
	bool muted;			/* the console silenced for the call */
	int loglevel;			/* ... and its console_loglevel before */
	bool wrote;			/* it reported a bad write */
} kfault_guard_now;

static bool kfault_guard_tracking;

/* lockdep's per-CPU recursion count: raised while lockdep runs */
static unsigned int kfault_guard_recursion(void)
{
#ifdef CONFIG_LOCKDEP
	return this_cpu_read(lockdep_recursion);
#else
	return 0;
#endif
}

/*
 * KASAN's and KFENCE's reports, from any task (error_report_end).  A
 * guarded call that keeps reporting - kasan_multi_shot prints one report
 * per bad byte: 16,910 reports in the first 50 MB of one upstream point -
 * has KASAN reports turned off for its thread after KFAULT_FLOOD of them,
 * as KASAN's own report path does around itself (kasan_disable_current()).
 * The first ones are the evidence; the rest are not counted.
 */
static atomic_t kfault_guard_reports = ATOMIC_INIT(0);

static void kfault_guard_reported(void *data, enum error_detector detector,
				  unsigned long id)
{
	struct kfault_guard_call *g = &kfault_guard_now;
	int n = atomic_inc_return(&kfault_guard_reports) - g->reports;

	if (READ_ONCE(g->task) != current || g->silenced ||
	    n < KFAULT_FLOOD)
		return;
	g->silenced = true;
	kasan_disable_current();
}

/*
 * Every message printk stores, from any context, while a call is guarded
 * (the console tracepoint): a call whose messages pass KFAULT_CONSOLE_BOUND
 * bytes has the console silenced (console_loglevel, as "quiet" does) until
 * it returns; they stay in the ring buffer.  So no call prints more than
 * the bound and one message to the console, whatever floods: a WARN in a
 * loop, a lockdep splat per lock, a driver's dev_err per retry.
 */
static atomic_long_t kfault_guard_printed = ATOMIC_LONG_INIT(0);
static bool kfault_guard_bounding;

static void kfault_guard_printk(void *data, const char *text, size_t len)
{
	struct kfault_guard_call *g = &kfault_guard_now;
	long n = atomic_long_add_return(len + 1, &kfault_guard_printed);

	/* KASAN and KFENCE report in the task that made the access */
	if (READ_ONCE(g->task) == current && !g->wrote &&
	    kfault_is_bad_write(text))
		g->wrote = true;
	if (!READ_ONCE(g->task) || g->muted ||
	    n - g->printed <= KFAULT_CONSOLE_BOUND)
		return;
	g->muted = true;
	g->loglevel = console_loglevel;
	console_loglevel = CONSOLE_LOGLEVEL_SILENT;
}

#ifdef CONFIG_LOCKDEP
static void kfault_guard_acquired(void *data, struct lockdep_map *lock,
				  unsigned int subclass, int trylock, int read,
				  int check, struct lockdep_map *next_lock,
				  unsigned long ip)
{
	struct kfault_guard_call *h = data;

	if (READ_ONCE(h->task) != current)
		return;
	if (h->nr == ARRAY_SIZE(h->map))
		h->lost = true;
	else
		h->map[h->nr++] = lock;
}

/* The innermost hold of the lock goes; one taken before the call is not here */
static void kfault_guard_released(void *data, struct lockdep_map *lock,
				  unsigned long ip)
{
	struct kfault_guard_call *h = data;
	unsigned int i;

	if (READ_ONCE(h->task) != current)
		return;
	for (i = h->nr; i-- > 0;) {
		if (h->map[i] != lock)
			continue;
		memmove(&h->map[i], &h->map[i + 1],
			(h->nr - i - 1) * sizeof(h->map[0]));
		h->nr--;
		return;
	}
}

static bool kfault_guard_track(void)
{
	if (register_trace_error_report_end(kfault_guard_reported, NULL))
		return false;
	if (register_trace_lock_acquire(kfault_guard_acquired,
					&kfault_guard_now))
		goto err_reports;
	if (register_trace_lock_release(kfault_guard_released,
					&kfault_guard_now))
		goto err_acquire;
	return true;

err_acquire:
	unregister_trace_lock_acquire(kfault_guard_acquired,
				      &kfault_guard_now);
err_reports:
	unregister_trace_error_report_end(kfault_guard_reported, NULL);
	return false;
}
#else
static bool kfault_guard_track(void)
{
	return false;
}
#endif

/*
 * The mm to borrow and the lock tracking, made when the environment is,
 * outside any armed window: made by the first guarded call, its
 * allocations were the first point's events (refdev core_create lost its
 * point 1).  Both stay for the boot.
 */
void kfault_guard_init(void)
{
	if (!kfault_guard_mm)
		kfault_guard_mm = mm_alloc();
	if (!kfault_guard_mm)
		pr_warn("kfault: no mm for the fault guard: a kernel-mode fault will panic\n");
	if (!kfault_guard_tracking)
		kfault_guard_tracking = kfault_guard_track();
	if (!kfault_guard_tracking)
		pr_warn("kfault: no lock tracking for the fault guard: a caught fault ends the boot\n");
	if (!kfault_guard_bounding)
		kfault_guard_bounding = !register_trace_console(kfault_guard_printk,
								NULL);
	if (!kfault_guard_bounding)
		pr_warn("kfault: no console bound for the fault guard\n");
}

static noinline int kfault_guard_call(int (*fn)(void *arg), void *arg)
{
	char gap[KFAULT_GUARD_GAP];
	int ret;

	ret = fn(arg);
	barrier_data(gap);
	return ret;
}

/* from_irq_stack() of the handler that never returned */
static void kfault_guard_leave_irq_stack(void)
{
	struct thread_info *irq = current->stack;
	struct thread_info *to = irq->real_thread;

	if (!to)
		return;
	current->stack = to;
	irq->real_thread = NULL;
	*to = *irq;
	kasan_unpoison_range(irq + 1, THREAD_SIZE - sizeof(*irq));
}

/*
 * UML's panic path, as an oops: the title, the registers, the call trace
 * ("?" where a frame is not on the frame-pointer chain)
 */
static void kfault_guard_print(const struct kfault_fault *f,
			       const struct kfault_guard_oops *o)
{
	unsigned int i;

	pr_emerg("BUG: kfault: kernel mode fault at addr 0x%lx, ip %pS\n",
		 f->addr, (void *)f->ip);
	show_regs((struct pt_regs *)&o->regs);
	pr_emerg("Call Trace:\n");
	for (i = 0; i < o->nr; i++)
		pr_emerg(" [<%08lx>] %s%pS\n", o->entries[i],
			 o->reliable[i] ? "" : "? ", (void *)o->entries[i]);
	pr_emerg("kfault: the fault ended the point, not the kernel\n");
}

/* The fault was on the pages of the object at p */
static bool kfault_guard_faulted_on(const void *p, size_t size,
				    unsigned long fault_addr)
{
	unsigned long start = (unsigned long)p;

	return fault_addr >= round_down(start, PAGE_SIZE) &&
	       fault_addr < round_up(start + size, PAGE_SIZE);
}

/*
 * A lock whose own memory faulted was never taken: the fault is its
 * acquisition reading it - a spin_lock() through a NULL or freed object,
 * in do_raw_spin_lock() or at the start of lockdep's __lock_acquire(),
 * which reads the map's key and class cache before anything else.  Its
 * tracepoint had fired; what the acquisition did before the fault is
 * undone: lockdep's per-CPU recursion count, which lock_acquire() raises
 * around __lock_acquire(), here; the preempt count a spinlock raises first
 * by the caller, once the other locks are released.  UML_SETJMP() put the
 * interrupt state back.  Seen 11 times in one kunit* sweep:
 * kunit-resource-test's exit cleans up a struct kunit its failed init
 * never made (addr 0x68).
 */
static bool kfault_guard_not_taken(struct kfault_guard_call *g)
{
	if (!g->nr || !kfault_guard_faulted_on(g->map[g->nr - 1],
					       sizeof(*g->map[0]), g->fault->addr))
		return false;
	g->nr--;
	pr_emerg("kfault: the fault was on the lock being taken: not taken\n");
#ifdef CONFIG_LOCKDEP
	this_cpu_write(lockdep_recursion, g->recursion);
#endif
	return true;
}

#if defined(CONFIG_DEBUG_LOCK_ALLOC) && defined(CONFIG_DEBUG_MUTEXES)
/*
 * A mutex the cut-short code held, proven one: DEBUG_MUTEXES' magic points
 * at the mutex and its owner is this task (the flags are the low 3 bits,
 * kernel/locking/mutex.c).  Read without KASAN: the map may sit in
 * another kind of object.  Not read at all where the fault was: a lock in
 * garbage memory (a spin_lock() of a freed object's lock faults inside
 * it, after lock_acquire() was traced).
 */
static struct mutex *kfault_guard_mutex(struct lockdep_map *map,
					unsigned long fault_addr)
{
	struct mutex *m = container_of(map, struct mutex, dep_map);

	if ((unsigned long)m < PAGE_SIZE ||
	    kfault_guard_faulted_on(m, sizeof(*m), fault_addr) ||
	    READ_ONCE_NOCHECK(m->magic) != m ||
	    (READ_ONCE_NOCHECK(m->owner.counter) & ~0x07L) != (long)current)
		return NULL;
	return m;
}

/* Release a proven mutex once; false when it is not one. */
static bool kfault_guard_release(struct mutex *m)
{
	if (!m || !mutex_is_locked(m))
		return false;
	pr_emerg("kfault: mutex %s, held by the cut-short code, released\n",
		 m->dep_map.name);
	mutex_unlock(m);
	return true;
}
#else
/* Nothing proves a mutex without its debug fields: not released */
static struct mutex *kfault_guard_mutex(struct lockdep_map *map,
					unsigned long fault_addr)
{
	return NULL;
}

static bool kfault_guard_release(struct mutex *m)
{
	return false;
}
#endif

#if defined(CONFIG_DEBUG_LOCK_ALLOC) && defined(CONFIG_DEBUG_SPINLOCK)
/* READ_ONCE_NOCHECK() for an int: a lock word read where KASAN may object */
static __no_sanitize_address unsigned int
kfault_guard_peek(const unsigned int *p)
{
	return READ_ONCE(*p);
}

/*
 * A spinlock the cut-short code held, proven one: DEBUG_SPINLOCK's magic
 * and this task its owner.  Released as spin_unlock() would, which also
 * gives back the preempt count it took; interrupts are as UML_SETJMP() put
 * them back, as they were before the call.  Seen in kunit-resource-test:
 * kunit_remove_resource() faults walking a list under test->lock.
 */
static bool kfault_guard_release_spin(struct lockdep_map *map,
				      unsigned long fault_addr)
{
	raw_spinlock_t *l = container_of(map, raw_spinlock_t, dep_map);

	if ((unsigned long)l < PAGE_SIZE ||
	    kfault_guard_faulted_on(l, sizeof(*l), fault_addr) ||
	    kfault_guard_peek(&l->magic) != SPINLOCK_MAGIC ||
	    READ_ONCE_NOCHECK(l->owner) != current || !raw_spin_is_locked(l))
		return false;
	pr_emerg("kfault: spinlock %s, held by the cut-short code, released\n",
		 map->name);
	raw_spin_unlock(l);
	return true;
}
#else
static bool kfault_guard_release_spin(struct lockdep_map *map,
				      unsigned long fault_addr)
{
	return false;
}
#endif

/*
 * What the caught fault left.  The locks the skipped frames took, innermost
 * first: mutexes, spinlocks and RCU read sections are released (a KUnit
 * suite's exit that faults under rtnl_lock() would hang every later point);
 * any other lock leaves the kernel unusable, and so does a raised preempt
 * count or interrupts off.  While lockdep is on, its depth must agree
 * (-1 printed: lockdep is off).
 * A KASAN or KFENCE report during the call says memory was corrupted
 * before the fault: the fault is likely its consequence and what else the
 * corruption reached is not known - unusable.  Seen on kunit_device: a
 * use-after-free in __device_attach_driver(), a fault, and once the boot
 * went on, device_shutdown() crashed on the freed device at power-off.
 * Seen on dev-addr-list-test: after a KASAN report (lockdep off) a fault
 * under rtnl_lock() - the rtnl is its suite's init - left the mutex held,
 * and once lockdep was off nothing else knew it.
 */
/* The fault came inside a kfault_is_counted_section() function: its name */
static const char *kfault_guard_counted(const struct kfault_guard_oops *o,
					char *name)
{
	unsigned int i;

	for (i = 0; i < o->nr; i++) {
		if (!o->reliable[i] || lookup_symbol_name(o->entries[i], name))
			continue;
		if (kfault_is_counted_section(name))
			return name;
	}
	return NULL;
}

static bool kfault_guard_unusable(struct kfault_guard_call *g)
{
	unsigned long addr = g->fault->addr;
	char name[KSYM_NAME_LEN];
	bool not_taken;
	unsigned int left;

	if (!kfault_guard_tracking || g->lost) {
		pr_emerg("kfault: the locks the fault left held are not known: the kernel is not usable\n");
		return true;
	}
	if (kfault_guard_counted(&kfault_guard_oops, name)) {
		pr_emerg("kfault: the fault came inside %s(), which leaves a count raised that others wait on: the kernel is not usable\n",
			 name);
		return true;
	}
	if (g->fault->reports) {
		pr_emerg("kfault: %u memory-safety report(s) came before the fault: memory is not to be trusted, the kernel is not usable\n",
			 g->fault->reports);
		return true;
	}
	not_taken = kfault_guard_not_taken(g);
	for (left = g->nr; left; left--) {
		struct lockdep_map *map = g->map[left - 1];

		if (map == &rcu_lock_map)
			rcu_read_unlock();
		else if (!kfault_guard_release(kfault_guard_mutex(map, addr)) &&
			 !kfault_guard_release_spin(map, addr))
			break;
	}
	if (!left && not_taken && preempt_count() == g->preempt + 1)
		preempt_enable();	/* the spinlock's preempt_disable() */
	if (!left && preempt_count() == g->preempt && !irqs_disabled() &&
	    kfault_guard_recursion() == g->recursion &&
	    (!debug_locks || lockdep_depth(current) == g->depth))
		return false;
	pr_emerg("kfault: the fault left %u lock(s) held (lockdep: %d), the preempt count %+d, interrupts %s: the kernel is not usable\n",
		 left, debug_locks ? lockdep_depth(current) - g->depth : -1,
		 preempt_count() - g->preempt, irqs_disabled() ? "off" : "on");
	return true;
}

/*
 * What the call turned off for its duration turned on again, what it
 * printed counted.  @alive: the call's thread is still there (KASAN's
 * silence is that thread's own, and goes with it).
 */
static void kfault_guard_close(struct kfault_guard_call *g, bool alive)
{
	g->fault->printed = atomic_long_read(&kfault_guard_printed) - g->printed;
	g->fault->wrote = g->wrote;
	if (g->muted) {
		g->muted = false;
		console_loglevel = g->loglevel;
		g->fault->muted = true;
		pr_warn("kfault: the call printed %ld bytes: the console was silenced after %u, the rest is in the ring buffer\n",
			g->fault->printed, KFAULT_CONSOLE_BOUND);
	}
	if (g->silenced) {
		g->silenced = false;
		if (alive)
			kasan_enable_current();
		g->fault->flooded = true;
		pr_warn("kfault: a flood of memory-safety reports: the call's first %u kept, the rest silenced\n",
			g->fault->reports);
	}
}

/*
 * A KUnit assertion or kunit_skip() ends the case's thread inside the
 * guarded call (kunit_try_catch_throw(): kthread_exit()), the call never
 * returns and the guard is left open for a thread that is gone.  The
 * thread that waited for it (kunit_try_catch_run()) closes it here, as a
 * return would have: the console, the call's report and byte counts.
 * exit_mm() put the borrowed mm's reference.  True if a call was open.
 */
bool kfault_guard_ended(void)
{
	struct kfault_guard_call *g = &kfault_guard_now;

	if (!READ_ONCE(g->task))
		return false;
	WRITE_ONCE(g->task, NULL);
	g->fault->reports = atomic_read(&kfault_guard_reports) - g->reports;
	kfault_guard_close(g, false);
	return true;
}

int kfault_guard(int (*fn)(void *arg), void *arg, struct kfault_fault *fault)
{
	struct kfault_guard_call *g = &kfault_guard_now;
	struct pt_regs *regs = &kfault_guard_oops.regs;
	jmp_buf catcher;
	int ret;

	memset(fault, 0, sizeof(*fault));
	if (!guard || !(current->flags & PF_KTHREAD) ||
	    current->thread.fault_catcher)
		return fn(arg);
	if (!current->mm && !kfault_guard_mm)
		return fn(arg);
	g->fault = fault;
	g->borrowed = NULL;
	if (!current->mm) {
		/*
		 * A reference per use: a KUnit assertion in fn ends the
		 * thread (kthread_exit()) and exit_mm() puts the mm it uses.
		 */
		g->borrowed = kfault_guard_mm;
		mmget(g->borrowed);
		kthread_use_mm(g->borrowed);
	}
	g->depth = lockdep_depth(current);
	g->preempt = preempt_count();
	g->reports = atomic_read(&kfault_guard_reports);
	g->recursion = kfault_guard_recursion();
	g->silenced = false;
	g->printed = atomic_long_read(&kfault_guard_printed);
	g->muted = false;
	g->wrote = false;
	g->nr = 0;
	g->lost = false;
	WRITE_ONCE(g->task, current);
	current->thread.fault_catcher = &catcher;
	if (!UML_SETJMP(&catcher)) {
		ret = kfault_guard_call(fn, arg);
		current->thread.fault_catcher = NULL;
		WRITE_ONCE(g->task, NULL);
		g->fault->reports = atomic_read(&kfault_guard_reports) - g->reports;
		goto out;
	}
	/* back from segv(), on this stack, with the handler's state around */
	g = &kfault_guard_now;
	current->thread.fault_catcher = NULL;
	WRITE_ONCE(g->task, NULL);
	kasan_unpoison_task_stack_below(&catcher);
	*regs = *current->thread.segv_regs;
	current->thread.segv_regs = regs;
	kfault_guard_oops.nr = 0;
	dump_trace(current, &kfault_guard_frames, &kfault_guard_oops);
	current->thread.segv_regs = NULL;
	kfault_guard_leave_irq_stack();
	change_sig(SIGIO, 1);
	change_sig(SIGWINCH, 1);
	change_sig(SIGALRM, 1);
	g->fault->caught = true;
	g->fault->addr = (unsigned long)current->thread.fault_addr;
	g->fault->ip = PT_REGS_IP(regs);
	current->thread.fault_addr = NULL;
	kfault_guard_print(g->fault, &kfault_guard_oops);
	g->fault->reports = atomic_read(&kfault_guard_reports) - g->reports;
	g->fault->unusable = kfault_guard_unusable(g);
	ret = -EFAULT;
out:
	kfault_guard_close(g, true);
	if (g->borrowed) {
		kthread_unuse_mm(g->borrowed);
		mmput_async(g->borrowed);	/* maybe atomic: a spinlock left held */
	}
	return ret;
}
#else
void kfault_guard_init(void)
{
}

bool kfault_guard_ended(void)
{
	return false;
}

/* Elsewhere a faulting thread dies alone (x86_64: "try faulted"). */
int kfault_guard(int (*fn)(void *arg), void *arg, struct kfault_fault *fault)
{
	memset(fault, 0, sizeof(*fault));
	return fn(arg);
}
#endif

/*
 * After a guarded call of a point: a fault that left a lock held or an
 * atomic section open ends the boot at once - before a teardown could wait
 * on that lock - as any crash does: the harness resumes after the point.
 * The call's memory-safety reports are added to the point's result.
 */
void kfault_guard_end(const char *op, unsigned int nth,
		      const struct kfault_fault *f, struct kfault_result *res)
{
	if (f->unusable)
		panic("kfault: op=%s nth=%u: the caught fault left the kernel unusable\n",
		      op, nth);
	res->reports += f->reports;
	res->flooded |= f->flooded;
	res->printed += f->printed;
	res->muted |= f->muted;
	res->wrote |= f->wrote;
}

/*
 * A point that reported a bad write (kfault_is_bad_write()) corrupted
 * memory that is not its own, and one that left on the KUnit bus what
 * could not be put back (bus.c) left the driver core holding memory the
 * test may have freed: every later point would run on it, and what it
 * broke surfaces in one of them.  kfault.end_on_damage=1
 * (what the harness's multi-boot sweeps set): once the point's result is
 * printed, the boot ends, and the harness resumes after the point in a
 * fresh one.  A single boot (make kunit, calibrate) goes on, as it always
 * did: it has no next boot to resume in, and its results come after the
 * points.
 */
static bool end_on_damage;
module_param(end_on_damage, bool, 0644);
MODULE_PARM_DESC(end_on_damage,
		 "end the boot after a point that reported a bad write or left the KUnit bus changed");

void kfault_guard_damaged(const char *op, unsigned int nth,
			  const struct kfault_result *res)
{
	if (!end_on_damage || !(res->wrote || res->left))
		return;
	if (res->wrote) {
		kfault_print_unusable(op, nth, "wrote");
		panic("kfault: op=%s nth=%u: a memory-safety report of a write: memory is corrupted\n",
		      op, nth);
	}
	kfault_print_unusable(op, nth, "left");
	panic("kfault: op=%s nth=%u: it left on the KUnit bus what could not be put back\n",
	      op, nth);
}

/*
 * A point that faulted is placed at the faulting instruction when it is the
 * target's (like a call trace's return address: file:line is found at
 * addr - 1); else the console's report gave its first target frame.
 */
void kfault_guard_result(const struct kfault_env *env,
			 const struct kfault_fault *f, struct kfault_result *res)
{
	if (!kfault_in_text(&env->text, f->ip))
		return;
	res->report_addr = f->ip + 1;
	snprintf(res->report_site, sizeof(res->report_site), "%pS",
		 (void *)f->ip);
}

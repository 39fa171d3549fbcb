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
 * What the skipped code held is known from lockdep: mutexes and RCU read
 * sections are released; any other lock, the preempt count raised,
 * interrupts off, or lockdep off after a taint (nothing known) make the
 * kernel unusable, and the sweep ends its boot, as before.  Faults at a user address above the
 * first page still panic in segv() before the catcher is looked at.
 */
#include <linux/debug_locks.h>
#include <linux/kasan.h>
#include <linux/kthread.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/debug.h>
#include <linux/sched/mm.h>
#include <linux/sched/task_stack.h>
#include <linux/signal.h>
#include <linux/string.h>

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

/*
 * The mm to borrow, made when the environment is, outside any armed
 * window: made by the first guarded call, its allocations were the first
 * point's events (refdev core_create lost its point 1).
 */
void kfault_guard_init(void)
{
	if (!kfault_guard_mm)
		kfault_guard_mm = mm_alloc();
	if (!kfault_guard_mm)
		pr_warn("kfault: no mm for the fault guard: a kernel-mode fault will panic\n");
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

/*
 * A mutex the cut-short code held, proven one: DEBUG_MUTEXES' magic points
 * at the mutex and its owner is this task (the flags are the low 3 bits,
 * kernel/locking/mutex.c).  Read without KASAN: the map may sit in
 * another kind of object.
 */
static struct mutex *kfault_guard_mutex(struct lockdep_map *map)
{
	struct mutex *m = container_of(map, struct mutex, dep_map);

	if (!IS_ENABLED(CONFIG_DEBUG_MUTEXES) ||
	    READ_ONCE_NOCHECK(m->magic) != m ||
	    (READ_ONCE_NOCHECK(m->owner.counter) & ~0x07L) != (long)current)
		return NULL;
	return m;
}

/* Release a proven mutex once; false when it is not one. */
static bool kfault_guard_release(struct mutex *m, const char *name)
{
	if (!m || !mutex_is_locked(m))
		return false;
	pr_emerg("kfault: mutex %s, held by the cut-short code, released\n",
		 name);
	mutex_unlock(m);
	return true;
}

/*
 * What the caught fault left.  Lockdep's held locks say: the mutexes and
 * RCU read sections the skipped frames took are released (a KUnit suite's
 * exit that faults under rtnl_lock() would hang every later point); any
 * other lock leaves the kernel unusable, and so does a raised preempt
 * count (a spinlock) or interrupts off.  Once a taint turned lockdep off
 * (any KASAN report does) nothing can be ruled out: unusable.  Seen on
 * dev-addr-list-test: a fault under rtnl_lock() after a KASAN report, whose
 * mutex no frame pointed at, hung the next point's exit.
 */
static bool kfault_guard_unusable(int depth, int preempt)
{
#ifdef CONFIG_LOCKDEP
	int i;

	for (i = lockdep_depth(current) - 1; i >= depth; i--) {
		struct lockdep_map *map = current->held_locks[i].instance;

		if (map == &rcu_lock_map)
			rcu_read_unlock();
		else if (!kfault_guard_release(kfault_guard_mutex(map), map->name))
			break;
	}
#endif
	if (!debug_locks) {
		pr_emerg("kfault: lockdep is off (a taint turned it off): no lock the fault left held can be ruled out: the kernel is not usable\n");
		return true;
	}
	if (lockdep_depth(current) == depth && preempt_count() == preempt &&
	    !irqs_disabled())
		return false;
	pr_emerg("kfault: the fault left %d lock(s) held, the preempt count %+d, interrupts %s: the kernel is not usable\n",
		 lockdep_depth(current) - depth, preempt_count() - preempt,
		 irqs_disabled() ? "off" : "on");
	return true;
}

int kfault_guard(int (*fn)(void *arg), void *arg, struct kfault_fault *fault)
{
	struct pt_regs *regs = &kfault_guard_oops.regs;
	struct mm_struct *borrowed = NULL;
	jmp_buf catcher;
	int depth, preempt, ret;

	memset(fault, 0, sizeof(*fault));
	if (!(current->flags & PF_KTHREAD) || current->thread.fault_catcher)
		return fn(arg);
	if (!current->mm) {
		if (!kfault_guard_mm)
			return fn(arg);
		/*
		 * A reference per use: a KUnit assertion in fn ends the
		 * thread (kthread_exit()) and exit_mm() puts the mm it uses.
		 */
		borrowed = kfault_guard_mm;
		mmget(borrowed);
		kthread_use_mm(borrowed);
	}
	depth = lockdep_depth(current);
	preempt = preempt_count();
	current->thread.fault_catcher = &catcher;
	if (!UML_SETJMP(&catcher)) {
		ret = kfault_guard_call(fn, arg);
		current->thread.fault_catcher = NULL;
		goto out;
	}
	/* back from segv(), on this stack, with the handler's state around */
	current->thread.fault_catcher = NULL;
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
	fault->caught = true;
	fault->addr = (unsigned long)current->thread.fault_addr;
	fault->ip = PT_REGS_IP(regs);
	current->thread.fault_addr = NULL;
	kfault_guard_print(fault, &kfault_guard_oops);
	fault->unusable = kfault_guard_unusable(depth, preempt);
	ret = -EFAULT;
out:
	if (borrowed) {
		kthread_unuse_mm(borrowed);
		mmput_async(borrowed);	/* maybe atomic: a spinlock left held */
	}
	return ret;
}
#else
void kfault_guard_init(void)
{
}

/* Elsewhere a faulting thread dies alone (x86_64: "try faulted"). */
int kfault_guard(int (*fn)(void *arg), void *arg, struct kfault_fault *fault)
{
	memset(fault, 0, sizeof(*fault));
	return fn(arg);
}
#endif

/*
 * A fault that left a lock held or an atomic section open ends the boot at
 * once - before a teardown could wait on that lock - as any crash does: the
 * harness resumes after the point.
 */
void kfault_guard_usable(const char *op, unsigned int nth,
			 const struct kfault_fault *f)
{
	if (f->unusable)
		panic("kfault: op=%s nth=%u: the caught fault left the kernel unusable\n",
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

// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: every "kfault:" line the harness reads, in one place.  Each kind
 * has one parser on the other side (harness/kfault/console/protocol.py); change both.
 *
 *   target  the code under test: name, prefix, srcdir, text range, tags
 *   try     a point is about to run (a crash right after is that point's)
 *   ran     a point finished, with its verdict (resume keeps these)
 *   thread  the thread a suite's point ran in (kmemleak names it)
 *   done    the operation's points are all run
 *   event   one counted allocation (kfault.trace_events=1, debugging ids)
 *   canary  the KASAN canary's read, and a second kmemleak canary
 *   count   an operation's number of points and bookkeeping failures
 *   point   one counted point and its failed site
 *   op=     one point's result: the KUnit parameter's verdict and evidence
 *   verdict / points  the sweep's statistics
 *   kmemleak confirmation  the kmemleak verdict of the boot
 *   kmemleak: / kmemleak (kernel):  a leak: kmemleak's block, or for the
 *           kernel's own leaks one line with the backtrace's functions
 *
 * Printed with pr_info() (try, ran, done, target: they must reach the
 * console before a crash) or kunit_info() (the rest: in the KTAP output).
 */
#include <linux/math64.h>
#include <linux/string.h>

#include "internal.h"

static const char * const kfault_verdict_names[] = {
	[KFAULT_HANDLED] = "handled",
	[KFAULT_ABSORBED] = "absorbed",
	[KFAULT_NOT_FIRED] = "not-fired",
	[KFAULT_SITE_CHANGED] = "site-changed",
	[KFAULT_WRONG_ERRNO] = "wrong-errno",
	[KFAULT_BAD_STATE] = "bad-state",
	[KFAULT_LEAK] = "leak",
	[KFAULT_REPORT] = "report",
	[KFAULT_CRASH] = "crash",
	[KFAULT_PASSED] = "passed",
	[KFAULT_TEST_FAILED] = "test-failed",
};

const char *kfault_verdict_name(enum kfault_verdict v)
{
	return kfault_verdict_names[v];
}

static const char *kfault_or_dash(const char *s)
{
	return s[0] ? s : "-";
}

void kfault_point_desc(const struct kfault_op *op,
		       const struct kfault_point *pt, char *buf, size_t len)
{
	size_t fn;

	if (!pt->nth) {
		snprintf(buf, len, "%s: no fault (baseline)", op->name);
		return;
	}
	if (pt->site.silent) {
		snprintf(buf, len, "%s: fail %u (silent)", op->name, pt->nth);
		return;
	}
	fn = strcspn(pt->site.caller, "/");
	if (pt->site.fill) {
		snprintf(buf, len, "%s: fail %s <- %.*s (targeted %u)", op->name,
			 pt->site.allocator, (int)fn, pt->site.caller,
			 pt->site.fill);
		return;
	}
	snprintf(buf, len, "%s: fail %u %s <- %.*s%s%s%s", op->name, pt->nth,
		 pt->site.allocator, (int)fn, pt->site.caller,
		 pt->site.inner[0] ? " (in " : "", pt->site.inner,
		 pt->site.inner[0] ? ")" : "");
}

void kfault_print_target(const struct kfault_env *env)
{
	pr_info("kfault: target name=%s prefix=%s srcdir=%s text=0x%lx-0x%lx tags=%u\n",
		env->target->name, env->target->prefix, env->target->srcdir,
		env->text.start, env->text.end, env->tags.nr);
}

void kfault_print_try_name(const char *op, unsigned int nth)
{
	pr_info("kfault: try op=%s nth=%u\n", op, nth);
}

/*
 * A suite case's point, named before it runs (the counting run's event):
 * a crash that ends the boot inside it is recorded under that id.
 */
void kfault_print_try_id(const char *op, unsigned int nth, u32 id)
{
	pr_info("kfault: try op=%s nth=%u id=%08x\n", op, nth, id);
}

void kfault_print_try(const struct kfault_op *op, unsigned int nth,
		      unsigned int fill, unsigned long target)
{
	if (fill)
		pr_info("kfault: try op=%s fill=%u target=%pS\n", op->name, fill,
			(void *)target);
	else
		kfault_print_try_name(op->name, nth);
}

/*
 * events: the allocation events the point's last attempt saw - a point that
 * comes out different in one run of many says here whether its path did.
 */
void kfault_print_ran_name(const char *op, unsigned int nth,
			   enum kfault_verdict v, const struct kfault_site *s,
			   unsigned int events)
{
	pr_info("kfault: ran op=%s nth=%u verdict=%s nesting=%u site=%s/%s/%s id=%08x events=%u\n",
		op, nth, kfault_verdict_name(v), s->nested, s->allocator,
		s->inner, s->caller, s->id, events);
}

void kfault_print_suite(const char *suite, unsigned int cases, bool excluded)
{
	pr_info("kfault: suite name=%s cases=%u excluded=%d\n", suite, cases,
		excluded);
}

/* kfault.suite_ms: @suite's points from @op:@nth on are not swept */
void kfault_print_capped(const char *suite, unsigned int ms, const char *op,
			 unsigned int nth)
{
	pr_info("kfault: capped suite=%s ms=%u at=%s:%u\n", suite, ms, op, nth);
}

/* The point op:nth left the kernel unusable; the boot ends after its result. */
void kfault_print_unusable(const char *op, unsigned int nth, const char *why)
{
	pr_emerg("kfault: unusable op=%s nth=%u why=%s\n", op, nth, why);
}

void kfault_print_thread(const char *op, unsigned int nth, pid_t pid)
{
	pr_info("kfault: thread op=%s nth=%u pid=%d\n", op, nth, pid);
}

/*
 * What the point left on the KUnit bus after its cleanup, and how much of it
 * kfault took off again (bus.c)
 */
void kfault_print_left(const char *op, unsigned int nth,
		       const struct kfault_bus *left,
		       const struct kfault_bus *removed)
{
	pr_info("kfault: left op=%s nth=%u drivers=%d devices=%d removed_drivers=%d removed_devices=%d\n",
		op, nth, left->drivers, left->devices, removed->drivers,
		removed->devices);
}

void kfault_print_event(unsigned int nr, const struct kfault_site *s)
{
	pr_info("kfault: event %u hash=%08x %s/%s/%s %s:%u\n", nr, s->hash,
		s->allocator, s->inner, s->caller, s->file, s->line);
}

void kfault_print_canary_read(int value)
{
	pr_info("kfault: canary reads past a 13-byte object: %d\n", value);
}

void kfault_print_ran(const struct kfault_op *op,
		      const struct kfault_result *res, unsigned int events)
{
	const struct kfault_site *s = &res->site;

	if (s->fill)
		pr_info("kfault: ran op=%s fill=%u verdict=%s nesting=%u site=%s/%s/%s id=%08x events=%u\n",
			op->name, s->fill, kfault_verdict_name(res->verdict),
			s->nested, s->allocator, s->inner, s->caller, s->id,
			events);
	else
		kfault_print_ran_name(op->name, res->nth, res->verdict, s,
				      events);
}

void kfault_print_done_name(const char *op, unsigned int nth)
{
	pr_info("kfault: done op=%s nth=%u\n", op, nth);
}

void kfault_print_done(const struct kfault_op *op, unsigned int events)
{
	kfault_print_done_name(op->name, events);
}

void kfault_log_count(struct kunit *test, const struct kfault_op *op,
		      int nr, unsigned int bookkeeping, unsigned int events)
{
	kunit_info(test, "kfault: count op=%s points=%d bookkeeping=%u events=%u\n",
		   op->name, nr, bookkeeping, events);
}

void kfault_log_point(struct kunit *test, const struct kfault_op *op,
		      const struct kfault_point *pt)
{
	const struct kfault_site *s = &pt->site;

	kunit_info(test,
		   "kfault: point op=%s nth=%u fill=%u attr=%s allocator=%s inner=%s site=%s file=%s:%u addr=0x%lx id=%08x\n",
		   op->name, pt->nth, s->fill, kfault_or_dash(s->attr),
		   kfault_or_dash(s->allocator), kfault_or_dash(s->inner),
		   kfault_or_dash(s->caller), kfault_or_dash(s->file), s->line,
		   s->addr, s->id);
}

void kfault_log_result(struct kunit *test, const struct kfault_op *op,
		       const struct kfault_point *pt,
		       const struct kfault_result *res)
{
	const struct kfault_site *s = &res->site;

	kunit_info(test,
		   "kfault: op=%s nth=%u fill=%u ran=%u attr=%s allocator=%s inner=%s site=%s file=%s:%u addr=0x%lx id=%08x verdict=%s ret=%d us=%llu leaked=[%s] report=[%s] report_site=%s report_addr=0x%lx reports=%u%s console=%ld%s detail=[%s]\n",
		   op->name, pt->nth, pt->site.fill, res->nth,
		   kfault_or_dash(s->attr), kfault_or_dash(s->allocator),
		   kfault_or_dash(s->inner), kfault_or_dash(s->caller),
		   kfault_or_dash(s->file), s->line, s->addr, s->id,
		   kfault_verdict_name(res->verdict), res->ret,
		   div_u64(res->ns, NSEC_PER_USEC), res->leaks, res->report,
		   kfault_or_dash(res->report_site), res->report_addr,
		   res->reports, res->flooded ? "+" : "", res->printed,
		   res->muted ? "+" : "", res->detail);
}

/*
 * A point of the any-suite sweep (suites.c): the same line, with the case's
 * init error as its ret, no address, and the KUnit parameter the point ran
 * under after its detail.
 */
void kfault_log_any_result(struct kunit *test, const char *op, unsigned int nth,
			   enum kfault_verdict v, int ret,
			   const struct kfault_result *res, const char *param)
{
	const struct kfault_site *s = &res->site;

	kunit_info(test,
		   "kfault: op=%s nth=%u fill=0 ran=%u attr=%s allocator=%s inner=%s site=%s file=%s:%u addr=0x0 id=%08x verdict=%s ret=%d us=%llu leaked=[%s] report=[%s] report_site=%s report_addr=0x%lx reports=%u%s console=%ld%s detail=[%s%s%s]\n",
		   op, nth, nth, kfault_or_dash(s->attr),
		   kfault_or_dash(s->allocator), kfault_or_dash(s->inner),
		   kfault_or_dash(s->caller), kfault_or_dash(s->file), s->line,
		   nth ? s->id : 0, kfault_verdict_name(v), ret,
		   div_u64(res->ns, NSEC_PER_USEC), res->leaks,
		   res->report, kfault_or_dash(res->report_site),
		   res->report_addr, res->reports, res->flooded ? "+" : "",
		   res->printed, res->muted ? "+" : "", res->detail,
		   param[0] ? " param " : "", param);
}

void kfault_log_cap(struct kunit *test, const char *op, unsigned int events)
{
	kunit_warn(test, "kfault: op=%s: cap of %u allocations reached (%u counted)\n",
		   op, KFAULT_MAX_NTH, events);
}

void kfault_log_stats(struct kunit *test, const struct kfault_env *env)
{
	const struct kfault_stats *st = &env->stats;
	u64 ms = div_u64(st->ns, NSEC_PER_MSEC);
	unsigned int v;

	for (v = 0; v < KFAULT_NR_VERDICTS; v++)
		if (st->verdicts[v])
			kunit_info(test, "kfault: verdict %s: %u\n",
				   kfault_verdict_name(v), st->verdicts[v]);
	kunit_info(test, "kfault: %u points (%u runs) in %llu ms, %llu points/s, %u objects not followed by the live check\n",
		   st->points, st->attempts, ms,
		   ms ? div_u64(st->points * 1000ULL, ms) : 0,
		   st->live_untracked);
}

void kfault_log_kmemleak(struct kunit *test, const struct kfault_env *env,
			 bool canary, unsigned int target, unsigned int kernel)
{
	kunit_info(test, "kfault: kmemleak confirmation: target=%s canary=%s target_leaks=%u kernel_leaks=%u\n",
		   env->target->name, canary ? "found" : "MISSING", target,
		   kernel);
}

/* A leak of the target: kmemleak's block as it printed it. */
void kfault_log_leak(struct kunit *test, const char *block)
{
	kunit_info(test, "kfault: kmemleak: %s\n", block);
}

void kfault_log_second_canary(struct kunit *test)
{
	kunit_info(test, "kfault: kmemleak did not report the canary: a second one\n");
}

/*
 * One of the kernel's own leaks under a target call, on one line: the
 * block's head and the functions of its backtrace from the first caller
 * of the allocator on, so that known kernel bugs can be matched.
 */
void kfault_log_kernel_leak(struct kunit *test, const char *block,
			    const char *caller)
{
	char frames[KFAULT_LINE_LEN * 2];
	size_t head = strcspn(block, "\n"), used = 0, n;
	const char *f;

	frames[0] = '\0';
	for (f = caller; f && *f && used < sizeof(frames) - 1;) {
		f = skip_spaces(f);
		n = strcspn(f, "+\n");
		if (!n)
			break;
		used += scnprintf(frames + used, sizeof(frames) - used, "%s%.*s",
				  used ? "," : "", (int)n, f);
		f = strchr(f, '\n');
	}
	kunit_info(test, "kfault: kmemleak (kernel): %.*s frames=%s\n",
		   (int)head, block, frames);
}

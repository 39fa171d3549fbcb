// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: reading the printk ring buffer since a mark - the site of an
 * injected page failure (the FAULT_INJECTION stack dump) and the first
 * kernel report (KASAN, WARN, BUG, lockdep, ...) with its first target
 * frame.
 */
#include <linux/kmsg_dump.h>
#include <linux/string.h>

#include "internal.h"

void kfault_console_mark(struct kfault_console *c)
{
	kmsg_dump_rewind(&c->iter);
	c->iter.cur_seq = c->iter.next_seq;
}

/* Next record since the mark, with the "[ time] " prefix removed. */
static const char *kfault_console_next(struct kfault_console *c)
{
	char *line = c->line;
	size_t len;
	char *p;

	if (!kmsg_dump_get_line(&c->iter, false, line,
				KFAULT_LINE_LEN - 1, &len))
		return NULL;
	line[len] = '\0';
	if (len && line[len - 1] == '\n')
		line[len - 1] = '\0';
	p = line;
	if (*p == '[') {
		char *end = strstr(p, "] ");

		if (end)
			p = end + 2;
	}
	return p;
}

bool kfault_console_seen(struct kfault_console *c, const char *needle)
{
	const char *line;
	bool seen = false;

	while ((line = kfault_console_next(c)))
		seen |= !!strstr(line, needle);
	return seen;
}

struct kfault_trace {
	bool seen;
	bool in_dump;
	bool done;
	unsigned int target_frames;
	char prev[KFAULT_SYM_LEN];	/* the frame just inside the current one */
	char inner[KFAULT_SYM_LEN];	/* the first frame above the machinery */
	u32 hash;
};

#define KFAULT_TARGET_FRAMES	4

/*
 * Feed one line of a FAULT_INJECTION dump (a page failure: slab failures
 * come from the tracepoints); fills site as frames go by, hashed the way
 * ids.c hashes a saved stack.
 */
static void kfault_trace_line(const struct kfault_text *text, struct kfault_trace *t,
			      const char *line, struct kfault_site *site)
{
	unsigned long addr;
	int n = 0;

	if (sscanf(line, " [<%lx>] %n", &addr, &n) != 1 || !n)
		return;
	line += n;
	if (str_has_prefix(line, "? "))
		return;		/* not proven by frame pointers */
	if (kfault_in_text(text, addr)) {
		size_t fn = strcspn(line, "+");

		if (!t->target_frames++) {
			strscpy(site->caller, line, sizeof(site->caller));
			site->addr = addr;
			kfault_allocator_name(t->prev, site->allocator,
					      sizeof(site->allocator));
			if (t->inner[0])
				kfault_allocator_name(t->inner, site->inner,
						      sizeof(site->inner));
			site->nested = kfault_nesting(site);
			t->hash = kfault_site_hash(site);
		}
		if (t->target_frames <= KFAULT_TARGET_FRAMES)
			t->hash = kfault_fnv(t->hash, line, fn);
	} else if (t->target_frames) {
		t->done = true;		/* left the target: the caller's code */
	} else if (!t->inner[0] && !kfault_is_machinery(line)) {
		strscpy(t->inner, line, sizeof(t->inner));
	}
	strscpy(t->prev, line, sizeof(t->prev));
}

/* The first target frame of the report being read, if this line is one. */
static void kfault_report_frame(const struct kfault_text *text, const char *line,
				struct kfault_result *res)
{
	unsigned long addr;
	int n = 0;

	if (sscanf(line, " [<%lx>] %n", &addr, &n) != 1 || !n ||
	    str_has_prefix(line + n, "? ") || !kfault_in_text(text, addr))
		return;
	res->report_addr = addr;
	strscpy(res->report_site, line + n, sizeof(res->report_site));
}

/*
 * Read the log since the last read: the site of the first injected failure
 * (if @site) and the first kernel report with its first target frame.
 */
void kfault_console_scan(struct kfault_console *c,
			 const struct kfault_text *text, struct kfault_site *site,
			 struct kfault_result *res)
{
	struct kfault_trace t = { };
	const char *line, *name;
	bool in_report = false;

	while ((line = kfault_console_next(c))) {
		if (strstr(line, "FAULT_INJECTION: forcing a failure")) {
			name = strstr(line, "name ");
			if (site && !t.seen && name)
				strscpy(site->attr, name + 5,
					min_t(size_t, sizeof(site->attr),
					      strcspn(name + 5, ",") + 1));
			t.in_dump = site && !t.seen && !site->caller[0];
			t.seen = true;
			in_report = false;
			continue;
		}
		if (t.in_dump && !t.done)
			kfault_trace_line(text, &t, line, site);
		if (!res->report[0] && kfault_is_report(line)) {
			strscpy(res->report, line, sizeof(res->report));
			in_report = true;
		} else if (in_report && !res->report_addr) {
			kfault_report_frame(text, line, res);
		}
	}
	if (site && t.target_frames)
		site->hash = t.hash;
	else if (site && t.inner[0])	/* no target text: what allocated */
		kfault_allocator_name(t.inner, site->inner, sizeof(site->inner));
}

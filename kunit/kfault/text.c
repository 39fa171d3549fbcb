// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: the target's text - the address range of the functions its
 * allocation tags name, from kallsyms - and whether an address is in it.
 */
#include <linux/kallsyms.h>
#include <linux/string.h>
#include <asm/sections.h>

#include "internal.h"

/* "mydrv_probe", "__mydrv_probe" and "__pfx_mydrv_probe" have "mydrv_". */
static bool kfault_has_prefix(const char *name, const char *prefix)
{
	if (str_has_prefix(name, "__pfx_"))
		name += 6;
	while (*name == '_')
		name++;
	return str_has_prefix(name, prefix);
}

static unsigned long kfault_sym_end(unsigned long addr)
{
	unsigned long size, off;

	if (!kallsyms_lookup_size_offset(addr, &size, &off))
		return addr + 1;
	return addr - off + size;
}

struct kfault_text_scan {
	const char *prefix;
	unsigned long seed_start, seed_end;	/* the seeds' hull */
	unsigned long run;	/* first of the prefix run ending here */
	unsigned long start, end;
	bool stopped;
};

/*
 * Symbols come in address order (kallsyms' table is sorted).  The range is
 * the seeds' hull, grown at both ends over the adjacent text symbols that
 * have the prefix: non-allocating functions at either end of the target's
 * code.  Whatever is linked next to it (the sweep suite, this library) has
 * other names and stops the growth.
 */
static int kfault_text_sym(void *data, const char *name, unsigned long addr)
{
	struct kfault_text_scan *s = data;
	bool mine;

	if (!is_kernel_text(addr))
		return 0;
	mine = kfault_has_prefix(name, s->prefix);
	if (addr < s->seed_start) {
		if (!mine)
			s->run = 0;
		else if (!s->run)
			s->run = addr;
		return 0;
	}
	if (!s->start)
		s->start = s->run ? s->run : s->seed_start;
	if (addr < s->seed_end || s->stopped)
		return 0;
	if (mine)
		s->end = max(s->end, kfault_sym_end(addr));
	else
		s->stopped = true;
	return 0;
}

/* Seeds: text symbols with the prefix named by the srcdir's tags, else all. */
static void kfault_text_seed(struct kfault_text_scan *s, unsigned long addr)
{
	s->seed_start = min(s->seed_start, addr);
	s->seed_end = max(s->seed_end, kfault_sym_end(addr));
}

static int kfault_prefix_sym(void *data, const char *name, unsigned long addr)
{
	struct kfault_text_scan *s = data;

	if (is_kernel_text(addr) && kfault_has_prefix(name, s->prefix))
		kfault_text_seed(s, addr);
	return 0;
}

int kfault_find_text(const struct kfault_target *target,
		     struct kfault_text *text)
{
	struct kfault_text_scan s = {
		.prefix = target->prefix,
		.seed_start = ULONG_MAX,
	};
	unsigned long own = (unsigned long)kfault_find_text;
	struct alloc_tag *tag;
	unsigned long addr;

	for (tag = __start_alloc_tags; tag < __stop_alloc_tags; tag++) {
		if (!tag->ct.function ||
		    !kfault_in_srcdir(target->srcdir, tag->ct.filename) ||
		    !kfault_has_prefix(tag->ct.function, target->prefix))
			continue;
		addr = kallsyms_lookup_name(tag->ct.function);
		if (addr && is_kernel_text(addr))
			kfault_text_seed(&s, addr);
	}
	if (s.seed_start == ULONG_MAX)
		kallsyms_on_each_symbol(kfault_prefix_sym, &s);
	if (s.seed_start >= s.seed_end)
		return -ENOENT;
	s.end = s.seed_end;
	kallsyms_on_each_symbol(kfault_text_sym, &s);
	if (!s.start)
		s.start = s.seed_start;
	if (own >= s.start && own < s.end) {
		pr_err("kfault: %s's text %pS..%pS holds kfault's own code: a prefix shared with the suite or library?\n",
		       target->name, (void *)s.start, (void *)(s.end - 1));
		return -EINVAL;
	}
	text->start = s.start;
	text->end = s.end;
	return 0;
}

bool kfault_in_text(const struct kfault_text *text, unsigned long addr)
{
	return addr >= text->start && addr < text->end;
}

bool kfault_in_target(const struct kfault_env *env, unsigned long addr)
{
	return kfault_in_text(&env->text, addr);
}

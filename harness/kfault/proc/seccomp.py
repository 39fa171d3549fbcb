"""UML user space on a host whose XSAVE area is larger than UML expects.

UML 6.12 saves and restores a user process's FPU state with
PTRACE_GETREGSET/SETREGSET(NT_X86_XSTATE) into a buffer of a size fixed at
build time, 2696 bytes (arch/x86/um/user-offsets.c:45, the AVX-512 layout).
The host's SETREGSET takes only a whole buffer of its own size
(arch/x86/kernel/fpu/regset.c:156, `count != fpu_user_cfg.max_size` ->
-EFAULT), and a host with AMX has a larger one (11008 bytes on this
workplace's Sapphire Rapids machines), so the first user process of every boot
dies ("userspace - ptrace set fp regs failed, errno = 14", then "Attempted to
kill init!").  KUnit cases run before init and are not touched.

UML has a fallback for hosts without XSTATE: when its probe
(arch_init_registers(), arch/x86/um/os-Linux/registers.c:126-142) finds that
GETREGSET(NT_X86_XSTATE) fails it uses GETFPREGS/SETFPREGS (the FXSAVE area:
x87 and SSE).  On such a host the boot runs under a seccomp filter that makes
exactly those two requests fail with EIO, so UML takes that fallback; nothing
in the kernel tree is changed.  The cost: UML then keeps only the x87/SSE part
of a user process's vector registers across its own context switches and
signal frames (the upper halves of AVX registers are not saved), which
UML's single-threaded init scripts and our helper do not depend on.

The fallback keeps only the FXSAVE area (x87, XMM0-15): AVX and AVX-512
state is not carried across UML's register restores, and glibc's AVX-512
string functions then go wrong (seen 2026-12-02: kmod's insmod read a plain
ELF module and failed "Invalid parameters" without calling finit_module;
with AVX-512 off it loads).  So the boot's user space is also told not to
use AVX at all: NO_AVX, a GLIBC_TUNABLES setting on the kernel command
line, which the kernel hands to init as its environment (and init's
children inherit).  Our helper and init scripts are plain C and sh.

A UML whose buffer is sized at run time (the tree has no fixed size) gets no
filter.  Pure but for install(), which runs in the child before exec.
"""
from __future__ import annotations

import ctypes
import re
import struct
from pathlib import Path

PTRACE_GETREGSET = 0x4204
PTRACE_SETREGSET = 0x4205
NT_X86_XSTATE = 0x202
EIO = 5

_AUDIT_ARCH_X86_64 = 0xC000003E
_NR_PTRACE = 101                    # x86_64
_LD_W_ABS, _JEQ_K, _RET_K = 0x20, 0x15, 0x06
_RET_ALLOW, _RET_ERRNO = 0x7FFF0000, 0x00050000
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2
# struct seccomp_data: nr, arch, instruction_pointer, args[6]; the low word
# of args[i] (little endian) is at 16 + 8 * i
_NR, _ARCH, _ARG0, _ARG2 = 0, 4, 16, 32

# every glibc 2.36 ifunc that would use a YMM/ZMM register or a mask register
NO_AVX = ("GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX512BW,-AVX512CD,"
          "-AVX512DQ,-AVX512VL,-FMA,-F16C")

_FIXED = re.compile(r"DEFINE_LONGS\(HOST_FP_SIZE,\s*(\d+)\)")


def uml_fixed_fp_size(srctree: Path) -> int | None:
    """The FPU buffer size the UML of this kernel tree is built with, None if
    it has none fixed (sized at run time) or the tree is not there."""
    try:
        text = (srctree / "arch/x86/um/user-offsets.c").read_text(errors="replace")
    except OSError:
        return None
    found = _FIXED.search(text)
    return int(found.group(1)) if found else None


def needs_filter(uml_size: int | None, host_size: int | None) -> bool:
    """Whether UML's SETREGSET would be refused: its fixed size is not the host's."""
    return uml_size is not None and host_size is not None and uml_size != host_size


def program() -> bytes:
    """The classic BPF program: ptrace(GETREGSET or SETREGSET, pid, NT_X86_XSTATE)
    fails with EIO; every other system call, and every other request, is allowed."""
    insns = [
        (_LD_W_ABS, 0, 0, _ARCH),
        (_JEQ_K, 0, 8, _AUDIT_ARCH_X86_64),     # another ABI: allow
        (_LD_W_ABS, 0, 0, _NR),
        (_JEQ_K, 0, 6, _NR_PTRACE),             # not ptrace: allow
        (_LD_W_ABS, 0, 0, _ARG0),
        (_JEQ_K, 1, 0, PTRACE_GETREGSET),
        (_JEQ_K, 0, 3, PTRACE_SETREGSET),       # another request: allow
        (_LD_W_ABS, 0, 0, _ARG2),
        (_JEQ_K, 0, 1, NT_X86_XSTATE),          # another regset: allow
        (_RET_K, 0, 0, _RET_ERRNO | EIO),
        (_RET_K, 0, 0, _RET_ALLOW),
    ]
    return b"".join(struct.pack("=HBBI", *insn) for insn in insns)


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install() -> None:
    """Install the filter on this process (a child before its exec); it is
    inherited by everything the child starts.  Raises OSError if refused."""
    code = program()
    buf = ctypes.create_string_buffer(code, len(code))
    prog = _Fprog(len(code) // 8, ctypes.cast(buf, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
            libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "seccomp filter for UML's FPU fallback refused")

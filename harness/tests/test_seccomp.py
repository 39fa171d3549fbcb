"""The UML FPU fallback filter (proc/seccomp.py), on the real host kernel."""
from __future__ import annotations

import ctypes
import os
import struct
from pathlib import Path

import pytest

from kfault.errors import HarnessError
from kfault.proc import runner, seccomp

NT_PRSTATUS = 1
ESRCH = 3


def _ptrace_errno(regset: int, pid: int) -> int:
    """errno of ptrace(GETREGSET, pid, regset) on a process we do not trace."""
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(4096)
    iov = runner._Iovec(ctypes.cast(buf, ctypes.c_void_p), len(buf))
    ctypes.set_errno(0)
    libc.ptrace(ctypes.c_long(seccomp.PTRACE_GETREGSET), ctypes.c_long(pid),
                ctypes.c_void_p(regset), ctypes.byref(iov))
    return ctypes.get_errno()


def _in_child(filtered: bool, regset: int) -> int:
    """errno seen by a child, with or without the filter installed."""
    pid = os.fork()
    if pid == 0:
        code = 255
        try:
            if filtered:
                seccomp.install()
            code = _ptrace_errno(regset, os.getppid())
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_the_filter_fails_exactly_the_xstate_regset_with_eio() -> None:
    # not tracing it, the kernel says ESRCH; the filter answers first, for XSTATE only
    assert _in_child(False, seccomp.NT_X86_XSTATE) == ESRCH
    assert _in_child(True, seccomp.NT_X86_XSTATE) == seccomp.EIO
    assert _in_child(True, NT_PRSTATUS) == ESRCH


def test_the_program_ends_in_allow_and_eio() -> None:
    code = seccomp.program()
    insns = [struct.unpack("=HBBI", code[i:i + 8]) for i in range(0, len(code), 8)]
    assert insns[-1] == (0x06, 0, 0, 0x7FFF0000)
    assert insns[-2] == (0x06, 0, 0, 0x00050000 | seccomp.EIO)
    # every jump lands inside the program
    for at, (op, jt, jf, _) in enumerate(insns):
        if op == 0x15:
            assert at + 1 + max(jt, jf) < len(insns)


def test_the_fixed_size_is_read_from_the_tree(tmp_path: Path) -> None:
    src = tmp_path / "arch/x86/um"
    src.mkdir(parents=True)
    (src / "user-offsets.c").write_text(
        "#ifdef __i386__\n\tDEFINE_LONGS(HOST_FP_SIZE, sizeof(struct user_fpregs_struct));\n"
        "#else\n#ifdef FP_XSTATE_MAGIC1\n\tDEFINE_LONGS(HOST_FP_SIZE, 2696);\n#else\n")
    assert seccomp.uml_fixed_fp_size(tmp_path) == 2696
    (src / "user-offsets.c").write_text("\tDEFINE(HOST_ORIG_AX, ORIG_RAX);\n")
    assert seccomp.uml_fixed_fp_size(tmp_path) is None          # sized at run time
    assert seccomp.uml_fixed_fp_size(tmp_path / "nothing") is None


def test_a_filter_only_where_the_sizes_differ() -> None:
    assert seccomp.needs_filter(2696, 11008)
    assert not seccomp.needs_filter(2696, 2696)
    assert not seccomp.needs_filter(None, 11008)
    assert not seccomp.needs_filter(2696, None)


def test_the_host_xsave_area_is_read() -> None:
    size = runner.host_xstate_size()
    # the legacy area and the XSAVE header come first: 576 bytes at least
    assert size is None or size >= 576
    assert runner.uml_preexec(Path("/nonexistent")) is None


def test_a_refused_filter_is_one_clear_error(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def refused() -> None:
        raise OSError(22, "seccomp filter for UML's FPU fallback refused")

    monkeypatch.setattr(runner, "uml_fallback", lambda srctree: True)
    monkeypatch.setattr(seccomp, "install", refused)
    with pytest.raises(HarnessError, match="refused the seccomp filter"):
        runner.boot_uml(Path("/bin/true"), [], tmp_path / "console.log", 10)
    monkeypatch.setattr(runner, "uml_preexec", lambda srctree: refused)
    req = runner.KunitRequest(kdir=tmp_path, build_dir=tmp_path / "build",
                              kunitconfig_dir=tmp_path, use_ccache=False)
    with pytest.raises(HarnessError, match="cannot run kunit.py .*refused the seccomp filter"):
        runner.run_kunit(req, output=tmp_path / "out.txt")

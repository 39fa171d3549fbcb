"""The only module that starts processes: kunit.py, UML boots, addr2line, nm, git.

Flows get a Runner (ProcessRunner here; tests pass a fake that replays
captured consoles) and never start a process themselves.
"""
from __future__ import annotations

import ctypes
import fcntl
import functools
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from typing import Callable, Protocol
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import HarnessError
from . import seccomp
from .progress import Progress


@dataclass
class KunitRequest:
    """One 'kunit.py run' of our configs."""

    kdir: Path
    build_dir: Path
    kunitconfig_dir: Path
    kernel_args: list[str] = field(default_factory=lambda: ["kasan_multi_shot"])
    filter_glob: str = ""
    timeout: int = 1200
    jobs: int = 0
    use_ccache: bool = True
    ccache_dir: Path | None = None      # default: <build_dir>/../ccache
    extra: list[str] = field(default_factory=list)
    command: str = "run"                # or "exec": boot the kernel already built
    max_output: int = 256 << 20         # bytes of output after which the boot is stopped
    idle: int = 0                       # seconds without output after which it is (0: never)
    # (uid, gid) that builds and boots: patched code never runs as root
    run_as: tuple[int, int] | None = None


class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


@functools.cache
def host_xstate_size() -> int | None:
    """The size of this host's XSAVE area for ptrace (NT_X86_XSTATE), read from
    a stopped child of ours; None where there is none (not x86, no XSAVE)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pid = os.fork()
    if pid == 0:                            # the child: stop, to be read
        try:
            libc.ptrace(ctypes.c_long(0), ctypes.c_long(0), None, None)   # PTRACE_TRACEME
            os.kill(os.getpid(), signal.SIGSTOP)
        finally:
            os._exit(0)
    try:
        _, status = os.waitpid(pid, os.WUNTRACED)
        if not os.WIFSTOPPED(status):
            return None
        buf = ctypes.create_string_buffer(1 << 16)
        iov = _Iovec(ctypes.cast(buf, ctypes.c_void_p), len(buf))
        done = libc.ptrace(ctypes.c_long(seccomp.PTRACE_GETREGSET), ctypes.c_long(pid),
                           ctypes.c_void_p(seccomp.NT_X86_XSTATE), ctypes.byref(iov))
        return int(iov.len) if done == 0 else None
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


@functools.cache
def uml_fallback(srctree: Path) -> bool:
    """Whether UML boots of this tree need the FPU fallback on this host:
    UML's fixed FPU buffer is not the host's XSAVE size (seccomp.py).
    Decided, and said, once per tree."""
    uml = seccomp.uml_fixed_fp_size(srctree)
    if not seccomp.needs_filter(uml, host_xstate_size() if uml is not None else None):
        return False
    print(f"kfault: host XSAVE area {host_xstate_size()} bytes, UML's fixed {uml}: UML "
          "user space keeps FPU state by FXSAVE (seccomp filter) and runs without AVX "
          "(GLIBC_TUNABLES): harness/kfault/proc/seccomp.py", file=sys.stderr, flush=True)
    return True


FILTER_REFUSED = ("the host refused the seccomp filter of UML's FPU fallback "
                  "(harness/kfault/proc/seccomp.py): a host kernel without SECCOMP_FILTER?")


def uml_preexec(srctree: Path) -> Callable[[], None] | None:
    """What a UML boot of this tree's kernel runs before its exec on this host:
    the FPU fallback's filter, or nothing."""
    return seccomp.install if uml_fallback(srctree) else None


def as_user(argv: list[str], run_as: tuple[int, int] | None) -> list[str]:
    """argv run as (uid, gid) through setpriv, or as it is (pure)."""
    if not run_as:
        return argv
    return ["setpriv", f"--reuid={run_as[0]}", f"--regid={run_as[1]}", "--clear-groups",
            "--"] + argv


def user_env(env: dict[str, str], build_dir: Path) -> dict[str, str]:
    """The environment of a build as another user: its own build directory is
    all it may write, and root's ccache is not its ("ccache gcc" then runs gcc,
    so the objects' recorded command stays the same)."""
    out = dict(env, HOME=str(build_dir), CCACHE_DISABLE="1")
    out.pop("CCACHE_DIR", None)
    return out


def kunit_argv(req: KunitRequest) -> list[str]:
    """The kunit.py command line for req (pure; tested)."""
    argv = [sys.executable, str(req.kdir / "tools/testing/kunit/kunit.py"), req.command,
            f"--build_dir={req.build_dir}"]
    if req.command != "build":
        argv.append(f"--timeout={req.timeout}")
    if req.command in ("run", "build"):
        argv.append(f"--kunitconfig={req.kunitconfig_dir}")
    if req.command != "build":
        argv += [f"--kernel_args={arg}" for arg in req.kernel_args]
    if req.jobs:
        argv.append(f"--jobs={req.jobs}")
    # as another user too: the same CC keeps the copied objects' commands (Kbuild
    # rebuilds all on a changed one); its environment switches ccache off
    if req.command in ("run", "build") and req.use_ccache and shutil.which("ccache"):
        argv.append("--make_options=CC=ccache gcc")
    argv += req.extra
    if req.filter_glob and req.command != "build":
        argv.append(req.filter_glob)
    return as_user(argv, req.run_as)


TICK_S = 10.0
# A point that floods the console (kasan_multi_shot: one KASAN report per bad
# byte, seen at 1.4 GB of console and 3 GB of kunit.py's memory after 3 min)
# is stopped: run_kunit returns EXIT_FLOOD and its output's last line says so.
EXIT_FLOOD = 250
FLOOD = "kfault: console flood: the boot was stopped after"


# A point that hangs prints nothing more: with KunitRequest.idle, run_kunit
# stops the boot after that many seconds of silence, not at kunit.py's
# --timeout for the whole boot (an hour for a night's boot).  kunit.py run
# builds first, and a build may be silent for longer: its silence counts from
# the kernel's start (a sweep's first boot had no watchdog: ext4_mballoc_test
# hung in it until the timeout).
EXIT_IDLE = 251
IDLE = "kfault: no output for"


# UML writes its console to kunit.py's pipe without blocking and drops what
# does not fit while kunit.py is busy (arch/um/drivers/chan_kern.c; seen in
# floods of KASAN reports: slub_test, kunit*).  A pipe holds 64 KiB; it is
# widened as soon as the kernel starts, to CONSOLE_PIPE bytes: 16 times the
# most one guarded call prints before kfault mutes the console
# (KFAULT_CONSOLE_BOUND, 256 KiB, kunit/kfault/guard.c).  Without
# CAP_SYS_RESOURCE (a container; this machine) the most is
# /proc/sys/fs/pipe-max-size, 1 MiB by default: 4 times that bound.
CONSOLE_PIPE = 4 << 20
KERNEL_STARTS = "Starting KUnit Kernel"
WIDENED = "kfault: console pipe:"


def _pipe_size(fd: int, size: int, proc: Path) -> int:
    """The pipe of fd set to size bytes, or to pipe-max-size when this process
    may not go past it; the size it has then (0: it could not be set)."""
    try:
        return fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
    except PermissionError:
        pass
    except OSError:
        return 0
    try:
        most = int((proc / "sys/fs/pipe-max-size").read_text())
        return fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, min(size, most))
    except (OSError, ValueError):
        return 0


def widen_console(parent: int, size: int = CONSOLE_PIPE, proc: Path = Path("/proc")) -> int:
    """Widen the pipe that the kernel kunit.py (parent) started writes its
    console to (its fd 1); the pipe's size now, 0 when no child of parent
    writes to a pipe yet."""
    for pid in kernel_processes(parent, proc):
        out = proc / str(pid) / "fd" / "1"
        try:
            if not os.readlink(out).startswith("pipe:"):
                continue
            fd = os.open(out, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            return _pipe_size(fd, size, proc)
        finally:
            os.close(fd)
    return 0


def _widen_when_started(parent: int, said: list[str], tries: int = 250) -> None:
    """Poll for the kernel kunit.py just said it starts (every 20 ms, 5 s at
    most) and widen its console; what it did goes into said."""
    for _ in range(tries):
        got = widen_console(parent)
        if got:
            said.append(f"{WIDENED} {got} bytes\n")
            return
        time.sleep(0.02)
    said.append(f"{WIDENED} not widened (no kernel writing to a pipe after 5 s)\n")


def flood_said(output: str) -> str:
    """What run_kunit said when it stopped a flood ("" if it did not)."""
    return next((ln.removeprefix("kfault: ") for ln in reversed(output.splitlines())
                 if ln.startswith(FLOOD)), "")


def idle_said(output: str) -> str:
    """What run_kunit said when it stopped a silent boot ("" if it did not)."""
    return next((ln.removeprefix("kfault: ") for ln in reversed(output.splitlines())
                 if ln.startswith(IDLE)), "")


def run_kunit(req: KunitRequest, output: Path | None = None,
              on_start: Callable[[int], None] | None = None, label: str = "kfault") -> int:
    """Run kunit.py with its output on our stdout (or into output), with progress
    lines (progress.py) while it builds and boots; return its exit code.

    on_start gets the process group id (kunit.py and the UML kernel it boots),
    so that a later run can stop a boot this process left behind."""
    req.build_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    if req.run_as:
        env = user_env(env, req.build_dir)
    else:
        env.setdefault("CCACHE_DIR", str(req.ccache_dir or req.build_dir.parent / "ccache"))
        # build directories are siblings in one farm (checkout/tree.py) and
        # Kbuild names sources "../x.c" from each: an object compiled in one
        # is right in another (its debug info's directory normalises to the
        # same file), so ccache need not hash the directory it runs in
        env.setdefault("CCACHE_NOHASHDIR", "1")
    progress = Progress(req.build_dir, label, echo=output is None)
    stop, silent, booted = threading.Event(), threading.Event(), threading.Event()
    if req.command != "run":
        booted.set()
    last = [time.monotonic()]
    kill: list[Callable[[], bool]] = []

    def ticker() -> None:
        while not stop.wait(min(TICK_S, req.idle or TICK_S)):
            progress.tick()
            if not req.idle or not booted.is_set() or time.monotonic() - last[0] <= req.idle \
                    or len(kill) < 2:
                continue
            # the kernel first: kunit.py then writes out test.log and ends (a
            # kill of kunit.py loses what it had not written); if it does not
            # end either, everything
            if not silent.is_set() and kill[0]():
                silent.set()
                last[0] = time.monotonic()
            else:
                silent.set()
                kill[1]()

    try:
        with (output.open("w") if output else open(os.devnull)) as out:
            proc = subprocess.Popen(kunit_argv(req), cwd=req.kdir, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, errors="replace",
                                    start_new_session=on_start is not None,
                                    preexec_fn=uml_preexec(req.kdir))
            if on_start:
                on_start(proc.pid)
            kill.append(lambda: stop_kernel(proc.pid) > 0)
            kill.append(lambda: stop_kernel(proc.pid) + _kill(
                os.killpg if on_start is not None else os.kill, proc.pid) > 0)
            thread = threading.Thread(target=ticker, daemon=True)
            thread.start()
            assert proc.stdout is not None
            seen, flooded = 0, False
            widened: list[str] = []
            for line in proc.stdout:
                last[0] = time.monotonic()
                if KERNEL_STARTS in line:
                    booted.set()
                    threading.Thread(target=_widen_when_started, args=(proc.pid, widened),
                                     daemon=True).start()
                # the line first: the thread may widen the pipe before this
                # loop writes the line that started it, and its word must not
                # come before that line (seen in CI: test_runner's silent kernel)
                (out if output else sys.stdout).write(line)
                if widened:
                    (out if output else sys.stdout).write(widened.pop())
                if not output:
                    sys.stdout.flush()
                progress.line(line)
                seen += len(line)
                if seen > req.max_output:
                    flooded = True
                    (out if output else sys.stdout).write(
                        f"{FLOOD} {seen} bytes of output (more than {req.max_output})\n")
                    kill[1]()
                    break
            code = proc.wait()
            stop.set()
            thread.join()
            progress.close()
            if silent.is_set() and not flooded:
                (out if output else sys.stdout).write(
                    f"{IDLE} {req.idle} s: the boot was stopped\n")
                return EXIT_IDLE
            return EXIT_FLOOD if flooded else code
    except OSError as err:
        raise HarnessError(f"cannot run kunit.py in {req.kdir}: {err}") from err
    except subprocess.SubprocessError as err:      # the preexec filter failed
        raise HarnessError(f"cannot run kunit.py in {req.kdir}: {FILTER_REFUSED}") from err


def _kill(kill: Callable[[int, int], None], ident: int) -> bool:
    try:
        kill(ident, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _stats(proc: Path) -> list[tuple[int, int, int]]:
    """(pid, ppid, pgid) of every process (from /proc/PID/stat)."""
    out = []
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
            out.append((int(stat.parent.name), int(fields[1]), int(fields[2])))
        except (OSError, ValueError, IndexError):
            continue
    return out


def group_members(pgid: int, proc: Path = Path("/proc")) -> list[int]:
    """The processes of process group pgid."""
    return [pid for pid, _, group in _stats(proc) if group == pgid]


def kernel_processes(parent: int, proc: Path = Path("/proc")) -> list[int]:
    """The kernel kunit.py (parent) boots and its helpers: its children and the
    process groups they lead (a UML kernel puts itself in a session of its own,
    out of kunit.py's group)."""
    stats = _stats(proc)
    groups = {group for _, ppid, group in stats if ppid == parent}
    return sorted(pid for pid, ppid, group in stats
                  if pid != parent and (ppid == parent or group in groups))


def stop_kernel(parent: int) -> int:
    """Kill the kernel kunit.py (parent) booted, and its helpers; how many."""
    return sum(_kill(os.kill, pid) for pid in kernel_processes(parent))


def stop_process(pid: int) -> bool:
    """Kill a process left by an interrupted run; True if it was there."""
    return _kill(os.kill, pid)


def stop_group(pgid: int) -> bool:
    """Kill a process group left by an interrupted run, and the kernel its
    kunit.py (the group's leader) booted; True if it was there."""
    return stop_kernel(pgid) + _kill(os.killpg, pgid) > 0


def addr2line(binary: Path, addrs: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Inline chains (function, file:line), innermost first, for each address."""
    if not addrs:
        return {}
    if not binary.is_file():
        raise HarnessError(f"no {binary} to symbolise with: build the kernel first")
    argv = ["addr2line", "-a", "-i", "-f", "-e", str(binary)] + [hex(a) for a in addrs]
    try:
        out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        raise HarnessError(f"addr2line failed on {binary}: {err}") from err
    chains: dict[int, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    lines = out.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("0x"):
            current = chains.setdefault(int(lines[i], 16), [])
            i += 1
            continue
        if i + 1 < len(lines):
            current.append((lines[i], lines[i + 1]))
        i += 2
    return chains


def symbol_addresses(binary: Path, names: set[str]) -> dict[str, int]:
    """Addresses of the named functions in binary (nm)."""
    if not names:
        return {}
    try:
        out = subprocess.run(["nm", str(binary)], check=True, capture_output=True,
                             text=True).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        raise HarnessError(f"nm failed on {binary}: {err}") from err
    found: dict[str, int] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in names and parts[1] in "tT":
            found[parts[2]] = int(parts[0], 16)
    return found


def text_symbols(binary: Path) -> list[tuple[int, int, str]]:
    """(address, size, name) of every function symbol in binary (nm -S), by address."""
    try:
        out = subprocess.run(["nm", "-S", "--defined-only", str(binary)], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        raise HarnessError(f"nm failed on {binary}: {err}") from err
    found = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tT":
            found.append((int(parts[0], 16), int(parts[1], 16), parts[3]))
        elif len(parts) == 3 and parts[1] in "tT":
            found.append((int(parts[0], 16), 0, parts[2]))
    return sorted(found)


def git_revision(repo: Path) -> str | None:
    """HEAD of the checkout, with '-dirty' when it has local changes; None outside git."""
    try:
        rev = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True,
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], check=True,
                               capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return rev + ("-dirty" if dirty else "")


def tree_revision(kdir: Path) -> str | None:
    """The kernel tree's commit when kdir is a git work tree's top (not a tree
    that merely lies inside another repository), with '-dirty' for local
    changes; None for a tree without git (a linux-source package)."""
    try:
        top = subprocess.run(["git", "-C", str(kdir), "rev-parse", "--show-toplevel"],
                             check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return git_revision(kdir) if Path(top).resolve() == kdir.resolve() else None


def files_containing(root: Path, needle: str, suffixes: tuple[str, ...]) -> list[Path]:
    """The files under root named *suffix (any of suffixes) that contain needle
    (grep -r, which follows no symlink; hidden directories such as build
    directories are left out)."""
    dirs = [str(p) for p in sorted(root.iterdir()) if p.is_dir() and not p.is_symlink()
            and not p.name.startswith(".")]
    if not dirs:
        return []
    proc = subprocess.run(["grep", "-rlF", *(f"--include=*{s}" for s in suffixes),
                           "-e", needle] + dirs, capture_output=True, text=True)
    if proc.returncode > 1:
        raise HarnessError(f"grep over {root} failed: {proc.stderr.strip()}")
    return [Path(line) for line in proc.stdout.splitlines()]


def copy_checkout(src: Path, dst: Path) -> int:
    """Copy the files git tracks in src (as they are in the work tree, local
    changes included) to a new directory dst; returns how many."""
    proc = subprocess.run(["git", "-C", str(src), "ls-files", "-z"], capture_output=True)
    if proc.returncode:
        raise HarnessError(f"{src} is not a git checkout: {proc.stderr.decode().strip()}")
    names = [n for n in proc.stdout.decode().split("\0") if n]
    for name in names:
        target = dst / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (src / name).is_file():
            shutil.copy2(src / name, target)
    return len(names)


def copy_tree(kdir: Path, dst: Path, build: str, *more: str) -> None:
    """A kernel tree at dst sharing kdir's source files (hard links: git apply
    writes a new file, so a patched file never reaches kdir), with a real copy
    of its build directory build, and of the more (relative to kdir: gcc
    rewrites objects in place).  kfault's farm (.kfault: link() makes the copy its own) and other
    build directories (.kunit-*) are left out."""
    dst.mkdir(parents=True)
    for entry in sorted(kdir.iterdir()):
        if entry.name.startswith((".kunit", ".kfault")):
            continue
        proc = subprocess.run(["cp", "-al", str(entry), str(dst / entry.name)],
                              capture_output=True, text=True)
        if proc.returncode:
            raise HarnessError(f"cannot link {entry} into {dst}: {proc.stderr.strip()}")
    for one in (build,) + more:
        if not (kdir / one).is_dir():
            continue
        (dst / one).parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(["cp", "-a", str(kdir / one), str(dst / one)],
                              capture_output=True, text=True)
        if proc.returncode:
            raise HarnessError(f"cannot copy {kdir / one}: {proc.stderr.strip()}")


def sparse(kdir: Path, build_dir: Path, objects: list[str],
           run_as: tuple[int, int] | None) -> list[str] | None:
    """sparse (make C=2) on the objects of a configured build directory: its
    warnings and errors; None when sparse is not installed.  Builds what it
    checks, so as run_as when given."""
    if not shutil.which("sparse"):
        return None
    if not objects:
        return []
    argv = ["make", "-s", "ARCH=um", f"O={build_dir}", "C=2", "CC=ccache gcc"] + objects
    env = user_env(dict(os.environ), build_dir) if run_as else dict(os.environ)
    proc = subprocess.run(as_user(argv, run_as), cwd=kdir, env=env, capture_output=True,
                          text=True)
    return [x for x in (proc.stdout + proc.stderr).splitlines()
            if ": warning:" in x or ": error:" in x]


def git_diff(repo: Path, args: list[str]) -> str:
    """git diff --binary ARGS in repo (a work tree): its text; HarnessError with
    git's first line (a bad revision, not a git tree)."""
    proc = subprocess.run(["git", "-C", str(repo), "diff", "--binary", "--no-color",
                           "--no-ext-diff"] + args, capture_output=True, text=True)
    if proc.returncode:
        said = next((x for x in proc.stderr.splitlines() if x.strip()), "git diff failed")
        raise HarnessError(f"git diff {' '.join(args)} in {repo}: {said.strip()}")
    return proc.stdout


def give(path: Path, uid: int, gid: int) -> None:
    """chown -R path to uid:gid (a real copy only: never hard links into a tree)."""
    proc = subprocess.run(["chown", "-R", f"{uid}:{gid}", str(path)], capture_output=True,
                          text=True)
    if proc.returncode:
        raise HarnessError(f"cannot give {path} to uid {uid}: {proc.stderr.strip()}")


def apply_patches(tree: Path, patches: list[Path]) -> str | None:
    """Apply the patches to tree in order (a scratch copy: the caller throws it
    away when one fails): None, or what git apply said about the first hunk
    that did not apply.  No repository above tree is used."""
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(tree.parent))
    for patch in patches:
        proc = subprocess.run(["git", "apply", str(patch.resolve())], cwd=tree, env=env,
                              capture_output=True, text=True)
        if proc.returncode:
            said = [x.strip() for x in proc.stderr.splitlines() if x.strip()]
            return f"{patch.name}: " + ("; ".join(said[:2]) or "git apply failed")
    return None


def checkpatch(kdir: Path, files: list[Path]) -> list[str]:
    """scripts/checkpatch.pl --strict --no-tree on patches: what they add that it
    flags (a review is about the patch, not the file's older lines)."""
    out: list[str] = []
    for f in files:
        # on stdin: a patch file that git tracks would be checked as a source file
        proc = subprocess.run(["perl", str(kdir / "scripts/checkpatch.pl"), "--strict",
                               "--no-tree", "--no-signoff", "--quiet", "--show-types",
                               "--no-summary", "-"], input=f.read_text(errors="replace"),
                              capture_output=True, text=True)
        out += [x for x in proc.stdout.splitlines() if x.strip()]
    return out


def boot_uml(kernel: Path, args: list[str], log: Path, timeout: int,
             on_start: Callable[[int], None] | None = None,
             run_as: tuple[int, int] | None = None) -> int | None:
    """Boot a UML kernel as an ordinary process, console into log; None on timeout.
    on_start gets its process group (a session of its own); run_as: (uid, gid)
    to boot it as (a review's patched kernel)."""
    if not kernel.is_file():
        raise HarnessError(f"no UML kernel at {kernel}: the build failed")
    with log.open("w") as out:
        # an O= build links its source tree in as 'source'
        fallback = uml_fallback(kernel.parent / "source")
        try:
            # UML keeps its umid directory in $HOME/.uml: as another user, in
            # the kernel's build directory, which is that user's
            env = user_env(dict(os.environ), kernel.parent) if run_as else None
            proc = subprocess.Popen(as_user([str(kernel)] + args
                                            + ([seccomp.NO_AVX] if fallback else []), run_as),
                                    env=env,
                                    stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    preexec_fn=seccomp.install if fallback else None)
        except subprocess.SubprocessError as err:
            raise HarnessError(f"cannot boot {kernel}: {FILTER_REFUSED}") from err
        if on_start:
            on_start(proc.pid)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return None


def faddr2line(kdir: Path, binary: Path, calls: dict[str, str]
               ) -> dict[str, list[tuple[str, str]]]:
    """The kernel's scripts/faddr2line on calls of vmlinux or a module, each
    "func+0xoff" (the call's offset) mapped to the frame it was made from:
    inline chains (function, file:line), innermost first, keyed by that frame."""
    if not calls:
        return {}
    if not binary.is_file():
        raise HarnessError(f"no {binary} to symbolise with: build the kernel first")
    asked = dict(calls)
    try:
        out = subprocess.run([str(kdir / "scripts/faddr2line"), str(binary)] + list(asked),
                             capture_output=True, text=True, check=False).stdout
    except OSError as err:
        raise HarnessError(f"faddr2line failed on {binary}: {err}") from err
    chains: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for line in out.splitlines():
        line = line.strip()
        head = line[:-1].split("/")[0] if line.endswith(":") else ""
        if head in asked:       # "func+0xoff/0xsize:" (the size faddr2line found)
            current = chains.setdefault(asked[head], [])
        elif current is not None and " at " in line:
            func, _, where = line.removeprefix("(inlined by) ").partition(" at ")
            current.append((func, where))
    return chains


def coverage_setup(build_dir: Path, libgcov: str) -> None:
    """Ready build_dir for a coverage build (checkout/gcov.py): gcc's libgcov.a
    copied in as libgcov with mangle_path renamed (fs/seq_file.c has one), and
    the counts of an earlier run removed (libgcov adds to what it finds)."""
    proc = subprocess.run(["gcc", "-print-file-name=libgcov.a"], capture_output=True,
                          text=True)
    lib = Path(proc.stdout.strip())
    if proc.returncode or not lib.is_absolute() or not lib.is_file():
        raise HarnessError("gcc has no libgcov.a: a coverage build needs gcc's own "
                           "(Debian: libgcc-12-dev)")
    build_dir.mkdir(parents=True, exist_ok=True)
    dst = build_dir / libgcov
    proc = subprocess.run(["objcopy", "--redefine-sym", "mangle_path=kfault_gcov_mangle_path",
                           str(lib), str(dst)], capture_output=True, text=True)
    if proc.returncode:
        raise HarnessError(f"objcopy of {lib} failed: {proc.stderr.strip()[:200]}")
    dst.chmod(0o644)
    # kunit.py builds compile_commands.json, whose script opens the .cmd file
    # of each archive member Kbuild links; libgcov's members have none
    proc = subprocess.run(["ar", "t", str(dst)], capture_output=True, text=True)
    for member in proc.stdout.split():
        (build_dir / f".{member}.cmd").write_text("# a member of libgcov.a: not Kbuild's\n")
    for old in build_dir.rglob("*.gcda"):
        old.unlink()


def gcov_json(build_dir: Path, files: list[str]) -> dict[str, str | None]:
    """gcov --json-format --stdout for each kernel-tree .c file of a coverage
    build, run in the build directory: its JSON text, or None when no .gcda
    was written (the object never ran) or gcov could not read it."""
    out: dict[str, str | None] = {}
    for f in files:
        gcda = build_dir / Path(f).with_suffix(".gcda")
        if not gcda.is_file():
            out[f] = None
            continue
        proc = subprocess.run(["gcov", "--json-format", "--stdout", "-o", str(gcda.parent),
                               str(gcda)], cwd=build_dir, capture_output=True, text=True)
        out[f] = proc.stdout if proc.returncode == 0 and proc.stdout.strip() else None
    return out


def compile_c(src: Path, dst: Path) -> None:
    """A user-space helper, with the host's compiler and libc only."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["cc", "-O2", "-Wall", "-o", str(dst), str(src)],
                          capture_output=True, text=True)
    if proc.returncode:
        said = [x for x in proc.stderr.splitlines() if "error" in x]
        raise HarnessError(f"cc {src.name} failed: " + (said[0] if said else proc.stderr[:200]))


class Runner(Protocol):
    """What a flow may ask of the outside world."""

    def run_kunit(self, req: KunitRequest, output: Path | None = None,
                  on_start: Callable[[int], None] | None = None) -> int: ...

    def addr2line(self, binary: Path, addrs: list[int]) -> dict[int, list[tuple[str, str]]]: ...

    def symbol_addresses(self, binary: Path, names: set[str]) -> dict[str, int]: ...

    def boot_uml(self, kernel: Path, args: list[str], log: Path, timeout: int,
                 on_start: Callable[[int], None] | None = None,
                 run_as: tuple[int, int] | None = None) -> int | None: ...

    def git_revision(self, repo: Path) -> str | None: ...

    def tree_revision(self, kdir: Path) -> str | None: ...

    def files_containing(self, root: Path, needle: str,
                         suffixes: tuple[str, ...]) -> list[Path]: ...

    def stop_process(self, pid: int) -> bool: ...

    def stop_group(self, pgid: int) -> bool: ...

    def copy_checkout(self, src: Path, dst: Path) -> int: ...

    def apply_patches(self, tree: Path, patches: list[Path]) -> str | None: ...

    def copy_tree(self, kdir: Path, dst: Path, build: str, *more: str) -> None: ...

    def give(self, path: Path, uid: int, gid: int) -> None: ...

    def git_diff(self, repo: Path, args: list[str]) -> str: ...

    def sparse(self, kdir: Path, build_dir: Path, objects: list[str],
               run_as: tuple[int, int] | None) -> list[str] | None: ...

    def checkpatch(self, kdir: Path, files: list[Path]) -> list[str]: ...

    def faddr2line(self, kdir: Path, binary: Path, calls: dict[str, str]
                   ) -> dict[str, list[tuple[str, str]]]: ...

    def compile_c(self, src: Path, dst: Path) -> None: ...

    def coverage_setup(self, build_dir: Path, libgcov: str) -> None: ...

    def gcov_json(self, build_dir: Path, files: list[str]) -> dict[str, str | None]: ...

    def text_symbols(self, binary: Path) -> list[tuple[int, int, str]]: ...


class ProcessRunner:
    """The real thing: processes on this machine."""

    def run_kunit(self, req: KunitRequest, output: Path | None = None,
                  on_start: Callable[[int], None] | None = None) -> int:
        return run_kunit(req, output, on_start)

    def addr2line(self, binary: Path, addrs: list[int]) -> dict[int, list[tuple[str, str]]]:
        return addr2line(binary, addrs)

    def symbol_addresses(self, binary: Path, names: set[str]) -> dict[str, int]:
        return symbol_addresses(binary, names)

    def boot_uml(self, kernel: Path, args: list[str], log: Path, timeout: int,
                 on_start: Callable[[int], None] | None = None,
                 run_as: tuple[int, int] | None = None) -> int | None:
        return boot_uml(kernel, args, log, timeout, on_start, run_as)

    def git_revision(self, repo: Path) -> str | None:
        return git_revision(repo)

    def tree_revision(self, kdir: Path) -> str | None:
        return tree_revision(kdir)

    def files_containing(self, root: Path, needle: str,
                         suffixes: tuple[str, ...]) -> list[Path]:
        return files_containing(root, needle, suffixes)

    def stop_process(self, pid: int) -> bool:
        return stop_process(pid)

    def stop_group(self, pgid: int) -> bool:
        return stop_group(pgid)

    def copy_checkout(self, src: Path, dst: Path) -> int:
        return copy_checkout(src, dst)

    def apply_patches(self, tree: Path, patches: list[Path]) -> str | None:
        return apply_patches(tree, patches)

    def copy_tree(self, kdir: Path, dst: Path, build: str, *more: str) -> None:
        copy_tree(kdir, dst, build, *more)

    def give(self, path: Path, uid: int, gid: int) -> None:
        give(path, uid, gid)

    def git_diff(self, repo: Path, args: list[str]) -> str:
        return git_diff(repo, args)

    def sparse(self, kdir: Path, build_dir: Path, objects: list[str],
               run_as: tuple[int, int] | None) -> list[str] | None:
        return sparse(kdir, build_dir, objects, run_as)

    def checkpatch(self, kdir: Path, files: list[Path]) -> list[str]:
        return checkpatch(kdir, files)

    def faddr2line(self, kdir: Path, binary: Path, calls: dict[str, str]
                   ) -> dict[str, list[tuple[str, str]]]:
        return faddr2line(kdir, binary, calls)

    def compile_c(self, src: Path, dst: Path) -> None:
        compile_c(src, dst)

    def coverage_setup(self, build_dir: Path, libgcov: str) -> None:
        coverage_setup(build_dir, libgcov)

    def gcov_json(self, build_dir: Path, files: list[str]) -> dict[str, str | None]:
        return gcov_json(build_dir, files)

    def text_symbols(self, binary: Path) -> list[tuple[int, int, str]]:
        return text_symbols(binary)

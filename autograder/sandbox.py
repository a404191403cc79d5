"""The kernel a student's notebook runs in: capped memory, capped processes, nothing left behind.

`SandboxedKernelManager` is jupyter_client's kernel manager with two additions:

- the kernel command starts with kernel_launcher.py, which sets the limits on itself
  and then *becomes* the kernel (exec): an address-space cap (RLIMIT_AS: an allocation past it
  raises MemoryError in the student's cell), no core files, a kill signal if the grading process
  dies (so a killed grading run leaves no kernels behind), and, for a non-root grader, an
  RLIMIT_NPROC backstop against fork bombs (Linux exempts root from it);
- a watchdog thread that counts the kernel's processes (its session and every descendant) and
  stops the kernel when they exceed the cap. That rule is the one that decides, whoever runs
  the grader: the student gets "stopped: more than N processes", never a machine brought down.

On shutdown every process the kernel started is killed, including ones that left its session;
with `reap_orphans` (set by student.py, which makes itself the subreaper of its descendants),
also the ones that detached completely (double fork) and were handed to the grading process.
"""

import os
import signal
import sys
import threading

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Float, Integer

LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernel_launcher.py")


def describe_exit(returncode):
    """What became of a kernel process, in words a student understands (after 'the kernel ...')."""
    if returncode is None:
        return "stopped responding"
    if returncode >= 0:
        return f"exited with code {returncode} (os._exit, or a crash)"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    return {"SIGSEGV": "crashed with a segmentation fault (compiled code read or wrote memory it does not own, "
                       "e.g. through ctypes)",
            "SIGKILL": "was killed (SIGKILL), most often for running out of memory",
            "SIGABRT": "aborted (SIGABRT) in compiled code",
            "SIGBUS": "crashed with a bus error in compiled code"}.get(name, f"was stopped by {name}")


def _processes():
    """{pid: (ppid, session id)} of every process, read from /proc (psutil where there is none)."""
    if not os.path.isdir("/proc"):
        import psutil

        table = {}
        for process in psutil.process_iter(["ppid"]):
            try:
                table[process.pid] = (process.info["ppid"], os.getsid(process.pid))
            except OSError:
                pass
        return table
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
                table[int(entry)] = (int(fields[1]), int(fields[3]))
            except (OSError, IndexError, ValueError):
                pass  # ended while we looked
    return table


def kernel_processes(pid):
    """The kernel and everything it started: its session plus all descendants (some leave it)."""
    table = _processes()
    found = {p for p, (_, session) in table.items() if session == pid} | {pid}
    children = {}
    for p, (parent, _) in table.items():
        children.setdefault(parent, []).append(p)
    stack = list(found)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found & table.keys()


def kill_all(pid):
    """SIGKILL the kernel's session and descendants until none is left (a fork loop races us)."""
    for _ in range(50):
        alive = kernel_processes(pid)
        if not alive:
            return
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        for p in alive:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass


class Watchdog(threading.Thread):
    """Stops the kernel when it runs more than `limit` processes; records why."""

    def __init__(self, pid, limit, interval):
        super().__init__(daemon=True, name=f"watchdog-{pid}")
        self.pid, self.limit, self.interval = pid, limit, interval
        self.reason, self._stop = None, threading.Event()

    def run(self):
        while not self._stop.wait(self.interval):
            count = len(kernel_processes(self.pid))
            if count == 0:
                return
            if count > self.limit:
                self.reason = (f"was stopped after starting more than {self.limit} processes "
                               "(the limit for one notebook: look for a loop that starts processes)")
                kill_all(self.pid)
                return

    def stop(self):
        self._stop.set()


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run under the limits above."""

    reap_orphans = Bool(False, help="At cleanup, also kill every other child of this process (for a grading "
                                    "process that adopts the orphans of its kernels).").tag(config=True)
    memory_mb = Integer(4096, help="Address-space cap of each kernel process, in MiB (0: none).").tag(config=True)
    max_processes = Integer(64, help="Processes one kernel may run, itself included (0: no cap).").tag(config=True)
    watch_interval = Float(0.2, help="Seconds between two counts of a kernel's processes.").tag(config=True)

    watchdog = None
    kernel_process = None

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        return [sys.executable, "-I", "-S", LAUNCHER, str(self.memory_mb), str(self.max_processes), "--", *cmd]

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await super()._async_launch_kernel(kernel_cmd, **kw)
        self.kernel_process = self.provisioner.process
        if self.max_processes:
            self.watchdog = Watchdog(self.kernel_process.pid, self.max_processes, self.watch_interval)
            self.watchdog.start()

    def stop_reason(self):
        """Why the kernel is gone: the watchdog's reason, else its exit status."""
        if self.watchdog and self.watchdog.reason:
            return self.watchdog.reason
        code = self.kernel_process.poll() if self.kernel_process else None
        return describe_exit(code)

    async def _async_cleanup_resources(self, restart=False):
        if self.watchdog:
            self.watchdog.stop()
        if self.kernel_process is not None:
            kill_all(self.kernel_process.pid)
        if self.reap_orphans:
            for pid, (parent, _) in _processes().items():
                if parent == os.getpid() and pid != getattr(self.kernel_process, "pid", None):
                    kill_all(pid)
                    try:
                        os.waitpid(pid, 0)  # an adopted child: ours to reap
                    except ChildProcessError:
                        pass
        await super()._async_cleanup_resources(restart=restart)

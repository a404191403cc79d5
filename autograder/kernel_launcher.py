"""Starts a student's kernel under limits: `python kernel_launcher.py MEMORY_MB MAX_PROCESSES -- KERNEL...`.

It sets the limits on itself, then replaces itself with the kernel command (exec), so the
kernel is the process jupyter_client started. Standard library only: it runs with -I -S.
"""

import os
import signal
import sys


def _user_tasks(uid):
    """Tasks (processes and threads) this user runs now: what RLIMIT_NPROC counts."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                pass
    return count


def launch(memory_mb, max_processes, command):
    """Set the limits on this process, then replace it with the kernel."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_mb:
        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if max_processes and os.geteuid() != 0 and os.path.isdir("/proc"):
        # A backstop for fork bombs faster than the watchdog; per user, so leave room for the rest.
        backstop = _user_tasks(os.geteuid()) + 16 * max_processes
        resource.setrlimit(resource.RLIMIT_NPROC, (backstop, backstop))
    if sys.platform.startswith("linux"):
        import ctypes

        parent = os.getppid()
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the grading process
        if os.getppid() != parent:
            sys.exit(1)
    os.execv(command[0], command)


if __name__ == "__main__":
    launch(int(sys.argv[1]), int(sys.argv[2]), sys.argv[sys.argv.index("--") + 1:])

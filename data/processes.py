"""Worker processes die with the process that started them, and never write after it is gone.

A killed ``infrabt run`` once left tear-sheet workers running for minutes, writing into ``--out`` after their
parent was dead. A pool's initializer calls ``die_with_parent``: on Linux the kernel then kills the worker
when its parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``); everywhere, ``parent_alive`` lets the atomic
writes of ``infrabt.data.files`` refuse to put a file in place once the parent is gone.
"""

import ctypes
import multiprocessing
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
_parent: int | None = None
"""The pid of the process this worker serves, once ``die_with_parent`` ran; None in a main process."""


def die_with_parent() -> None:
    """Make this worker process end when its parent does (call it in a pool's initializer)."""
    global _parent
    parent = multiprocessing.parent_process()
    _parent = parent.pid if parent is not None else os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if not parent_alive():  # the parent died before the kernel was told: nobody else will end us
        os._exit(1)


def parent_alive() -> bool:
    """False in a worker whose parent has died (its parent pid changed to a reaper's)."""
    return _parent is None or os.getppid() == _parent

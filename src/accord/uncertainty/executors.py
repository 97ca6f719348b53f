"""Where chunks of work run: in this process, in local worker processes, or on a Dask cluster.

Every executor maps a pure function over a list of tasks and returns the results in task order,
so results never depend on which worker ran what. Seeds travel inside the tasks.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from accord.errors import AccordError
from accord.interrupts import on_interrupt
from accord.limits import check_count


class Executor:
    """Runs ``fn`` over ``tasks`` and yields results in order; ``progress(k)`` after each one."""

    name = "executor"

    def map(self, fn: Callable, tasks: Sequence, progress: Callable[[int], None] | None = None) -> list:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Serial(Executor):
    name = "serial"

    def map(self, fn, tasks, progress=None):
        out = []
        for task in tasks:
            out.append(interruptible(fn, task))
            if progress:
                progress(1)
        return out


def interruptible(fn: Callable, *args):
    """``fn(*args)`` run in a helper thread while this one waits, so that Ctrl-C stops the wait
    at once even while a compiled kernel (which does not look at signals) is running; the
    command line then ends the process, helper thread included."""
    if threading.current_thread() is not threading.main_thread():
        return fn(*args)  # only the main thread receives Ctrl-C: nothing to gain elsewhere
    box: dict = {}

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            box["error"] = exc

    t = threading.Thread(target=run, name="accord-chunk", daemon=True)
    t.start()
    while t.is_alive():
        t.join(0.1)
    if "error" in box:
        raise box["error"]
    return box["value"]


class Processes(Executor):
    """Local worker processes (``forkserver`` start method: safe with threads, no global change)."""

    name = "processes"

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        method = "forkserver" if "forkserver" in _methods() else "spawn"
        _quiet_resource_tracker()
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context(method),
                                         initializer=_one_thread)
        self._forget = on_interrupt(self.terminate)  # if Ctrl-C cannot reach the main thread in time

    def map(self, fn, tasks, progress=None):
        futures = [self._pool.submit(fn, t) for t in tasks]
        try:
            return _results(futures, progress)
        except BaseException:
            # Ctrl-C (or a failed chunk): stop now. Waiting for the running chunks could take
            # many seconds; their results would be thrown away.
            for f in futures:
                f.cancel()
            self.terminate()
            raise

    def terminate(self) -> None:
        """Kill the workers at once (they ignore Ctrl-C themselves: the parent decides)."""
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        for p in processes:
            with contextlib.suppress(Exception):
                p.kill()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._terminated = True
        self._forget()
        for p in processes:
            with contextlib.suppress(Exception):
                p.join(timeout=1)

    def close(self):
        if not getattr(self, "_terminated", False):
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._forget()


class DaskExecutor(Executor):
    """A Dask distributed cluster: ``tcp://HOST:PORT``, ``local`` (a LocalCluster of processes) or
    an existing ``distributed.Client``."""

    name = "dask"

    def __init__(self, scheduler="local", workers: int | None = None):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise AccordError("Dask is not installed: pip install 'accord[dask]'") from None
        self._own = None
        if hasattr(scheduler, "submit"):
            self.client = scheduler
        elif scheduler in (None, "local"):
            # Dask's nannies set MALLOC_TRIM_THRESHOLD_, which turns off glibc's adaptive mmap
            # threshold: every NumPy temporary above 128 KiB is then mmapped and unmapped, and
            # the models run 2-3x slower (measured). accord's own local cluster leaves malloc alone.
            # Its workers are single-threaded, like local worker processes (see _one_thread).
            import dask

            # (pre-spawn variables are set in this process too; ``env`` only in the workers.)
            # Nor do the workers run Dask's statistical profiler (a stack sample of every thread
            # every 10 ms, taken under the GIL): nobody reads it here. Turning it off made no
            # difference measurable on the 2-core development machine, whose speed drifts ±20 %.
            dask.config.set({"distributed.nanny.pre-spawn-environ": {}, "distributed.worker.profile.enabled": False})
            self._own = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                     processes=True, dashboard_address=None, host="127.0.0.1",
                                     env={_THREADS: "1"})
            self.client = Client(self._own)
        elif scheduler == "inprocess":
            self._own = LocalCluster(n_workers=1, threads_per_worker=workers or 2, processes=False,
                                     dashboard_address=None)
            self.client = Client(self._own)
        else:
            try:
                self.client = Client(scheduler, timeout="10s")
            except (OSError, ValueError, TypeError) as exc:  # unreachable, refused, timed out, bad address
                raise AccordError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None

    def map(self, fn, tasks, progress=None):
        futures = self.client.map(fn, list(tasks), pure=False)
        try:
            return _results(futures, progress)
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.cancel(futures)
            raise

    def close(self):
        if self._own is not None:
            with contextlib.suppress(Exception):
                self.client.close(timeout=2)
            with contextlib.suppress(Exception):
                self._own.close(timeout=2)


_THREADS = "NUMBA_NUM_THREADS"


def _quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with its leak warning off. Workers killed on
    Ctrl-C leave the pool's queue semaphores to the tracker, which removes them as it should but
    would also print a warning after "interrupted"; nothing else of ours uses it."""
    from multiprocessing import resource_tracker

    before = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [before, "ignore::UserWarning:multiprocessing.resource_tracker"]))
    try:
        resource_tracker.ensure_running()
    finally:
        if before is None:
            del os.environ["PYTHONWARNINGS"]
        else:
            os.environ["PYTHONWARNINGS"] = before


def _one_thread() -> None:
    """Worker start-up: one compiled-kernel thread per worker process (the workers already use
    every core; kernels threading inside each of them would oversubscribe the machine), and Ctrl-C
    ignored: it reaches every process of the terminal's group, and the parent stops the workers
    itself instead of each printing a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ[_THREADS] = "1"
    if "numba" in sys.modules:  # a forked worker inherits an imported numba: set it directly
        sys.modules["numba"].set_num_threads(1)


def _results(futures, progress) -> list:
    """Futures' results in submission order (never completion order), ticking ``progress``."""
    out = []
    for f in futures:
        out.append(f.result())
        if progress:
            progress(1)
    return out


def _methods() -> Iterable[str]:
    from multiprocessing import get_all_start_methods

    return get_all_start_methods()


def make_executor(workers: int = 1, scheduler=None) -> Executor:
    """The executor for ``--workers`` / ``--scheduler``: Dask when a scheduler is named,
    processes when more than one worker, otherwise serial."""
    if workers is not None:
        check_count("--workers", workers, "workers")
    if scheduler is not None:
        return DaskExecutor(check_scheduler(scheduler), workers=workers if workers and workers > 1 else None)
    if workers and workers > 1:
        return Processes(workers)
    return Serial()


_ADDRESS = re.compile(r"(?:(?:tcp|tls|inproc|ucx|ws|wss)://)?(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}")


def check_scheduler(scheduler):
    """``scheduler`` if it is ``local``, ``inprocess``, a Dask client or an address such as
    ``tcp://HOST:PORT``; otherwise an :class:`AccordError` saying what is expected."""
    if not isinstance(scheduler, str) or scheduler in ("local", "inprocess"):
        return scheduler
    if not _ADDRESS.fullmatch(scheduler.strip()) or not 0 < int(scheduler.rsplit(":", 1)[1]) < 65536:
        raise AccordError(f"--scheduler must be 'local' or a Dask scheduler address such as tcp://HOST:8786, "
                          f"got {scheduler!r}")
    return scheduler.strip()

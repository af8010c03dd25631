"""Give freed memory back to the system between steps (issue #50).

One process runs step after step and video after video (the CLI, a run worker with a batch of
videos). Python frees a step's arrays, but glibc keeps the freed pages: in the arenas of the threads
that allocated them (OpenVINO, ONNX Runtime, CTranslate2 and FFmpeg each run their own) and, for
arrays of a few MB (a 1080x1920 frame is 6.2 MB), in the heap once glibc has raised its mmap
threshold (it does after the first such array is freed: later ones come from the heap, fragment it
and are never returned). Traced on six sample videos with every analyzer in one process (AMD EPYC,
2 cores, ``benchmark/results/README.md``): the process's floor climbed about 60 MB a video and
the peak with it, from 2.58 GB on the first video to 3.27 GB on the sixth.

Two remedies, both in glibc's own interface and both no-ops elsewhere:

* ``bounded_heap()``, once per process: a fixed mmap threshold (1 MiB unless ``MALLOC_MMAP_THRESHOLD_``
  is set), so a frame-sized array is mapped on its own and unmapped when freed;
* ``release_freed_memory()`` around every step (``releases_memory``): a garbage collection, then
  ``malloc_trim(0)``, which returns the free pages of every arena.

No Dagster import: the assets wrap their bodies with it and the benchmark could call it too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import inspect
import os
from typing import Any, Callable

M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
MMAP_THRESHOLD = 1 << 20

_libc: Any = None


def _glibc() -> Any | None:
    global _libc
    if _libc is None:
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc = lib if hasattr(lib, "malloc_trim") and hasattr(lib, "mallopt") else False
        except OSError:
            _libc = False
    return _libc or None


def bounded_heap(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold (it stops adapting): True where it was set. The environment's
    ``MALLOC_MMAP_THRESHOLD_`` wins (glibc read it at start)."""
    libc = _glibc()
    if libc is None or os.environ.get("MALLOC_MMAP_THRESHOLD_"):
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, int(threshold)))


def release_freed_memory() -> None:
    """Collect garbage, then return every arena's free pages to the system (tens of ms)."""
    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def releases_memory(fn: Callable) -> Callable:
    """Wraps a step's body (a function or a generator, as Dagster's compute functions are): memory is
    released before it starts (what the previous step freed) and when it ends, however it ends."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args, **kwargs):
            release_freed_memory()
            try:
                yield from fn(*args, **kwargs)
            finally:
                release_freed_memory()

        return generator

    @functools.wraps(fn)
    def function(*args, **kwargs):
        release_freed_memory()
        try:
            return fn(*args, **kwargs)
        finally:
            release_freed_memory()

    return function

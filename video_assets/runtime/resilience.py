"""Out-of-memory inside a step: retry with half the batch, then on the CPU.

A GPU shared with other work (or a long video with a large batch) can run out of memory on one
partition while the next would fit. Failing the step would lose the other partitions of a backfill
step and retry the same batch; instead the step degrades in place and stays degraded for the rest
of its partitions: first every batch-size field of the preset halved, then the model reloaded on
the CPU with the preset's batches. Anything that is not an out-of-memory error is re-raised as is
(bad input fails fast with its own message, and Dagster's retry policy handles the rest).

No Dagster import: the analyzer assets call ``OomFallback`` and the benchmark could too.
"""

from __future__ import annotations

import dataclasses
import gc
from dataclasses import dataclass, field
from typing import Any, Callable

# Phrases that out-of-memory errors carry where the library raises a plain RuntimeError
# (PyTorch's CPU allocator, CTranslate2, ONNX Runtime, OpenVINO).
_OOM_PHRASES = ("out of memory", "can't allocate memory", "failed to allocate memory", "cudnn_status_alloc_failed",
                "bad_alloc", "std::bad_alloc")


def is_out_of_memory(exc: BaseException) -> bool:
    """True for CUDA and host allocation failures, whichever library raised them."""
    if isinstance(exc, MemoryError):
        return True
    try:
        import torch

        if isinstance(exc, torch.OutOfMemoryError):
            return True
    except (ImportError, AttributeError):
        pass
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and any(p in text for p in _OOM_PHRASES)


def halved(config: Any, batch_fields: tuple[str, ...]) -> Any | None:
    """The config with every batch field halved (at least 1); None when all are already 1."""
    changes = {f: max(1, getattr(config, f) // 2) for f in batch_fields if getattr(config, f) > 1}
    return dataclasses.replace(config, **changes) if changes else None


def release_gpu_memory() -> None:
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:
        pass


@dataclass
class OomFallback:
    """Runs ``run(inputs, config, model)`` for each partition of a step, degrading on out-of-memory.

    config: the preset's frozen dataclass; batch_fields: its batch-size fields; model/device: what
    the resource loaded; load_cpu: loads the same preset on the CPU (called at most once).
    ``events`` records each degradation as a sentence for logs and metadata.
    """

    run: Callable[[Any, Any, Any], Any]
    config: Any
    batch_fields: tuple[str, ...]
    model: Any
    device: str
    load_cpu: Callable[[], tuple[Any, str]]
    events: list[str] = field(default_factory=list)
    _halved: bool = False

    def __post_init__(self) -> None:
        self._preset_config = self.config

    def _attempt(self, inputs: Any) -> tuple[Any, BaseException | None]:
        """(result, None), or (None, the out-of-memory error); any other error propagates.

        The error's traceback is dropped before the memory is released: its frames hold the failed
        batch's tensors, and on an H100 (benchmark/gpu/oom.json, first kit run) keeping them left 8.8 of
        79 GiB free, so half the batch ran out of memory too.
        """
        error: BaseException | None = None
        try:
            return self.run(inputs, self.config, self.model), None
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            error = _without_frames(exc)
        release_gpu_memory()
        return None, error

    def __call__(self, inputs: Any, label: str) -> Any:
        result, error = self._attempt(inputs)
        if error is None:
            return result
        if not self._halved and (smaller := halved(self.config, self.batch_fields)) is not None:
            self._halved = True
            sizes = ", ".join(f"{f} {getattr(self.config, f)}->{getattr(smaller, f)}" for f in self.batch_fields)
            self.events.append(f"{label}: out of memory on {self.device} ({_short(error)}); retried with half the batch ({sizes})")
            self.config = smaller
            result, error = self._attempt(inputs)
            if error is None:
                return result
        if self.device == "cpu":
            raise error
        self.events.append(f"{label}: out of memory on {self.device} ({_short(error)}); moved to the CPU for the rest of the step")
        self.model, self.device = self.load_cpu()
        self.config = self._preset_config
        return self.run(inputs, self.config, self.model)


def _without_frames(exc: BaseException) -> BaseException:
    """The same error with no traceback (nor chained ones): nothing keeps the failed call's locals."""
    seen = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        node.__traceback__ = None
        node = node.__cause__ or node.__context__
    return exc


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"

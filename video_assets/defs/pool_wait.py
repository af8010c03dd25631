"""A run whose next step waits for a Dagster pool slot sleeps until its next claim check instead of
spinning on a core.

Why: Dagster's in-process executor (every run's here, ``video_assets/cluster/executor.py``) loops
``get_next_step()`` then ``sleep_til_ready()`` while every ready step is blocked on a pool
(``gpu/<asset>``), and ``sleep_til_ready`` sleeps for
``InstanceConcurrencyContext.interval_to_next_pending_claim_check()``. In Dagster 1.13 that returns
``min([0, *intervals])``, never more than 0, so a blocked run never sleeps: it re-plans its steps
as fast as it can until the slot frees. The claims themselves are only retried when their own
timeouts pass (1 s, backing off to 15 s), so the loop does nothing useful. Measured (bench-overhead,
``ray-run-1``, 64 videos in two concurrent runs of 32, py-spy on the run processes, AMD EPYC, 2 cores):
the run that waited for the other's analyzer slots spent 68 of its 139 CPU-seconds in this loop.

``install()`` replaces the method with the intended one (the time to the earliest pending claim
check, at least 0) only where the installed Dagster has the bug, found by calling it, so a Dagster
that fixes it is left alone. Claims are tried at the same moments as before: only the spinning
between them goes. Installed when the code location is imported (``video_assets/definitions.py``),
which every run process does.
"""

from __future__ import annotations

import time

from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext

_ORIGINAL = InstanceConcurrencyContext.interval_to_next_pending_claim_check


def _seconds_to_next_claim_check(self: InstanceConcurrencyContext) -> float:
    """Seconds until the earliest pending claim may be tried again (0 when one may be tried now)."""
    if not self._pending_claims or not self._pending_timeouts:
        return 0.0
    return max(0.0, min(self._pending_timeouts.values()) - time.time())


def never_waits(method=_ORIGINAL) -> bool:
    """Whether ``method`` answers 0 or less for a claim whose next check is 5 s away (the bug)."""
    probe = object.__new__(InstanceConcurrencyContext)
    probe._pending_claims = {"step"}
    probe._pending_timeouts = {"step": time.time() + 5.0}
    return method(probe) <= 0


def install() -> bool:
    """Replace the method where it never waits; True when it was replaced (now or before)."""
    if InstanceConcurrencyContext.interval_to_next_pending_claim_check is _seconds_to_next_claim_check:
        return True
    if not never_waits():
        return False
    InstanceConcurrencyContext.interval_to_next_pending_claim_check = _seconds_to_next_claim_check
    return True

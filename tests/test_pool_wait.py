"""A run whose step waits for a Dagster pool slot (the analyzers' ``gpu/<asset>`` pools) sleeps
between its claim checks instead of spinning on a core (``video_assets/defs/pool_wait.py``)."""

import threading
import time

import dagster as dg

import video_assets.definitions  # noqa: F401  (the code location installs the fix, as every run process does)
from video_assets.defs import pool_wait

HELD_S = 3.0


@dg.op(pool="pool-wait-probe")
def _waits_for_the_slot():
    return time.time()


@dg.job
def _probe_job():
    _waits_for_the_slot()


def test_the_installed_wait_is_the_time_to_the_next_claim_check():
    assert pool_wait.install()
    assert not pool_wait.never_waits(pool_wait._seconds_to_next_claim_check)
    probe = object.__new__(pool_wait.InstanceConcurrencyContext)
    probe._pending_claims, probe._pending_timeouts = {"a", "b"}, {"a": time.time() + 8.0, "b": time.time() + 2.0}
    assert 1.5 < probe.interval_to_next_pending_claim_check() <= 2.0
    probe._pending_timeouts = {"a": time.time() - 1.0, "b": time.time() + 2.0}
    assert probe.interval_to_next_pending_claim_check() == 0.0


def test_a_run_blocked_on_a_pool_waits_for_the_slot_without_burning_a_core(tmp_path):
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        store = instance.event_log_storage
        assert store.supports_global_concurrency_limits
        store.set_concurrency_slots("pool-wait-probe", 1)
        assert store.claim_concurrency_slot("pool-wait-probe", "another-run", "its-step", 0).is_claimed
        freed: list[float] = []

        def free():
            freed.append(time.time())
            store.free_concurrency_slot_for_step("another-run", "its-step")

        threading.Timer(HELD_S, free).start()
        cpu0, t0 = time.process_time(), time.time()
        result = _probe_job.execute_in_process(instance=instance)
        cpu = time.process_time() - cpu0
    assert result.success
    started = result.output_for_node("_waits_for_the_slot")
    assert freed and started >= freed[0] and started - t0 >= HELD_S  # it did wait for the slot
    # Spinning costs a core for the whole wait (4.8 CPU-s for 4 s measured before the fix; 0.2 after).
    assert cpu < 0.5 * HELD_S, f"{cpu:.2f} CPU-s while waiting {HELD_S} s for a pool slot"

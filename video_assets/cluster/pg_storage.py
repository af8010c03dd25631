"""dagster-postgres storages that keep their connections open (``deploy/dagster.yaml``).

Why: dagster-postgres opens a new connection for every statement outside the webserver (SQLAlchemy's
``NullPool``), and every new connection is a Postgres backend forked, authenticated and warmed up.
A run writes an event per step start, input, output, materialization and check, so on the Ray path
16 videos cost Postgres 39.5 CPU-s, 2.5 CPU-s a video, more than the run process's own machinery
(``make bench-overhead``'s CPU by process, docs/operating.md, "Which path, when"). Here each process keeps a
small pool: ``VIDEO_ASSETS_PG_POOL_SIZE`` connections held (default 2), up to
``VIDEO_ASSETS_PG_POOL_OVERFLOW`` more at once (default 8, closed after use), each checked with a
ping before use (a restarted Postgres costs a reconnect, not a failed write) and replaced after
``VIDEO_ASSETS_PG_POOL_RECYCLE_S`` (default 1800). The webserver swaps in its own pooled engine as
before (``optimize_for_webserver``). Held connections count against ``max_connections``: the
daemon, the code server and every run process hold up to the pool size each.
"""

from __future__ import annotations

import os
from typing import Any

from dagster_postgres.event_log import PostgresEventLogStorage
from dagster_postgres.run_storage import PostgresRunStorage
from dagster_postgres.schedule_storage import PostgresScheduleStorage
from dagster_postgres.utils import create_pg_engine, get_token_provider_from_config, pg_url_from_config


def pool_settings() -> dict[str, Any]:
    return {"pool_size": int(os.environ.get("VIDEO_ASSETS_PG_POOL_SIZE", "2")),
            "max_overflow": int(os.environ.get("VIDEO_ASSETS_PG_POOL_OVERFLOW", "8")),
            "pool_recycle": int(os.environ.get("VIDEO_ASSETS_PG_POOL_RECYCLE_S", "1800")),
            "pool_pre_ping": True}


class _Pooled:
    """Replaces the storage's per-statement engine with a pooled one, and builds this class (not
    dagster-postgres's) from ``dagster.yaml``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # creates the tables with a throwaway connection, as before
        self._engine.dispose()
        self._engine = create_pg_engine(self.postgres_url, self._token_provider, isolation_level="AUTOCOMMIT", **pool_settings())

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, postgres_url=pg_url_from_config(config_value),
                   should_autocreate_tables=config_value.get("should_autocreate_tables", True),
                   token_provider=get_token_provider_from_config(config_value))


class PooledPostgresRunStorage(_Pooled, PostgresRunStorage):
    """Runs, with pooled connections."""


class PooledPostgresEventLogStorage(_Pooled, PostgresEventLogStorage):
    """Events (and pool slots), with pooled connections."""

    def initialize_concurrency_limit_to_default(self, concurrency_key: str) -> bool:
        """A pool's first use, safe when two runs make it at once.

        Dagster inserts the pool's row with the default limit and, when another process inserted
        it first, updates it in the same transaction; on Postgres the failed insert has aborted
        that transaction, so the run that lost the race failed ("current transaction is aborted",
        two Ray runs claiming a new ``gpu/<asset>`` pool in the same second: bench-overhead,
        ray-run-1, 64 videos). Here the update and the slots are done again in a transaction of
        their own, as Dagster meant them.
        """
        import sqlalchemy as sa

        try:
            return super().initialize_concurrency_limit_to_default(concurrency_key)
        except (sa.exc.IntegrityError, sa.exc.InternalError) as exc:
            default_limit = self._instance.global_op_concurrency_default_limit if self.has_instance else None
            if default_limit is None or "concurrency_limits" not in str(exc):
                raise
        from dagster._core.storage.event_log.schema import ConcurrencyLimitsTable

        with self.index_transaction() as conn:
            conn.execute(ConcurrencyLimitsTable.update().values(limit=default_limit).where(sa.and_(
                ConcurrencyLimitsTable.c.concurrency_key == concurrency_key, ConcurrencyLimitsTable.c.limit != default_limit)))
            self._allocate_concurrency_slots(conn, concurrency_key, default_limit)
        return True


class PooledPostgresScheduleStorage(_Pooled, PostgresScheduleStorage):
    """Sensor and schedule ticks, with pooled connections."""

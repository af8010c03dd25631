"""``deploy/dagster.yaml``'s storages keep their Postgres connections open: reads and writes of the
instance reuse a few sessions, where dagster-postgres's own storages open one per statement."""

import time

import dagster as dg
import pytest
import sqlalchemy as sa

from video_assets.cluster import devcluster


@pytest.fixture(scope="module")
def pg():
    with devcluster.postgres() as settings:
        yield settings


def _sessions(pg: dict, db: str) -> int:
    """Sessions ever established to ``db`` (Postgres' statistics, flushed first)."""
    engine = sa.create_engine(f"postgresql+psycopg2://dagster@127.0.0.1:{pg['VIDEO_ASSETS_PG_PORT']}/dagster", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text("select pg_stat_force_next_flush()"))
    time.sleep(1.2)
    with engine.connect() as conn:
        return conn.execute(sa.text("select sessions from pg_stat_database where datname = :db"), {"db": db}).scalar()


def _sixty_statements(instance: dg.DagsterInstance) -> None:
    for i in range(20):
        instance.get_runs(limit=1)
        instance.get_dynamic_partitions("videos")
        instance.add_dynamic_partitions("videos", [f"clip_{i}"])


@pytest.mark.parametrize("pooled", [True, False])
def test_the_instance_reuses_its_connections(pg, tmp_path, monkeypatch, pooled):
    db = f"pool_{int(pooled)}"
    devcluster.create_database(pg, db)
    for key, value in {**pg, "VIDEO_ASSETS_PG_DB": db}.items():
        monkeypatch.setenv(key, value)
    home = devcluster.postgres_home(tmp_path / "home", {**pg, "VIDEO_ASSETS_PG_DB": db})
    if not pooled:  # dagster-postgres's own storage, as the file named it before
        text = (home / "dagster.yaml").read_text().replace("video_assets.cluster.pg_storage", "dagster_postgres")
        (home / "dagster.yaml").write_text(text.replace("PooledPostgres", "Postgres"))
    instance = dg.DagsterInstance.from_config(str(home))
    before = _sessions(pg, db)
    _sixty_statements(instance)
    opened = _sessions(pg, db) - before
    assert sorted(instance.get_dynamic_partitions("videos")) == sorted(f"clip_{i}" for i in range(20))
    if pooled:
        assert opened <= 4, opened
    else:
        assert opened >= 50, opened  # the measure sees a connection per statement


@pytest.mark.parametrize("pooled", [True, False])
def test_two_runs_may_open_a_new_pool_at_once(pg, tmp_path, monkeypatch, pooled):
    """The second of two processes that found no row for a new pool and insert it: dagster-postgres's
    storage fails that run (an aborted transaction); the project's keeps the first one's row."""
    db = f"race_{int(pooled)}"
    devcluster.create_database(pg, db)
    for key, value in {**pg, "VIDEO_ASSETS_PG_DB": db}.items():
        monkeypatch.setenv(key, value)
    home = devcluster.postgres_home(tmp_path / "home", {**pg, "VIDEO_ASSETS_PG_DB": db}, gpu_limit=2)
    if not pooled:
        text = (home / "dagster.yaml").read_text().replace("video_assets.cluster.pg_storage", "dagster_postgres")
        (home / "dagster.yaml").write_text(text.replace("PooledPostgres", "Postgres"))
    first, second = dg.DagsterInstance.from_config(str(home)), dg.DagsterInstance.from_config(str(home))
    assert first.event_log_storage.initialize_concurrency_limit_to_default("gpu/text_overlay")
    if not pooled:
        with pytest.raises(sa.exc.InternalError, match="current transaction is aborted"):
            second.event_log_storage.initialize_concurrency_limit_to_default("gpu/text_overlay")
        return
    assert second.event_log_storage.initialize_concurrency_limit_to_default("gpu/text_overlay")
    info = second.event_log_storage.get_concurrency_info("gpu/text_overlay")
    assert info.slot_count == 2 and info.active_slot_count == 0

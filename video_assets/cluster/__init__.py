"""Where runs execute: ``executor`` (in-process, or dagster-ray when ``VIDEO_ASSETS_RAY_ADDRESS``
is set; fail-fast checks of the cluster and Postgres), ``pg_storage`` (the shared instance's
Postgres storages, with connections kept open) and ``devcluster`` (a throwaway Postgres 15 and local
Ray with a logical GPU for tests and ``make bench-scale``)."""

"""The corpus report's rendering, plain Python: ``render`` writes the Parquet dataset and the
self-contained HTML page. ``defs/assets/corpus_report.py`` is its Dagster wrapper."""

"""The Dagster layer's assets: ``ingest`` (the shared inputs, decoded once), ``analysis`` (the
factory that turns each registered analyzer into its assets, twin and checks) and
``corpus_report`` (the Dagster wrapper of ``video_assets/report/``)."""

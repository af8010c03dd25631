"""The Dagster layer: everything that defines Dagster objects (assets, checks, jobs, schedules,
sensors, alerts) or reads the instance (history). Thin: the work is in the pure layers and in
``resources/``; ``video_assets/definitions.py`` merges what is defined here."""

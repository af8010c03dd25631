"""One partition per video, added by the corpus sensor (or ``make demo`` / the CLI) as files appear."""

import dagster as dg

VIDEOS_PARTITION_NAME = "videos"

videos_partitions_def = dg.DynamicPartitionsDefinition(name=VIDEOS_PARTITION_NAME)

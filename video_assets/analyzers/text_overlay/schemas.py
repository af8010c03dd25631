"""text_overlay's tables: per-sample ``detections`` and merged ``segments`` (one row per caption
over its consecutive samples, scene text marked apart), in the style of the big video APIs."""

import pyarrow as pa

from video_assets.analyzers.base import col


DETECTIONS_SCHEMA = pa.schema(
    [
        col("timestamp_s", pa.float64(), "presentation time of the sampled frame"),
        col("frame_index", pa.int32(), "source frame index"),
        col("text", pa.string(), "a caption block: its lines joined in reading order"),
        col("confidence", pa.float32(), "lowest recognition confidence of the block's lines"),
        col("x0", pa.float32(), "block left, fraction of frame width"),
        col("y0", pa.float32(), "block top, fraction of frame height"),
        col("x1", pa.float32(), "block right, fraction of frame width"),
        col("y1", pa.float32(), "block bottom, fraction of frame height"),
        col("reused", pa.bool_(), "true when this block was not recognized on this sample: the sample was not read (its caption places had not changed) or the block's pixels had not changed since they were read"),
        col("contrast", pa.float32(), "luma range inside the box, 98th - 2nd percentile (0-255); burned-in captions are near 255"),
    ]
)


SEGMENTS_SCHEMA = pa.schema(
    [
        col("text", pa.string(), "caption text"),
        col("start_s", pa.float64(), "half-way between the last sample without it and the first with it"),
        col("end_s", pa.float64(), "half-way between the last sample with it and the next"),
        col("x0", pa.float32(), "union box left, fraction of width"),
        col("y0", pa.float32(), "union box top"),
        col("x1", pa.float32(), "union box right"),
        col("y1", pa.float32(), "union box bottom"),
        col("max_confidence", pa.float32(), "best confidence over its samples"),
        col("samples", pa.int32(), "samples it was seen in"),
        col("kind", pa.string(), "caption (burned in: still, drawn to be read; chunks replacing each other in one place) or scene (the picture's own text: moves with it, low contrast, over a third of the frame tall, read once and shown under 0.3 s, or read again and again as it grows or moves with a zoom or pan)"),
    ]
)


LINES_SCHEMA = pa.schema(
    [
        col("text", pa.string(), "what a person reads: consecutive auto-caption chunks in one place joined in order, or one caption"),
        col("start_s", pa.float64(), "its first chunk's start"),
        col("end_s", pa.float64(), "its last chunk's end"),
        col("chunks", pa.int32(), "caption segments it joins"),
        col("x0", pa.float32(), "union box left, fraction of width"),
        col("y0", pa.float32(), "union box top"),
        col("x1", pa.float32(), "union box right"),
        col("y1", pa.float32(), "union box bottom"),
    ]
)


TABLES = ("segments", "detections", "lines")


SCHEMAS = {"segments": SEGMENTS_SCHEMA, "detections": DETECTIONS_SCHEMA, "lines": LINES_SCHEMA}

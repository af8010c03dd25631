"""object_detection's tables: every detection, and a per-class summary."""

import pyarrow as pa

from video_assets.analyzers.base import col


DETECTIONS_SCHEMA = pa.schema(
    [
        col("timestamp_s", pa.float64(), "presentation time of the frame"),
        col("frame_index", pa.int32(), "source frame index"),
        col("class_id", pa.int32(), "COCO class id"),
        col("class_name", pa.string(), "COCO class name"),
        col("confidence", pa.float32(), "detection confidence"),
        col("x0", pa.float32(), "box left, fraction of frame width"),
        col("y0", pa.float32(), "box top, fraction of frame height"),
        col("x1", pa.float32(), "box right, fraction of frame width"),
        col("y1", pa.float32(), "box bottom, fraction of frame height"),
    ]
)


CLASSES_SCHEMA = pa.schema(
    [
        col("class_name", pa.string(), "COCO class name"),
        col("first_seen_s", pa.float64(), "first frame with this class"),
        col("last_seen_s", pa.float64(), "last frame with this class"),
        col("frames_present", pa.int32(), "sampled frames with at least one detection of it"),
        col("max_simultaneous", pa.int32(), "most detections of it in one frame"),
        col("detections", pa.int32(), "detections in total"),
    ]
)


TABLES = ("detections", "classes")


SCHEMAS = {"detections": DETECTIONS_SCHEMA, "classes": CLASSES_SCHEMA}

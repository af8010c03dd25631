"""qwen2_vl_temporal's table: one description per segment."""

import pyarrow as pa

from video_assets.analyzers.base import col


SEGMENTS_SCHEMA = pa.schema(
    [
        col("segment", pa.int32(), "segment number from 0"),
        col("start_s", pa.float64(), "segment start"),
        col("end_s", pa.float64(), "segment end"),
        col("frame_times_s", pa.list_(pa.float64()), "presentation times of the frames shown to the model"),
        col("description", pa.string(), "the model's description"),
        col("prompt_tokens", pa.int32(), "prompt tokens including visual tokens"),
        col("visual_tokens", pa.int32(), "visual tokens (from image_grid_thw: t*h*w/4 per frame)"),
        col("generated_tokens", pa.int32(), "tokens generated"),
        col("degenerate", pa.bool_(), "repeats the previous description or loops on a phrase"),
    ]
)


TABLES = ("segments",)


SCHEMAS = {"segments": SEGMENTS_SCHEMA}

"""Every asset of the code location. Analyzer assets register their spec here."""

from video_assets.assets import object_detection as _object_detection
from video_assets.assets import qwen2_vl_temporal as _qwen2_vl_temporal
from video_assets.assets import speech_rate as _speech_rate
from video_assets.assets import text_overlay as _text_overlay
from video_assets.assets.analysis import AnalyzerAssetSpec

ANALYZERS = (_qwen2_vl_temporal, _text_overlay, _object_detection, _speech_rate)

ANALYZER_SPECS: tuple[AnalyzerAssetSpec, ...] = tuple(m.SPEC for m in ANALYZERS)

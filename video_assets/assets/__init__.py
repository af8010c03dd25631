"""Every asset of the code location. Analyzer assets register their spec here."""

from video_assets.assets import object_detection as _object_detection
from video_assets.assets import speech_rate as _speech_rate
from video_assets.assets import text_overlay as _text_overlay
from video_assets.assets.analysis import AnalyzerAssetSpec

ANALYZERS = (_object_detection, _speech_rate, _text_overlay)

ANALYZER_SPECS: tuple[AnalyzerAssetSpec, ...] = tuple(m.SPEC for m in ANALYZERS)

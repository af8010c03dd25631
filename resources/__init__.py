"""Dagster resources: the corpus, storage, and one model resource per model family.

``MODEL_RESOURCES`` lists the model families by the resource key an analyzer declares (its
``model``); each implements the model interface its analyzers define (``AnalyzerModels``:
``model_id``, ``load``, ``preflight``, ``weights_label``). A new analyzer with a new family adds
its ``resources/<family>.py`` and a line here; one that reuses a family, or needs no model, adds
nothing here.
"""

from __future__ import annotations


def model_resources() -> dict[str, type]:
    """Resource key -> model resource class (imported on call: no model library at import)."""
    from resources.audio_events import AudioEventModelsResource
    from resources.faces import FaceModelsResource
    from resources.ocr import OcrResource
    from resources.qwen import QwenResource
    from resources.speech import SpeechModelsResource
    from resources.yolo import YoloResource

    return {"qwen": QwenResource, "ocr": OcrResource, "yolo": YoloResource, "speech_models": SpeechModelsResource,
            "faces": FaceModelsResource, "audio_events": AudioEventModelsResource}

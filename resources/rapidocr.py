"""RapidOCR (PP-OCRv6 small detector and recognizer, ONNX Runtime) as text_overlay's OCR engine.

Only the models inside the pinned ``rapidocr`` wheel are used (``PP-OCRv6_det_small.onnx``,
``PP-OCRv6_rec_small.onnx``), given by explicit path, so nothing is ever downloaded: any other
model version, and the font that ``vis()`` fetches, would be (``vis()`` is never called). The
angle classifier is off: captions are upright, and it can flip a line. Detection runs with the
long side limited to ``det_side`` (``limit_type: max``); the library's default scales the short
side up to 736 px, i.e. full resolution for 1080x1920 frames.

The detector runs on every sample and is most of the cost, so on a CPU it runs on OpenVINO when
installed (``runtime``; the same ONNX file, rapidocr's own pre- and post-processing around it). On
CPUs with bfloat16 units OpenVINO computes in bfloat16 (its default): measured numbers and the
precision it chose are in ``benchmark/results/``; ``VIDEO_ASSETS_OCR_RUNTIME=onnxruntime`` keeps float32 ONNX
Runtime. The recognizer stays on ONNX Runtime.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from resources.model_cache import MissingWeightsError
from video_assets.analyzers.text_overlay.model import Detected

DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"


def model_dir() -> Path:
    try:
        import rapidocr
    except ImportError as exc:
        raise MissingWeightsError("RapidOCR is not installed: pip install rapidocr==3.10.0 (a dependency of this project), "
                                  "or set VIDEO_ASSETS_OCR_ENGINE=easyocr") from exc
    return Path(rapidocr.__file__).parent / "models"


def preflight_rapidocr() -> str:
    folder = model_dir()
    missing = [m for m in (DET_MODEL, REC_MODEL) if not (folder / m).exists()]
    if missing:
        raise MissingWeightsError(f"RapidOCR models {missing} are not in {folder} (the rapidocr 3.10.0 wheel ships them); "
                                  "reinstall rapidocr==3.10.0, or set VIDEO_ASSETS_OCR_ENGINE=easyocr")
    return str(folder)


def openvino_available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


class _OpenVinoSession:
    """Stands in for rapidocr's ONNX Runtime session of the detector: array in, first output out."""

    def __init__(self, path: Path, threads: int):
        import openvino as ov

        compiled = ov.Core().compile_model(str(path), "CPU", {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"})
        self.precision = compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()  # bf16 or f32
        self._request = compiled.create_infer_request()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self._request.infer({0: x})
        return self._request.get_output_tensor(0).data.copy()  # the request reuses its buffer


def _bgr(image: np.ndarray) -> np.ndarray:
    """RGB frames, or the one-channel images of the second pass, as the BGR the models expect."""
    if image.ndim == 2:
        return np.ascontiguousarray(np.repeat(image[..., None], 3, axis=2))
    return np.ascontiguousarray(image[..., ::-1])


class RapidOcrEngine:
    """text_overlay's ``OcrEngine`` on RapidOCR's detector and recognizer (RGB in; BGR inside)."""

    name = "rapidocr"
    # PP-OCRv6 scores rendered caption text 0.92-1.0 on the sample corpus and scene text (the
    # lettering on a motorcycle's tank) 0.70-0.83: a caption reading is kept above 0.85.
    min_confidence = 0.85
    # A caption place read with no detection behind it: "GO" read 0.98-1.0 there, "GO" with a strip
    # of the motorcycle photo beside it ("XGO") 0.88.
    look_again_confidence = 0.95
    # Its second pass (three binarized copies, each detected and read again) found nothing more on
    # the sample corpus and cost a quarter of the time (RTF 0.82 -> 0.62 with the detector at 960 px,
    # measured by an earlier engines-only benchmark, since folded into `python -m benchmark`).
    binarized_retry = False

    def __init__(self, det_side: int, device: str, threads: int, runtime: str = "onnxruntime"):
        from rapidocr import RapidOCR

        folder = Path(preflight_rapidocr())
        use_cuda = device == "cuda"
        self.device = device
        self.det_side = det_side
        self.ocr = RapidOCR(params={
            "Global.use_cls": False, "Global.log_level": "error",
            "Det.model_path": str(folder / DET_MODEL), "Det.limit_type": "max", "Det.limit_side_len": det_side,
            "Rec.model_path": str(folder / REC_MODEL),
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.use_cuda": use_cuda,
        })
        self._det = self.ocr._load_det_model()  # the library's own loaders; loaded once here, not per call
        self._rec = self.ocr._load_rec_model()
        self.runtime = "onnxruntime"
        if runtime == "openvino" and not use_cuda:
            session = _OpenVinoSession(folder / DET_MODEL, threads)
            self._det.session = session
            self.runtime = f"openvino-{session.precision}"

    def detect(self, images: list[np.ndarray], config) -> list:
        out = []
        for image in images:
            found = self._det(_bgr(image))
            quads = [] if found.boxes is None else [np.asarray(q, np.float32) for q in found.boxes]
            boxes = [(int(q[:, 0].min()), int(q[:, 1].min()), int(np.ceil(q[:, 0].max())), int(np.ceil(q[:, 1].max()))) for q in quads]
            out.append(Detected(boxes, quads))
        return out

    def recognize(self, image: np.ndarray, detected, config) -> list:
        from video_assets.analyzers.text_overlay import Line

        quads = detected.payload
        if not quads:
            return []
        crops = self.ocr.crop_text_regions(_bgr(image), np.stack(quads))
        result = self.ocr.recognize_txt(crops)
        return [Line(tuple(float(v) for v in box), str(text), float(score))
                for box, text, score in zip(detected.boxes, result.txts, result.scores)]

    def recognize_boxes(self, image: np.ndarray, boxes: list, config) -> list:
        quads = [np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32) for x0, y0, x1, y1 in boxes]
        return self.recognize(image, Detected(list(boxes), quads), config)

    def read(self, image: np.ndarray, config) -> list:
        return self.recognize(image, self.detect([image], config)[0], config)


def load_rapidocr_engine(det_side: int, device: str, threads: int, runtime: str = "onnxruntime") -> RapidOcrEngine:
    engine = RapidOcrEngine(det_side, device, threads, runtime)
    engine.read(np.full((64, 64, 3), 128, np.uint8), None)  # warm-up: ONNX Runtime's first run pays its allocations
    return engine

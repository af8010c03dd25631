"""RapidOCR (PP-OCRv6 small detector and recognizer, on OpenVINO or ONNX Runtime) as text_overlay's OCR engine.

Only the models inside the pinned ``rapidocr`` wheel are used (``PP-OCRv6_det_small.onnx``,
``PP-OCRv6_rec_small.onnx``), given by explicit path, so nothing is ever downloaded: any other
model version, and the font that ``vis()`` fetches, would be (``vis()`` is never called). The
angle classifier is off: captions are upright, and it can flip a line. Detection runs with the
long side limited to ``det_side`` (``limit_type: max``); the library's default scales the short
side up to 736 px, i.e. full resolution for 1080x1920 frames.

The detector runs on every sample read and is most of the cost, so on a CPU it runs on OpenVINO
when installed (``runtime``; the same ONNX file, rapidocr's own pre- and post-processing around
it), in bfloat16 on CPUs with bfloat16 units (OpenVINO's default; only boxes come from it). The
recognizer runs on OpenVINO too, in float32 whatever the CPU: its confidences and space
probabilities go into the tables, and in bfloat16 the Ray scale-out test (tables made on a Ray
actor equal to those made in-process, exactly) failed. Float32 read the same texts as ONNX Runtime
a little faster (docs/captions.md). ``VIDEO_ASSETS_OCR_RUNTIME=onnxruntime`` keeps float32 ONNX
Runtime for both.
"""

from __future__ import annotations

from dataclasses import replace
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
    """Stands in for rapidocr's ONNX Runtime session of the detector or the recognizer: array in, first output out."""

    def __init__(self, path: Path, threads: int, precision: str | None = None):
        import openvino as ov

        options = {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"}
        if precision:
            options["INFERENCE_PRECISION_HINT"] = precision
        compiled = ov.Core().compile_model(str(path), "CPU", options)
        self.precision = compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()  # bf16 or f32
        self._request = compiled.create_infer_request()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self._request.infer({0: x})
        return self._request.get_output_tensor(0).data.copy()  # the request reuses its buffer


def _bgr(image: np.ndarray) -> np.ndarray:
    """RGB frames, or the one-channel images of the second pass, as the BGR the models expect
    (OpenCV's conversion: a strided numpy copy of a 1080x1920 frame took 15 ms, this 1-2 ms)."""
    import cv2

    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR if image.ndim == 2 else cv2.COLOR_RGB2BGR)


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
    # Between two letters the recognizer wrote without a space, a space is restored where the
    # space class reached this probability on a column between them: measured on the sample
    # corpus' auto-captions and caption clips (1,083 letter pairs with a space written, 4,259
    # without), the dropped spaces of ANDIT, ISTARTED, TOA NEW scored 0.27-0.50, letters of one
    # word at most 0.11 (a stray letter joined to a word) and 99.9 % of them under 0.11.
    space_probability = 0.2

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
        self.ocr.return_word_box = True  # each character's column: text_overlay trims stray letters and finds spaces with it
        self._det = self.ocr._load_det_model()  # the library's own loaders; loaded once here, not per call
        self._rec = self.ocr._load_rec_model()
        self.runtime = "onnxruntime"
        if runtime == "openvino" and not use_cuda:
            session = _OpenVinoSession(folder / DET_MODEL, threads)
            self._det.session = session
            # The recognizer in float32 whatever the CPU: its confidences and its space probabilities
            # go into the tables, which must not depend on the machine (bfloat16 ones differed
            # between a Ray actor and the driver); it is still faster than ONNX Runtime here.
            self._rec.session = _OpenVinoSession(folder / REC_MODEL, threads, "f32")
            self.runtime = f"openvino-{session.precision}+rec-f32"
        # The recognizer's per-column class probabilities are kept, to find the spaces it dropped.
        self._preds: list[np.ndarray] = []
        self._space = self._rec.postprocess_op.character.index(" ")
        inner = self._rec.session

        def session(x: np.ndarray) -> np.ndarray:
            preds = inner(x)
            self._preds.append(preds)
            return preds

        self._rec.session = session

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
        # Only the part of the frame the boxes cover is converted; the quads move with it.
        stacked = np.stack(quads)
        h, w = image.shape[:2]
        x0, y0 = max(0, int(stacked[..., 0].min())), max(0, int(stacked[..., 1].min()))
        x1, y1 = min(w, int(np.ceil(stacked[..., 0].max())) + 1), min(h, int(np.ceil(stacked[..., 1].max())) + 1)
        crops = self.ocr.crop_text_regions(_bgr(image[y0:y1, x0:x1]), stacked - np.array([x0, y0], np.float32))
        self._preds.clear()
        result = self.ocr.recognize_txt(crops)
        spaces = self._space_rows(crops)
        lines = []
        for box, crop, text, score, info, space in zip(detected.boxes, crops, result.txts, result.scores, result.word_results, spaces):
            text, info = _restore_spaces(text, info, space, self.space_probability)
            lines.append(Line(tuple(float(v) for v in box), str(text), float(score), glyphs=_glyphs(box, crop.shape[1], text, info)))
        return lines

    def _space_rows(self, crops: list) -> list:
        """Each crop's probability of a space per CTC column, from the batches the recognizer ran
        (it sorts crops by width and runs them ``rec_batch_num`` at a time)."""
        order = np.argsort(np.array([c.shape[1] / float(c.shape[0]) for c in crops]))
        rows = [row[:, self._space] for preds in self._preds for row in preds]
        out: list = [None] * len(crops)
        if len(rows) == len(crops):
            for position, i in enumerate(order):
                out[i] = rows[position]
        return out

    def recognize_boxes(self, image: np.ndarray, boxes: list, config) -> list:
        quads = [np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32) for x0, y0, x1, y1 in boxes]
        return self.recognize(image, Detected(list(boxes), quads), config)

    def read(self, image: np.ndarray, config) -> list:
        return self.recognize(image, self.detect([image], config)[0], config)


def _restore_spaces(text: str, info, space_row, threshold: float):
    """The text with the spaces the recognizer's argmax dropped (``space_probability``), and its
    word info to match (confidence of a restored space: its probability)."""
    if space_row is None or info is None or not getattr(info, "word_cols", None):
        return text, info
    cols = [c for word in info.word_cols for c in word]
    if len(cols) != len(text.replace(" ", "")) or len(info.confs) != len(text):
        return text, info
    out, confs, k = [], [], 0
    for i, (ch, conf) in enumerate(zip(text, info.confs)):
        if ch != " " and k > 0 and out and out[-1] != " " and cols[k] - cols[k - 1] > 1:
            p = float(space_row[cols[k - 1] + 1 : cols[k]].max())
            if p >= threshold:
                out.append(" ")
                confs.append(p)
        out.append(ch)
        confs.append(conf)
        k += ch != " "
    restored = "".join(out)
    if restored == text:
        return text, info
    return restored, replace(info, confs=confs)


def _glyphs(box, crop_width: int, text: str, info) -> tuple | None:
    """Each recognized character with its x centre in frame pixels and its confidence, from the
    recognizer's CTC columns (``return_word_box``). Spaces have no column: they sit between their
    neighbours. None when the recognizer said nothing about positions."""
    if info is None or not getattr(info, "word_cols", None) or not info.line_txt_len:
        return None
    cols = [c for word in info.word_cols for c in word]
    confs = list(info.confs)
    if len(confs) != len(text) or len(cols) != len(text.replace(" ", "")):
        return None
    out, k = [], 0
    for ch, conf in zip(text, confs):
        if ch == " ":
            out.append((ch, None, float(conf)))
            continue
        out.append((ch, box[0] + (cols[k] + 0.5) / info.line_txt_len * crop_width, float(conf)))
        k += 1
    for i, (ch, x, conf) in enumerate(out):  # a space sits half-way between its neighbours
        if x is None:
            left = next((g[1] for g in reversed(out[:i]) if g[1] is not None), box[0])
            right = next((g[1] for g in out[i + 1 :] if g[1] is not None), box[2])
            out[i] = (ch, (left + right) / 2, conf)
    return tuple(out)


def load_rapidocr_engine(det_side: int, device: str, threads: int, runtime: str = "onnxruntime") -> RapidOcrEngine:
    engine = RapidOcrEngine(det_side, device, threads, runtime)
    engine.read(np.full((64, 64, 3), 128, np.uint8), None)  # warm-up: ONNX Runtime's first run pays its allocations
    return engine

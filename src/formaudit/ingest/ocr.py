"""The OCR engine adapter: rapidocr 3 on onnxruntime, its models from the installed wheel.

Whole-page recognition with per-character boxes: the characters are then assigned to
the grid's cells exactly as a text layer's characters are (detect/grid.py). Measured
best and fastest here (see the project notes): cell-by-cell recognition upsizes small
crops, flips `≥90%` into `%06≤` and invents text on noise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

import numpy as np

# The settings that make a page take ~2 s instead of 5: no angle classifier (orientation is
# settled before OCR), detection on the page scaled to at most 960 px on its long side.
ENGINE_PARAMS = {
    "Global.use_cls": False,
    "Global.log_level": "error",
    "Det.limit_type": "max",
    "Det.limit_side_len": 960,
    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
}
# Threads of one reading: all the cores for a single PDF (about 1.7 times faster than one on two cores);
# a batch with a process per core sets one each (use_threads), and only an engine of one thread may be
# loaded before a fork (keep_loaded): the threads of a pool are not copied into the child.
_threads = {"count": 0}  # 0: onnxruntime's choice, every core


def use_threads(count: int) -> None:
    """The threads each recognition runs on in this process and the readers it forks (before the engine loads)."""
    if count < 1:
        raise ValueError(f"threads must be at least 1, not {count}")
    if not loaded():
        _threads["count"] = count


@dataclass(frozen=True)
class OcrChar:
    text: str
    score: float
    box: tuple[float, float, float, float]  # x0, top, x1, bottom in image pixels
    repaired_from: str | None = None  # what the engine read, where a domain check corrected it
    line: int = -1  # the detector's line it was read in (its characters share the line's box)


@cache
def engine():
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    from rapidocr import RapidOCR

    return RapidOCR(params={**ENGINE_PARAMS, "EngineConfig.onnxruntime.intra_op_num_threads": _threads["count"] or -1})


def loaded() -> bool:
    """The engine and its models are in this process (loaded here, or before the fork that made it)."""
    return engine.cache_info().currsize > 0


def keep_loaded() -> None:
    """Load the engine and every model it uses now, in a process that forks readers: each child then
    starts with them (copy-on-write) instead of loading them again for every scanned PDF (~1 s).
    Only an engine of one thread (use_threads(1)) can be shared so."""
    if not loaded() and _threads["count"] == 1:
        recognize(np.full((64, 256), 255, dtype=np.uint8))  # the detector and recogniser load on first use
        read_line(np.full((32, 128), 255, dtype=np.uint8))


def _box(points) -> tuple[float, float, float, float]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys))


@dataclass(frozen=True)
class OcrPage:
    chars: list[OcrChar]
    lines: list[tuple[float, float, float, float]]  # the detector's line boxes (their shape tells orientation)

    @property
    def mean_score(self) -> float:
        return sum(c.score for c in self.chars) / len(self.chars) if self.chars else 0.0


def recognize(image: np.ndarray) -> OcrPage:
    """Every character on the image, with its box and the engine's confidence, and the line boxes."""
    # rapidocr keeps per-call options on the engine: a call that omits one inherits the last
    # call's value, so every option is passed every time.
    # (character boxes come only with return_word_box=True as well)
    result = engine()(image, use_det=True, use_cls=False, use_rec=True, return_word_box=True,
                      return_single_char_box=True, text_score=0.3)
    chars: list[OcrChar] = []
    lines = [_box(b) for b in result.boxes] if result.boxes is not None else []
    if result.txts is None:
        return OcrPage(chars, lines)
    for n, (line_text, line_score, line_box, words) in enumerate(zip(result.txts, result.scores, result.boxes,
                                                                     result.word_results)):
        if words and all(len(w) == 3 for w in words):
            for text, score, points in words:
                if text.strip():
                    chars.append(OcrChar(text, float(score), _box(points), line=n))
        elif line_text.strip():  # no character boxes: the line as one piece
            chars.append(OcrChar(line_text, float(line_score), _box(line_box), line=n))
    return OcrPage(chars, lines)


Quad = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


def detect_lines(image: np.ndarray) -> list[Quad]:
    """The text detector alone, no recognition (a fraction of a page's OCR): each line's four corners, top-left,
    top-right, bottom-right, bottom-left (a skewed line's box leans with it)."""
    result = engine()(image, use_det=True, use_cls=False, use_rec=False, return_word_box=False,
                      return_single_char_box=False, text_score=0.3)
    if result.boxes is None:
        return []
    return [tuple((float(x), float(y)) for x, y in quad) for quad in result.boxes]


def read_line(image: np.ndarray) -> tuple[str, float] | None:
    """Recognition alone on a crop that holds one short line (a cell the detector passed over)."""
    result = engine()(image, use_det=False, use_cls=False, use_rec=True, return_word_box=False,
                      return_single_char_box=False, text_score=0.3)
    if not result.txts:
        return None
    return result.txts[0], float(result.scores[0])

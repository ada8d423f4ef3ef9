"""OCR behind a small protocol, so a cloud OCR service can replace Tesseract without touching extractors."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from PIL import Image, ImageChops, ImageFilter, ImageOps

from pmdi.extraction.errors import ExtractionError

# Below this mean word confidence an upright reading is doubted and the page orientation is checked.
CONFIDENT = 70.0
# Below this a median-filtered reading is tried too: clean print scores above it.
CLEAN = 92.0
# Share of pixels a 3x3 median filter changes a lot: above it the image is speckled and gets filtered.
SPECKLE_RATIO = 0.003
# Rotation probing without OSD data runs on a copy whose longer side is this many pixels.
PROBE_SIDE = 1200
# Larger images (phone photos) are scaled down to this longer side: print stays legible, OCR gets faster.
MAX_SIDE = 5000
_HYPHENATED = re.compile(r"[^\W\d_]-$")


class OcrUnavailable(ExtractionError):
    code = "ocr_unavailable"


@dataclass(frozen=True)
class OcrResult:
    text: str
    confidence: float  # mean word confidence, 0-100
    paragraphs: list[str] = field(default_factory=list)  # in reading order


class OcrProvider(Protocol):
    name: str

    def recognize(self, image: Image.Image, language: str) -> OcrResult: ...


def join_lines(lines: Iterable[str]) -> str:
    """Join the wrapped lines of one paragraph, undoing line-end hyphenation of a word."""
    text = ""
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            continue
        if _HYPHENATED.search(text) and line[0].islower():
            text = text[:-1] + line
        else:
            text = f"{text} {line}" if text else line
    return text


def flatten(image: Image.Image) -> Image.Image:
    """A grayscale copy; transparent areas become white paper rather than black."""
    if image.mode in {"I", "F"} or image.mode.startswith("I;16"):
        # Deep (16-bit, float) scans would clip to white if converted directly, so their range is stretched.
        extrema = image.getextrema()
        low, high = float(extrema[0]), float(extrema[1])  # type: ignore[arg-type]  # one band: two numbers
        scale = 255 / max(high - low, 1e-9)
        return image.convert("F").point(lambda value: (value - low) * scale).convert("L")
    if image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, rgba)
    return image.convert("L")


def despeckled(gray: Image.Image) -> Image.Image | None:
    """The median-filtered image when salt-and-pepper noise is evident at pixel level, else None."""
    filtered = gray.filter(ImageFilter.MedianFilter(3))
    changed = sum(ImageChops.difference(gray, filtered).histogram()[96:])
    return filtered if changed > SPECKLE_RATIO * gray.width * gray.height else None


class TesseractOcr:
    name = "tesseract"

    def __init__(self) -> None:
        import pytesseract

        self._tesseract: Any = pytesseract
        # Tesseract's OpenMP threads thrash on small machines (7x slower on 2 cores), and documents are
        # already processed in parallel.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        try:
            self._languages = set(pytesseract.get_languages())
        except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError) as exc:
            raise OcrUnavailable(
                "OCR is unavailable: the Tesseract program is not installed (Debian: tesseract-ocr)."
            ) from exc

    def recognize(self, image: Image.Image, language: str) -> OcrResult:
        missing = set(language.split("+")) - self._languages
        if missing:
            raise OcrUnavailable(f"OCR is unavailable: Tesseract has no language data for {sorted(missing)}.")
        gray = flatten(image)
        if max(gray.size) > MAX_SIDE:
            gray = ImageOps.contain(gray, (MAX_SIDE, MAX_SIDE))
        filtered = despeckled(gray)
        best = self._read(filtered or gray, language)
        if best.confidence < CONFIDENT:
            best, gray = self._upright(best, filtered or gray, language)
        if best.confidence < CLEAN and filtered is None:
            # Speckle enlarged by rescaling escapes the pixel-level check; the filter is kept if it helps.
            smoothed = self._read(gray.filter(ImageFilter.MedianFilter(3)), language)
            best = max(best, smoothed, key=lambda result: result.confidence)
        return best

    def _upright(self, best: OcrResult, gray: Image.Image, language: str) -> tuple[OcrResult, Image.Image]:
        angle = self._orientation(gray, language)
        if angle:
            rotated = gray.rotate(angle, expand=True, fillcolor=255)
            reading = self._read(rotated, language)
            if reading.confidence > best.confidence:
                return reading, rotated
        return best, gray

    def _read(self, gray: Image.Image, language: str) -> OcrResult:
        data = self._tesseract.image_to_data(
            gray, lang=language, config="--psm 3", output_type=self._tesseract.Output.DICT
        )
        return result_from_data(data)

    def _orientation(self, gray: Image.Image, language: str) -> int:
        """Counter-clockwise degrees that make the page upright."""
        if "osd" in self._languages:
            try:
                osd = self._tesseract.image_to_osd(gray, config="--psm 0")
            except self._tesseract.TesseractError:
                return 0  # too little text to tell; the upright reading stands
            match = re.search(r"Rotate: (\d+)", osd)
            return -int(match.group(1)) % 360 if match else 0
        return self._probe_orientation(gray, language)

    def _probe_orientation(self, gray: Image.Image, language: str) -> int:
        probe = ImageOps.contain(gray, (PROBE_SIDE, PROBE_SIDE))
        scores = {
            angle: self._read(probe.rotate(angle, expand=True, fillcolor=255), language).confidence
            for angle in (0, 90, 180, 270)
        }
        return max(scores, key=lambda angle: scores[angle])


def result_from_data(data: dict[str, list[Any]]) -> OcrResult:
    """Group Tesseract's words into lines and paragraphs, keeping its reading order."""
    paragraphs: dict[tuple[int, int, int], dict[int, list[str]]] = {}
    confidences: list[float] = []
    for index, word in enumerate(data["text"]):
        confidence = float(data["conf"][index])
        word = str(word).strip()
        if not word or confidence < 0 or _is_speck(word, confidence):
            continue
        confidences.append(confidence)
        key = (int(data["page_num"][index]), int(data["block_num"][index]), int(data["par_num"][index]))
        paragraphs.setdefault(key, {}).setdefault(int(data["line_num"][index]), []).append(word)
    texts = [join_lines(" ".join(words) for words in lines.values()) for lines in paragraphs.values()]
    texts = [text for text in texts if text]
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return OcrResult(text="\n\n".join(texts), confidence=round(mean, 1), paragraphs=texts)


def _is_speck(word: str, confidence: float) -> bool:
    # Dirt on a scan comes back as low-confidence punctuation; real words have letters or digits.
    return confidence < 50 and not any(char.isalnum() for char in word)


OCR_PROVIDERS: dict[str, Callable[[], OcrProvider]] = {"tesseract": TesseractOcr}


def get_ocr(name: str) -> OcrProvider | None:
    """The configured provider; None when OCR is switched off ("none")."""
    if name == "none":
        return None
    factory = OCR_PROVIDERS.get(name)
    if factory is None:
        raise OcrUnavailable(
            f"Unknown OCR provider '{name}'; choose one of {sorted(OCR_PROVIDERS)} or 'none'."
        )
    return factory()

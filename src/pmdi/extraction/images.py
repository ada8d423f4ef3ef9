"""PNG, JPEG and TIFF: every frame is OCRed into one page of paragraphs."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence

from pmdi.documents.sniff import JPEG, PNG, TIFF
from pmdi.extraction.base import ByMediaType, ExtractOptions, register
from pmdi.extraction.errors import CorruptDocument, LimitExceeded
from pmdi.extraction.model import BlockKind, ExtractedDocument, Metadata, TextBuilder
from pmdi.extraction.ocr import OcrProvider, get_ocr

# Pillow raises these for files it cannot decode; none of them is a bug of ours.
DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError)


@contextmanager
def pixel_limit(max_pixels: int) -> Iterator[None]:
    """Pillow's decompression-bomb guard at our limit, with its early warning turned into a refusal."""
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise LimitExceeded(too_large(max_pixels)) from exc
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def too_large(max_pixels: int) -> str:
    return f"The image is larger than the limit of {max_pixels:,} pixels."


@register
class ImageExtractor(ByMediaType):
    name = "image"
    media_types = frozenset({PNG, JPEG, TIFF})

    def extract(self, path: Path, media_type: str, options: ExtractOptions) -> ExtractedDocument:
        metadata = Metadata()
        builder = TextBuilder(max_chars=options.max_chars)
        ocr = get_ocr(options.ocr_provider)
        if ocr is None:
            metadata.warnings.append("OCR is switched off, so no text was read from the image.")
        confidences: list[float] = []
        with pixel_limit(options.max_image_pixels), _open(path) as image:
            if getattr(image, "n_frames", 1) > options.max_pages:
                metadata.truncated = True
                metadata.warnings.append(f"Only the first {options.max_pages} frames were read.")
            for frame in islice(_frames(image, options.max_image_pixels), options.max_pages):
                confidence = _read_frame(frame, ocr, options.ocr_language, builder)
                if confidence is not None:
                    confidences.append(confidence)
        if confidences:
            metadata.ocr_used = True
            metadata.ocr_confidence = round(sum(confidences) / len(confidences), 1)
        if ocr is not None and not builder.blocks:
            metadata.warnings.append("No text was recognised in the image.")
        return builder.build(metadata)


@contextmanager
def _open(path: Path) -> Iterator[Image.Image]:
    try:
        image = Image.open(path)
    except DECODE_ERRORS as exc:
        raise CorruptDocument("The image is damaged or not in a format it claims to be.") from exc
    with image:
        yield image


def _frames(image: Image.Image, max_pixels: int) -> Iterator[Image.Image]:
    frames = ImageSequence.Iterator(image)
    while True:
        try:
            frame = next(frames)
            # Pillow checks only the first frame of a TIFF against its limit.
            if frame.width * frame.height > max_pixels:
                raise LimitExceeded(too_large(max_pixels))
            frame.load()
            # Phone photos store their rotation in EXIF rather than in the pixels.
            upright = ImageOps.exif_transpose(frame)
        except StopIteration:
            return
        except DECODE_ERRORS as exc:
            raise CorruptDocument("The image is damaged and cannot be decoded.") from exc
        yield upright


def _read_frame(
    frame: Image.Image, ocr: OcrProvider | None, language: str, builder: TextBuilder
) -> float | None:
    if ocr is None:
        builder.start_page()
        return None
    result = ocr.recognize(frame, language)
    builder.start_page(ocr=True, confidence=result.confidence)
    for paragraph in result.paragraphs:
        builder.add(BlockKind.PARAGRAPH, paragraph)
    return result.confidence

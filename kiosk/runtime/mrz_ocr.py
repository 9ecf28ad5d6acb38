"""Reading the TD1 MRZ on the back of the card from a camera frame (docs/mrz-scanning.md).

A frame goes through four steps:

1. **Locate** the MRZ band (ICAO 9303-3 §4.3: three lines of OCR-B at the bottom of the card): dark text
   on a light card is brought out by a black-hat filter, horizontal strokes by a Sobel gradient, and a
   closing merges the characters into one wide block; the widest block of MRZ shape wins.
2. **Check the picture**: too dark, glare (saturated pixels in the band) or blurred (little Laplacian
   energy for the band's contrast) are told apart, so the person can be told what to change.
3. **Read** the band, levelled and flat-fielded, with tesseract (Debian's ``tesseract-ocr`` model through
   ``tesserocr``), restricted to the MRZ alphabet ``A-Z 0-9 <``.
4. **Repair and validate**: each line is brought to 30 characters by its filler runs; letters and digits
   confused by OCR are put right where the character class is known (:func:`kiosk.keyentry.mrz.normalise_td1`)
   and, where it is not, only when the check digits decide (exactly one variant passes *every* check,
   ICAO 9303-3 §4.9, via :func:`reader.lds.dg1.parse_mrz`).  Nothing unvalidated ever leaves this module.

The frame is not kept; the result's ``repr`` hides the MRZ.
"""

from __future__ import annotations

import enum
import itertools
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.keyentry.errors import InvalidIDError, MRZFormatError
from kiosk.keyentry.idnumber import birth_year_from_id, sex_from_id
from kiosk.keyentry.mrz import LINE, _digits, bac_fields_from_mrz, normalise_td1
from reader.errors import ParseError
from reader.lds.mrz import cccd_document_number

MRZ_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
# What each line of a CCCD's MRZ can hold (docs/cccd-chip.md §1): line 1 ``IDVNM`` + digits + fillers,
# line 2 digits, the sex, ``VNM`` and fillers, line 3 the name.  A narrower alphabet keeps tesseract from
# reading a 7 as T or a filler as K.
LINE_ALPHABETS = ("IDVNM0123456789<", "0123456789MFVN<", "ABCDEFGHIJKLMNOPQRSTUVWXYZ<")
TESSDATA_DIRS = (Path("/usr/share/tesseract-ocr/5/tessdata"), Path("/usr/share/tesseract-ocr/4.00/tessdata"))
LOCATE_WIDTH = 640  # the band is looked for on a frame scaled to this width
CHAR_HEIGHT_PX = 44  # the band is scaled so that a line is about this tall for tesseract
# Tesseract passes, tried in turn until one reads a valid MRZ (line height, binarised or grey): each is
# validated on its own, so trying another costs time, never correctness (benchmarks/mrz_ocr.py).
PASSES = ((44, False), (52, False), (60, True))
DARK_LEVEL = 60.0  # median grey of the band below this: too dark
SATURATED = 253  # a grey level this bright is the light source's reflection, not the card
GLARE_FRACTION = 0.02  # more of the band saturated than this: glare
FRAME_GLARE_FRACTION = 0.004  # no band found, but this much of the frame saturated: glare hides it
BLUR_SHARPNESS = 0.10  # Laplacian spread per unit of contrast below this: blurred



class MRZReadFailure(enum.Enum):
    """Why a frame gave no MRZ — each has a message telling the person what to do (ui/i18n)."""

    NO_MRZ = "no_mrz"  # no MRZ-shaped block in the picture
    TOO_DARK = "too_dark"
    GLARE = "glare"
    BLURRED = "blurred"
    CHECK_DIGIT = "check_digit"  # read, but the check digits do not hold (or not three lines of 30)


class OCRUnavailableError(RuntimeError):
    """tesserocr or the tesseract model is not installed (scripts/ensure-system.sh, requirements-ui.txt)."""


@dataclass(frozen=True, slots=True)
class MRZRead:
    """One attempt: the three validated lines, or the reason there are none."""

    lines: tuple[str, str, str] | None
    failure: MRZReadFailure | None
    seconds: float

    @property
    def text(self) -> str:
        """The MRZ as an ``EnterMRZ`` text (three lines); only for a successful read."""
        assert self.lines is not None
        return "\n".join(self.lines)

    def __repr__(self) -> str:
        what = "<MRZ hidden>" if self.lines else (self.failure.value if self.failure else "?")
        return f"MRZRead({what}, {self.seconds * 1000:.0f} ms)"


def tessdata_dir() -> Path:
    for d in TESSDATA_DIRS:
        if (d / "eng.traineddata").is_file():
            return d
    raise OCRUnavailableError("tesseract's English model is not installed (Debian package tesseract-ocr-eng)")


class MRZReader:
    """Frame → :class:`MRZRead`.  Holds one tesseract engine (made once: loading the model takes ~0.1 s);
    :meth:`read` may be called from one thread at a time (a lock guards it)."""

    def __init__(self, tessdata: Path | None = None) -> None:
        try:
            import tesserocr
        except ImportError as exc:
            raise OCRUnavailableError("tesserocr is not installed (requirements-ui.txt)") from exc
        path = str(tessdata or tessdata_dir()) + "/"
        self._api = tesserocr.PyTessBaseAPI(path=path, lang="eng", psm=tesserocr.PSM.SINGLE_LINE,
                                            oem=tesserocr.OEM.LSTM_ONLY)  # fmt: skip
        self._api.SetVariable("tessedit_char_whitelist", MRZ_ALPHABET)
        self._api.SetVariable("load_system_dawg", "0")
        self._api.SetVariable("load_freq_dawg", "0")
        self._lock = threading.Lock()

    def close(self) -> None:
        self._api.End()

    def __enter__(self) -> MRZReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, frame: Any) -> MRZRead:
        """One attempt on a BGR (or grey) frame."""
        start = time.perf_counter()
        failure, lines = self._read(frame)
        return MRZRead(lines, failure, time.perf_counter() - start)

    def _read(self, frame: Any) -> tuple[MRZReadFailure | None, tuple[str, str, str] | None]:
        import cv2

        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
        band = locate_band(grey)
        if band is None:
            glare = float((grey >= SATURATED).mean()) > FRAME_GLARE_FRACTION
            return (MRZReadFailure.GLARE if glare else MRZReadFailure.NO_MRZ), None
        problem = picture_problem(band)
        for char_height, binarise in PASSES:
            lines = self._pass(prepare(band, char_height, binarise))
            if lines is not None:
                return None, lines
        return problem or MRZReadFailure.CHECK_DIGIT, None

    def _pass(self, prepared: Any) -> tuple[str, str, str] | None:
        rows = split_lines(prepared)
        if rows is None:
            return None
        texts = [self._ocr(row, LINE_ALPHABETS[i]) for i, row in enumerate(rows)]
        lines = repair("\n".join(texts))
        if lines is None:  # tesseract often drops the check digit after a run of fillers: read it alone
            lines = repair("\n".join(self._with_last_digit(t, rows[i]) if i < 2 else t
                                     for i, t in enumerate(texts)))  # fmt: skip
        return lines

    def _ocr(self, binary: Any, alphabet: str, single_char: bool = False) -> str:
        import tesserocr
        from PIL import Image

        with self._lock:
            self._api.SetPageSegMode(tesserocr.PSM.SINGLE_CHAR if single_char else tesserocr.PSM.SINGLE_LINE)
            self._api.SetVariable("tessedit_char_whitelist", alphabet)
            self._api.SetImage(Image.fromarray(binary))
            return "".join(str(self._api.GetUTF8Text()).split())

    def _with_last_digit(self, text: str, row: Any) -> str:
        """``text`` with its final check digit read from the row's last glyph alone (PSM 10)."""
        glyph = last_glyph(row)
        if glyph is None:
            return text
        digit = self._ocr(glyph, "0123456789", single_char=True)[:1]
        if not digit:
            return text
        return text[:-1] + digit if text[-1:].isdigit() else text + digit


# --- 1. locating the band ------------------------------------------------------------------------------


def locate_band(grey: Any) -> Any | None:
    """The MRZ block cut out of ``grey`` (full resolution) and turned level; ``None`` when there is none.

    Lines of evenly spaced dark characters become long thin blobs; the MRZ is three of them, about as long
    as each other, one under the other at an even spacing (ICAO 9303-3 §4.3).
    """
    import cv2
    import numpy as np

    h, w = grey.shape[:2]
    f = LOCATE_WIDTH / w
    small = cv2.resize(grey, (LOCATE_WIDTH, round(h * f)), interpolation=cv2.INTER_AREA)
    blackhat = cv2.morphologyEx(small, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 7)))
    grad = np.abs(cv2.Sobel(blackhat, cv2.CV_32F, 1, 0, ksize=-1))
    grad = (255 * (grad - grad.min()) / max(float(grad.max() - grad.min()), 1e-6)).astype(np.uint8)
    grad = cv2.morphologyEx(grad, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (17, 3)))
    _, mask = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 3)))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    rows: list[tuple[float, float, float, float, float]] = []  # centre x, y, length, thickness, angle
    for contour in contours:
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
        if rw < rh:
            rw, rh, angle = rh, rw, angle - 90
        if angle < -45:
            angle += 180
        if angle > 45:
            angle -= 180
        if rw >= 0.18 * LOCATE_WIDTH and rw / max(rh, 1.0) >= 8 and abs(angle) <= 25:
            rows.append((cx, cy, rw, rh, angle))
    rows.sort(key=lambda r: r[1])
    best: tuple[float, tuple[Any, ...]] | None = None
    for a, b, c in itertools.combinations(rows, 3):
        lengths = (a[2], b[2], c[2])
        gap1, gap2 = b[1] - a[1], c[1] - b[1]
        if min(lengths) < 0.75 * max(lengths) or min(gap1, gap2) < 0.7 * max(gap1, gap2):
            continue
        if max(gap1, gap2) > 0.35 * max(lengths):
            continue
        if max(abs(a[0] - b[0]), abs(b[0] - c[0])) > 0.15 * max(lengths):
            continue
        score = sum(lengths) + c[1] * 0.01  # the longest; the lowest on the card when equal
        if best is None or score > best[0]:
            best = (score, (a, b, c))
    if best is None:
        return None
    a, b, c = best[1]
    angle = float(np.median([a[4], b[4], c[4]]))
    cx, cy = (a[0] + c[0]) / 2 / f, (a[1] + c[1]) / 2 / f
    rw = max(a[2], b[2], c[2]) / f
    rh = (c[1] - a[1]) / f * 1.5
    rot = cv2.getRotationMatrix2D((cx, cy), angle, 1.0)
    pad_w, pad_h = 0.04 * rw + 6, 0.12 * rh + 6
    rot[0, 2] += rw / 2 + pad_w - cx
    rot[1, 2] += rh / 2 + pad_h - cy
    size = (round(rw + 2 * pad_w), round(rh + 2 * pad_h))
    return cv2.warpAffine(grey, rot, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


# --- 2. what is wrong with the picture -------------------------------------------------------------------


def picture_problem(band: Any) -> MRZReadFailure | None:
    """Too dark, glare or blurred — judged on the band, in that order; ``None`` when it looks fine."""
    import cv2
    import numpy as np

    if float(np.median(band)) < DARK_LEVEL:
        return MRZReadFailure.TOO_DARK
    if float((band >= SATURATED).mean()) > GLARE_FRACTION:
        return MRZReadFailure.GLARE
    lo, hi = np.percentile(band, (5, 95))
    contrast = max(float(hi - lo), 1.0)
    scale = 3 * 34.0 / band.shape[0]  # judge sharpness at a fixed text size
    norm = cv2.resize(band, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else band
    sharpness = float(cv2.Laplacian(norm.astype(np.float32), cv2.CV_32F).std()) / contrast
    if sharpness < BLUR_SHARPNESS:
        return MRZReadFailure.BLURRED
    return None


# --- 3. preparing for tesseract --------------------------------------------------------------------------


def prepare(band: Any, char_height: int = 44, binarise: bool = True) -> Any:
    """Scale to ``char_height`` per line, divide out uneven light (glare, shadow), binarise (Otsu)."""
    import cv2
    import numpy as np

    scale = 3 * char_height * 1.9 / band.shape[0]
    img = cv2.resize(band, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    background = cv2.morphologyEx(img, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (31, 31)))
    flat = cv2.divide(img.astype(np.float32), background.astype(np.float32) + 1.0, scale=255.0)
    flat = np.clip(flat, 0, 255).astype(np.uint8)
    if not binarise:
        return cv2.copyMakeBorder(flat, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=255)
    _, binary = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return cv2.copyMakeBorder(binary, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=255)


# --- 4. repairing and validating -------------------------------------------------------------------------


def split_lines(binary: Any) -> list[Any] | None:
    """The three text rows of the prepared band (ink rows found by horizontal projection)."""
    import numpy as np

    ink = (binary < 128).sum(axis=1)
    rows = ink > max(2, 0.02 * binary.shape[1])
    spans, start = [], None
    for y, on in enumerate(rows):
        if on and start is None:
            start = y
        elif not on and start is not None:
            spans.append((start, y))
            start = None
    if start is not None:
        spans.append((start, len(rows)))
    spans = [s for s in spans if s[1] - s[0] >= CHAR_HEIGHT_PX // 3]
    if len(spans) < 3:
        return None
    spans = sorted(sorted(spans, key=lambda s: s[1] - s[0])[-3:])  # the three tallest, top to bottom
    pad = CHAR_HEIGHT_PX // 3
    out = []
    for a, b in spans:
        row = binary[max(0, a - pad) : b + pad]
        out.append(np.ascontiguousarray(row))
    return out


def last_glyph(row: Any) -> Any | None:
    """The rightmost character of a prepared row, with a white margin (``None`` when the row is empty)."""
    import cv2
    import numpy as np

    cols = (row < 128).sum(axis=0) > 0
    xs = np.flatnonzero(cols)
    if xs.size == 0:
        return None
    right = int(xs[-1])
    left = right
    gap = 0
    while left > 0 and gap < CHAR_HEIGHT_PX // 6:
        left -= 1
        gap = gap + 1 if not cols[left] else 0
    left += gap
    pad = CHAR_HEIGHT_PX // 2
    glyph = row[:, left : right + 1]
    return cv2.copyMakeBorder(glyph, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)


def _fit(line: str) -> str | None:
    """``line`` brought to 30 characters by lengthening or shortening its longest filler run."""
    if len(line) == LINE:
        return line
    runs = [(m_end - m_start, m_start) for m_start, m_end in _filler_runs(line)]
    if not runs:
        return None
    length, start = max(runs)
    new = length + LINE - len(line)
    if new < 1:
        return None
    return line[:start] + "<" * new + line[start + length :]


def _filler_runs(line: str) -> list[tuple[int, int]]:
    runs, i = [], 0
    while i < len(line):
        if line[i] == "<":
            j = i
            while j < len(line) and line[j] == "<":
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def _candidate_lines(text: str) -> list[str]:
    rows = ["".join(c for c in r.upper() if c in MRZ_ALPHABET) for r in text.splitlines()]
    return [r for r in rows if r]


def _cccd_shape(rows: list[str]) -> list[str]:
    """A CCCD's lines rebuilt around their fixed parts (docs/cccd-chip.md §1): line 1 ``IDVNM`` + 25,
    line 2 15 characters + ``VNM`` + 11 fillers + the composite check digit; line 3 (no check digit: not
    needed for the chip's key) padded to 30.  Other documents are left as read."""
    l1, l2, l3 = rows
    i1, i2 = l1.find("VNM", 0, 8), l2.rfind("VNM")
    if i1 >= 0 and i2 < 0 and len(l2) >= 18 and l2[7] in "MF":  # the nationality misread: it is fixed
        l2, i2 = l2[:15] + "VNM" + l2[18:], 15
    if i1 < 0 or i2 < 0:
        return rows
    body = l1[i1 + 3 :]
    if len(body) != 25 and "<" in body:
        body = body[: body.index("<")] + "<<" + body[-1]
    l1 = "IDVNM" + body
    tail = l2[i2 + 3 :]
    last = _digits(tail[-1:])
    l2 = l2[:i2] + "VNM" + "<" * 11 + (last if last.isdigit() else "<")
    return [l1, l2, l3[:LINE].ljust(LINE, "<")]


def _valid(lines: tuple[str, str, str]) -> bool:
    try:
        fields = bac_fields_from_mrz("\n".join(lines))
    except MRZFormatError:
        return False
    pid, (l1, l2, _) = fields.personal_id, lines
    if fields.issuing_state != "VNM" or l1[:2] != "ID" or l2[15:18] != "VNM" or pid is None or len(pid) != 12:
        return False  # a CCCD (docs/cccd-chip.md §1), nothing else
    # The ID repeats what the MRZ says elsewhere: its last 9 digits are the document number, its digits 4–6
    # the century with the sex and the birth year (kiosk.keyentry.idnumber, reader.lds.mrz).
    try:
        number, sex, year = cccd_document_number(pid), sex_from_id(pid), birth_year_from_id(pid)
    except (ParseError, InvalidIDError):
        return False
    same_year = f"{year % 100:02d}" == fields.date_of_birth[:2]
    return number == fields.document_number and same_year and l2[7] == sex


def repair(text: str) -> tuple[str, str, str] | None:
    """Three valid CCCD lines from tesseract's ``text``, or ``None``.

    Letters and digits are exchanged only where the position's class is fixed (every position of a
    CCCD's lines 1 and 2), the filler runs brought to their fixed lengths; then every check digit must
    hold (ICAO 9303-3 §4.9) *and* the 12-digit ID must agree with the document number, the birth year and
    the sex.  Nothing is guessed: a character that cannot be fixed by its class fails the read."""
    rows = _candidate_lines(text)
    if len(rows) != 3:
        return None
    rows = _cccd_shape(rows)
    fitted = [_fit(r) for r in rows]
    if any(r is None for r in fitted):
        return None
    try:
        l1, l2, l3 = normalise_td1("\n".join(r for r in fitted if r is not None))
    except MRZFormatError:
        return None
    return (l1, l2, l3) if _valid((l1, l2, l3)) else None

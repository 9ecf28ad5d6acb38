"""The back of a simulated CCCD as a camera sees it: card art, the TD1 MRZ in OCR-B, and degradations.

Used by the MRZ-scanning tests and ``benchmarks/mrz_ocr.py`` (docs/mrz-scanning.md).  The card is an ID-1
card (ICAO 9303-3 §3: 85.6 × 54 mm) drawn at :data:`PX_PER_MM`; its three MRZ lines of 30 characters sit
in the bottom zone in OCR-B (ICAO 9303-3 §4.3; Debian's ``fonts-ocr-b``), 2.54 mm per character.  The card
is then placed in a webcam frame (1280 × 720) with a pose (tilt, slight perspective) and the degradations
a kiosk camera meets: defocus blur, glare from a ceiling light, low light with sensor noise.

All people are invented (:mod:`sims.people`); :func:`random_people` makes more of them for benchmarks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sims.people import Profile

PX_PER_MM = 12
CARD_MM = (85.6, 54.0)
FRAME_SIZE = (1280, 720)
MRZ_PITCH_MM = 2.54  # ICAO 9303-3 §4.3: 10 characters per 25.4 mm
MRZ_FONT_MM = 3.2  # OCR-B size 1 em box: cap height about 2.3 mm
OCRB_FONTS = (
    Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf"),  # fonts-ocr-b
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),  # fonts-dejavu-core: a stand-in
)
TEXT_FONTS = (
    Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),  # fonts-noto-core (Vietnamese glyphs)
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)


class CardBackError(RuntimeError):
    """No usable font is installed (scripts/ensure-system.sh installs fonts-ocr-b and fonts-noto-core)."""


@dataclass(frozen=True, slots=True)
class Degradation:
    """What the camera does to the picture.  All zero: a sharp, well-lit, straight card."""

    blur: float = 0.0  # Gaussian blur radius in frame pixels (defocus, motion)
    glare: float = 0.0  # 0..1: peak strength of a bright spot (a ceiling light reflected by the laminate)
    tilt: float = 0.0  # degrees of in-plane rotation
    perspective: float = 0.0  # 0..0.1: how much farther one edge is (the card not held flat to the camera)
    light: float = 1.0  # brightness factor (0.35 = a dim corner of a hall)
    noise: float = 0.0  # sensor noise, standard deviation in grey levels
    scale: float = 0.62  # card width / frame width
    seed: int = 0  # where the glare falls, where the card sits

    def __repr__(self) -> str:
        return (f"Degradation(blur={self.blur}, glare={self.glare}, tilt={self.tilt}, "
                f"perspective={self.perspective}, light={self.light}, noise={self.noise})")  # fmt: skip


def _font(paths: tuple[Path, ...], px: int) -> Any:
    from PIL import ImageFont

    for path in paths:
        if path.is_file():
            return ImageFont.truetype(str(path), px)
    raise CardBackError(f"none of these fonts is installed: {', '.join(str(p) for p in paths)}")


def render_card_back(person: Profile) -> Any:
    """The back of ``person``'s card, straight and sharp (a Pillow RGB image, :data:`PX_PER_MM` px/mm)."""
    from PIL import Image, ImageDraw

    mm = PX_PER_MM
    w, h = round(CARD_MM[0] * mm), round(CARD_MM[1] * mm)
    img = Image.new("RGB", (w, h), (238, 241, 236))
    draw = ImageDraw.Draw(img)
    rng = random.Random(person.id_number)  # deterministic guilloche, not security
    for i in range(0, w + h, 9):  # the fine security print behind the text
        draw.line((i, 0, i - h, h), fill=(222, 230, 226), width=1)
    for _ in range(6):
        cx, cy, r = rng.randint(0, w), rng.randint(0, h // 2), rng.randint(40, 160)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(210, 222, 230), width=2)
    chip = (6 * mm, 7 * mm, 17 * mm, 16 * mm)
    draw.rounded_rectangle(chip, radius=mm, fill=(214, 178, 96), outline=(150, 120, 50), width=2)
    draw.line((chip[0], 11.5 * mm, chip[2], 11.5 * mm), fill=(150, 120, 50), width=2)
    draw.line((11.5 * mm, chip[1], 11.5 * mm, chip[3]), fill=(150, 120, 50), width=2)
    small = _font(TEXT_FONTS, round(2.2 * mm))
    tiny = _font(TEXT_FONTS, round(1.7 * mm))
    for x, caption in ((58 * mm, "Ngón trỏ trái"), (72 * mm, "Ngón trỏ phải")):
        draw.rectangle((x, 4 * mm, x + 12 * mm, 18 * mm), outline=(120, 120, 120), width=2)
        for k in range(1, 7):  # a fingerprint's ridges
            draw.ellipse((x + 6 * mm - k * 0.8 * mm, 11 * mm - k * mm, x + 6 * mm + k * 0.8 * mm,
                          11 * mm + k * mm), outline=(150, 150, 150), width=1)  # fmt: skip
        draw.text((x, 18.6 * mm), caption, font=tiny, fill=(40, 40, 40))
    text = (
        "Đặc điểm nhân dạng: " + (person.identifying_marks or "Không")[:48],
        f"Ngày, tháng, năm: {person.date_of_issue:%d/%m/%Y}",
        "CỤC TRƯỞNG CỤC CẢNH SÁT QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI",
    )
    for i, line in enumerate(text):
        draw.text((4 * mm, (22 + 3 * i) * mm), line, font=small, fill=(30, 30, 30))
    draw.line((6 * mm, 33.5 * mm, 40 * mm, 33 * mm), fill=(20, 40, 120), width=2)  # the signature
    _draw_mrz(draw, person.mrz_lines, left=4.6 * mm, top=36.5 * mm)
    return img


def _draw_mrz(draw: Any, lines: tuple[str, str, str], left: float, top: float) -> None:
    """Each character centred on its 2.54 mm pitch, lines 5.4 mm apart (the MRZ zone, ICAO 9303-3 §4.3)."""
    mm = PX_PER_MM
    font = _font(OCRB_FONTS, round(MRZ_FONT_MM * mm))
    pitch = MRZ_PITCH_MM * mm
    for row, line in enumerate(lines):
        y = top + row * 5.4 * mm
        for col, ch in enumerate(line):
            cw = draw.textlength(ch, font=font)
            draw.text((left + col * pitch + (pitch - cw) / 2, y), ch, font=font, fill=(12, 12, 12))


def camera_frame(card: Any, d: Degradation = Degradation()) -> Any:
    """``card`` (from :func:`render_card_back`) as a webcam sees it under ``d``: a BGR ``numpy`` array."""
    import numpy as np
    from PIL import Image, ImageFilter

    rng = random.Random(d.seed)  # deterministic test image, not security
    fw, fh = FRAME_SIZE
    frame = Image.new("RGB", FRAME_SIZE, (96, 84, 70))  # a wooden counter
    shade = Image.linear_gradient("L").resize(FRAME_SIZE).point(lambda v: 60 + v // 3)
    frame.paste((130, 116, 98), (0, 0), shade)
    cw = round(fw * d.scale)
    ch = round(cw * card.height / card.width)
    pic = card.resize((cw, ch), Image.Resampling.LANCZOS).convert("RGBA")
    if d.perspective:
        p = d.perspective * cw  # the right edge farther away: shorter
        square = [(0.0, 0.0), (cw, 0.0), (cw, ch), (0.0, ch)]
        coeffs = _perspective_coeffs([(0.0, 0.0), (cw, p), (cw, ch - p), (0.0, ch)], square)
        pic = pic.transform((cw, ch), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    pic = pic.rotate(d.tilt, resample=Image.Resampling.BICUBIC, expand=True)
    x = (fw - pic.width) // 2 + rng.randint(-40, 40)
    y = (fh - pic.height) // 2 + rng.randint(-30, 30)
    frame.paste(pic, (x, y), pic)
    if d.glare > 0:
        gx = x + rng.uniform(0.2, 0.8) * pic.width
        gy = y + rng.uniform(0.25, 0.85) * pic.height
        yy, xx = np.mgrid[0:fh, 0:fw]
        spot = np.exp(-(((xx - gx) / (0.16 * cw)) ** 2 + ((yy - gy) / (0.09 * cw)) ** 2))
        arr = np.asarray(frame, dtype=np.float32)
        arr = arr + (255.0 - arr) * (d.glare * spot)[..., None]
        frame = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    if d.blur > 0:
        frame = frame.filter(ImageFilter.GaussianBlur(d.blur))
    arr = np.asarray(frame, dtype=np.float32) * d.light
    if d.noise > 0:
        arr += np.random.default_rng(d.seed).normal(0.0, d.noise, arr.shape)
    rgb = arr.clip(0, 255).astype(np.uint8)
    return np.ascontiguousarray(rgb[..., ::-1])  # BGR, as OpenCV cameras give


def _perspective_coeffs(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    """Pillow's PERSPECTIVE coefficients mapping output points ``dst`` to input points ``src``."""
    import numpy as np

    rows = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=np.float64)
    b = np.array([c for p in src for c in p], dtype=np.float64)
    return [float(c) for c in np.linalg.solve(a, b)]


def mild(seed: int) -> Degradation:
    """A mildly degraded picture, the benchmark's target (docs/mrz-scanning.md): each of blur, glare, tilt
    and low light at a level a person holding the card to a kiosk camera produces."""
    rng = random.Random(seed)  # deterministic test conditions, not security
    kind = seed % 4
    return Degradation(
        blur=rng.uniform(0.6, 1.4) if kind == 0 else rng.uniform(0.0, 0.5),
        glare=rng.uniform(0.35, 0.6) if kind == 1 else 0.0,
        tilt=rng.uniform(-6.0, 6.0) if kind == 2 else rng.uniform(-1.5, 1.5),
        perspective=rng.uniform(0.0, 0.04) if kind == 2 else 0.0,
        light=rng.uniform(0.35, 0.55) if kind == 3 else rng.uniform(0.85, 1.0),
        noise=rng.uniform(3.0, 6.0) if kind == 3 else rng.uniform(0.0, 2.0),
        scale=rng.uniform(0.55, 0.72),
        seed=seed,
    )


_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ")
_MIDDLE = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc")
_GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khánh", "Lan", "Long", "Mai", "Nam", "Oanh",
          "Phúc", "Quang", "Sơn", "Tâm", "Uyên", "Việt", "Xuân", "Yến")  # fmt: skip


def random_people(n: int, seed: int = 0) -> list[Profile]:
    """``n`` invented citizens with consistent IDs (cccd-chip.md §1), birth years 1935–2008."""
    rng = random.Random(seed)  # deterministic test data, not security
    people = []
    for i in range(n):
        born = date(1935, 1, 1) + timedelta(days=rng.randint(0, 73 * 365))
        sex = rng.choice("MF")
        gender = (born.year - 1900) // 100 * 2 + (1 if sex == "F" else 0)
        province = rng.choice(("001", "079", "048", "031", "092", "038"))
        id_number = f"{province}{gender}{born.year % 100:02d}{rng.randint(0, 999_999):06d}"
        issued = max(born + timedelta(days=14 * 365 + 30), date(2021, 1, 1)) + timedelta(
            days=rng.randint(0, 1200))  # fmt: skip
        middle = "Thị" if sex == "F" and rng.random() < 0.7 else rng.choice(_MIDDLE)
        name = f"{rng.choice(_SURNAMES)} {middle} {rng.choice(_GIVEN)}"
        people.append(Profile(name=f"random-{seed}-{i}", description="invented for benchmarks",
                              id_number=id_number, full_name=name, date_of_birth=born, sex=sex,
                              date_of_issue=issued))  # fmt: skip
    return people

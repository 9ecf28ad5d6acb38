"""The ticket as a 1-bit raster for a thermal printer (docs/printing.md).

ESC/POS code pages have no Vietnamese (no code page carries ư, ơ, ạ, ế …), so every line is drawn with
Noto Sans (Debian ``fonts-noto-core``) and the whole ticket goes to the printer as one raster image
(``GS v 0``).  Widths are the printable dots of the common 203 dpi mechanisms: 384 dots on 58 mm paper,
576 dots on 80 mm paper.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.printing.ticket import Ticket

PAPER_DOTS = {58: 384, 80: 576}
FONTS = {
    "regular": (Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
                Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")),
    "bold": (Path("/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"),
             Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
}  # fmt: skip
MARGIN = 8


class FontMissingError(RuntimeError):
    """No font with Vietnamese glyphs is installed (scripts/ensure-system.sh installs fonts-noto-core)."""


def _font(weight: str, px: int) -> Any:
    from PIL import ImageFont

    for path in FONTS[weight]:
        if path.is_file():
            return ImageFont.truetype(str(path), px)
    raise FontMissingError("install fonts-noto-core (Noto Sans) for Vietnamese tickets")


def _wrap(text: str, font: Any, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if not line or font.getlength(candidate) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _fit_font(text: str, width: int, start: int) -> Any:
    px = start
    font = _font("bold", px)
    while px > 24 and font.getlength(text) > width:
        px -= 4
        font = _font("bold", px)
    return font


def render(ticket: Ticket, paper_mm: int = 80) -> Any:
    """The ticket as a Pillow ``"1"`` image exactly as wide as the paper's printable dots."""
    from PIL import Image, ImageDraw

    if paper_mm not in PAPER_DOTS:
        raise ValueError(f"paper width must be one of {sorted(PAPER_DOTS)} mm")
    width = PAPER_DOTS[paper_mm]
    inner = width - 2 * MARGIN
    scale = width / 576  # the 80 mm layout, scaled down for 58 mm
    canvas = Image.new("L", (width, 4000), 255)
    draw = ImageDraw.Draw(canvas)
    y = MARGIN

    def centred(text: str, font: Any, gap: int = 6) -> None:
        nonlocal y
        for line in _wrap(text, font, inner):
            box = draw.textbbox((0, 0), line, font=font)
            draw.text(((width - (box[2] - box[0])) / 2 - box[0], y - box[1]), line, font=font, fill=0)
            y += round(box[3] - box[1]) + gap

    def rule() -> None:
        nonlocal y
        y += 6
        draw.line((MARGIN, y, width - MARGIN, y), fill=0, width=2)
        y += 12

    if ticket.site:
        centred(ticket.site, _font("bold", round(26 * scale)))
    centred(ticket.heading, _font("bold", round(32 * scale)))
    rule()
    if ticket.big:
        centred(ticket.big, _fit_font(ticket.big, inner - 24, round(150 * scale)), gap=14)
    if ticket.subheading:
        centred(ticket.subheading, _font("bold", round(40 * scale)), gap=10)
    body = _font("regular", round(28 * scale))
    for line in ticket.lines:
        centred(line, body)
    y += 8
    centred(ticket.when, _font("bold", round(30 * scale)))
    if ticket.qr:
        y += 10
        code = _qr_image(ticket.qr, round(200 * scale))
        canvas.paste(code, ((width - code.width) // 2, y))
        y += code.height + 8
    small = _font("regular", round(24 * scale))
    for line in ticket.footer:
        centred(line, small, gap=4)
    y += MARGIN
    return canvas.crop((0, 0, width, y)).point(lambda v: 255 if v >= 128 else 0).convert("1")


def _qr_image(data: str, edge: int) -> Any:
    """A QR code (error correction M, quiet zone 2 modules) as an ``edge``-sized greyscale image."""
    import segno
    from PIL import Image

    matrix = segno.make(data, error="m", micro=False).matrix
    n = len(matrix) + 4
    module = max(2, edge // n)
    img = Image.new("L", (n * module, n * module), 255)
    px = img.load()
    assert px is not None
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                for dy in range(module):
                    for dx in range(module):
                        px[(c + 2) * module + dx, (r + 2) * module + dy] = 0
    return img

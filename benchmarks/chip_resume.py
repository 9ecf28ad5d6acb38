"""What resuming a read saves (docs/chip-faults.md, "What the kiosk does"): the card leaves the reader at
some point of a full PACE+PA+AA+CA read of the simulated CCCD and is placed again; the second read either
resumes (``resume=`` the interrupted read's ``PartialRead``, as the kiosk does now) or starts over (as it
did before).  Per interruption point: the second read's APDUs, bytes from the card and wall time (median),
both ways.

    .venv/bin/python -m benchmarks.chip_resume [--reads N] [--pcsc]

In-process by default (the APDU and byte counts are exact; times there are host time only).  ``--pcsc``
reads through the real pcscd + vpcd (the per-APDU cost of a PC/SC round trip), under
``flock /tmp/pcscd.lock`` as every pcscd user.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from reader.engine import ChipReader, ChipReadResult
from reader.resume import PartialRead, ReadInterrupted
from reader.transports import CallableTransport
from reader.transports.base import Transport
from reader.transports.faults import FaultyTransport
from sims.pcsc_faults import apdu_labels, card_on_slot, request_for
from sims.personalize import CardImage, card_image

POINTS = ("DG1", "DG2", "DG13", "DG14", "DG15", "Chip Authentication")


@dataclass(frozen=True)
class Row:
    point: str
    at: int
    kept: int  # data groups complete before the interruption
    resumed: tuple[int, int, float]  # APDUs, bytes in, wall ms (median)
    restarted: tuple[int, int, float]

    def line(self) -> str:
        (ra, rb, rt), (sa, sb, st) = self.resumed, self.restarted
        cells = (self.point, self.at, self.kept, ra, rb, f"{rt:.1f}", sa, sb, f"{st:.1f}", sa - ra, sb - rb)
        return "| " + " | ".join(str(c) for c in cells) + " |"


HEADER = (
    "| card left in | at APDU | DGs kept | resumed: APDUs | bytes in | wall ms | from the start: APDUs | "
    "bytes in | wall ms | APDUs saved | bytes saved |\n|---|---|---|---|---|---|---|---|---|---|---|"
)


def interruption_points(image: CardImage) -> list[tuple[str, int]]:
    """An APDU index inside each point: the second command of each data group's read, the last command of
    Chip Authentication."""
    labels = apdu_labels(image)
    points = []
    for point in POINTS:
        indexes = [i for i, label in enumerate(labels) if label.startswith(f"reading {point}:")
                   or label.startswith(f"{point}:")]  # fmt: skip
        points.append((point, indexes[1] if point.startswith("DG") else indexes[-1]))
    return points


def _in_process(image: CardImage, remove_after: int | None = None) -> Iterator[Callable[[], Transport]]:
    def open_card() -> Transport:
        transport: Transport = CallableTransport(image.new_card().execute)
        return transport if remove_after is None else FaultyTransport(transport, remove_after=remove_after)

    yield open_card


def _pcsc(image: CardImage, slot: int, remove_after: int | None = None) -> Iterator[Callable[[], Transport]]:
    with card_on_slot(image, slot, remove_after) as s:
        yield s.open


def _timed(open_card: Callable[[], Transport], image: CardImage, partial: PartialRead | None,
           reads: int) -> tuple[int, int, float]:  # fmt: skip
    times, result = [], None
    for _ in range(reads):
        transport = open_card()
        try:
            t = time.perf_counter()
            result = ChipReader(transport).read(request_for(image), resume=partial)
            times.append((time.perf_counter() - t) * 1000)
        finally:
            transport.close()
    assert isinstance(result, ChipReadResult) and result.verdict.value == "authentic", result
    return result.stats.apdus, result.stats.bytes_in, statistics.median(times)


def measure(image: CardImage, reads: int, *, pcsc: bool = False) -> list[Row]:
    rows = []
    for point, at in interruption_points(image):
        interrupted = contextmanager(_pcsc)(image, 0, at) if pcsc else contextmanager(_in_process)(image, at)
        with interrupted as open_card:
            transport = open_card()
            try:
                ChipReader(transport).read(request_for(image))
            except ReadInterrupted as lost:
                partial = lost.partial
            else:
                raise AssertionError(f"the card did not leave at APDU {at}")
            finally:
                transport.close()
        again = contextmanager(_pcsc)(image, 1) if pcsc else contextmanager(_in_process)(image)
        with again as open_card:
            _timed(open_card, image, None, 1)  # warm-up
            resumed = _timed(open_card, image, partial, reads)
            restarted = _timed(open_card, image, None, reads)
        kept = len(partial.reusable_with(partial.raw.get("EF.SOD")))
        rows.append(Row(point, at, kept, resumed, restarted))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reads", type=int, default=10, help="timed reads per row and way (default 10)")
    parser.add_argument("--pcsc", action="store_true", help="through pcscd + vpcd (hold /tmp/pcscd.lock)")
    args = parser.parse_args(argv or [])  # `python -m benchmarks` calls main() with no arguments
    if args.reads < 1:
        parser.error("--reads must be at least 1")
    image = card_image("default")
    print(f"{'pcscd+vpcd' if args.pcsc else 'in-process'}, {args.reads} reads per cell")
    print(HEADER)
    for row in measure(image, args.reads, pcsc=args.pcsc):
        print(row.line())
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))

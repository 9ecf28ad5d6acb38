"""What card tolerance costs (docs/chip-faults.md): a full PACE+PA+AA+CA read of the simulated CCCD with
each scripted quirk, in-process — APDUs, secure channels opened again, host wall time (median).

    .venv/bin/python -m benchmarks.chip_tolerance [--reads N]

Rows: the conformant card; no SFI; no SFI with plain errors and no EF.CardAccess (the SFI refusal is then
learnt under BAC and costs a new channel); plain errors / SM aborted / error answers without DO'99' with an
absent data group requested (DG11: one new channel each); a read interrupted in DG13 and resumed (time:
both sessions; APDUs: the resumed one).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from reader.engine import ChipReader, ChipReadResult, ReadRequest
from reader.findings import SM_CHANNEL_REOPENED
from reader.pki.trust import CSCAStore
from reader.resume import ReadInterrupted
from reader.transports import CallableTransport
from reader.transports.faults import FaultyTransport
from sims.card import CardOS
from sims.personalize import CardImage, card_image

WITH_ABSENT = (1, 2, 11, 13, 14, 15)


def _card(image: CardImage, *, mf: dict[str, bytes] | None = None, **behaviour: Any) -> CardOS:
    return CardOS(
        image.mf_files if mf is None else mf, image.lds_files, bac_key=image.bac_key,
        behaviour=image.behaviour(**behaviour), applets=image.security_applets(), refused=image.refused,
    )  # fmt: skip


def _request(image: CardImage, **kw: Any) -> ReadRequest:
    store = CSCAStore()
    image.add_test_csca_to(store)
    return ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=store, **kw)


def _resumed(image: CardImage) -> ChipReadResult:
    transport = FaultyTransport(CallableTransport(image.new_card().execute), remove_after=16)
    try:
        ChipReader(transport).read(_request(image))
    except ReadInterrupted as lost:
        again = ChipReader(CallableTransport(image.new_card().execute))
        return again.read(_request(image), resume=lost.partial)
    raise AssertionError("the card did not leave")


def cases(image: CardImage) -> list[tuple[str, Callable[[], ChipReadResult]]]:
    def read(card: Callable[[], CardOS], **kw: Any) -> Callable[[], ChipReadResult]:
        return lambda: ChipReader(CallableTransport(card().execute)).read(_request(image, **kw))

    def quirky(**behaviour: Any) -> Callable[[], CardOS]:
        return lambda: _card(image, **behaviour)

    absent = {"data_groups": WITH_ABSENT}
    return [
        ("conformant", read(image.new_card)),
        ("no SFI", read(quirky(sfi_supported=False))),
        ("no SFI, plain errors, no CardAccess", read(quirky(mf={}, sfi_supported=False, sm_errors="plain"))),
        ("conformant + absent DG11", read(image.new_card, **absent)),
        ("plain errors + absent DG11", read(quirky(sm_errors="plain"), **absent)),
        ("SM aborted + absent DG11", read(quirky(sm_errors="abort"), **absent)),
        ("no DO'99' on errors + absent DG11", read(quirky(omit_do99="errors"), **absent)),
        ("removed in DG13 + resumed", lambda: _resumed(image)),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=10)
    args = parser.parse_args(argv or [])
    image = card_image("default")
    for label, run in cases(image):
        run()  # warm-up
        times, result = [], None
        for _ in range(args.reads):
            t = time.perf_counter()
            result = run()
            times.append((time.perf_counter() - t) * 1000)
        assert result is not None
        reopened = sum(f.code == SM_CHANNEL_REOPENED for f in result.findings)
        print(
            f"{label:<38} {result.verdict.value:<13} apdus={result.stats.apdus:<3} reopened={reopened} "
            f"wall_ms(median)={statistics.median(times):.1f}"
        )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

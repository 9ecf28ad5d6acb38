"""Full read of the simulated CCCD as the kiosk does it: EF.CardAccess, PACE with the CAN (or BAC), EF.COM,
EF.SOD, DG1, DG2, DG13, DG14, DG15, passive authentication, Active and Chip Authentication.

Measures, per read: APDUs, bytes each way, host CPU time (the reader's side only: the simulated card's
CPU time is measured inside its ``execute`` and subtracted in-process; through pcscd the card runs in
another thread and the reader thread's CPU time is taken), wall time, and passive authentication's share.

    .venv/bin/python -m benchmarks.chip_read [--reads N] [--no-pcsc]

Rows: ``PACE+PA+AA+CA`` (the CCCD path), ``BAC+PA+AA+CA`` (``--access bac``), both in-process, and the
PACE path through pcscd + vpcd.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from reader.access.control import AccessMode
from reader.engine import ChipReader, ReadRequest
from reader.errors import NoCardError
from reader.pki.trust import CSCAStore
from reader.transports import CallableTransport
from reader.transports.pcsc import PCSCTransport
from sims.personalize import card_image
from sims.vpcd import VPCDBridge


class _TimedCard:
    def __init__(self, execute: Callable[[bytes], bytes]) -> None:
        self._execute = execute
        self.cpu = 0.0

    def __call__(self, raw: bytes) -> bytes:
        t = time.thread_time()
        try:
            return self._execute(raw)
        finally:
            self.cpu += time.thread_time() - t


def _summary(label: str, rows: list[dict[str, Any]]) -> None:
    def med(key: str) -> float:
        return float(statistics.median(float(r[key]) for r in rows))

    r0 = rows[0]
    print(
        f"{label:<28} {r0['verdict']} reads={len(rows)} apdus={r0['apdus']} bytes_in={r0['bytes_in']} "
        f"bytes_out={r0['bytes_out']} dg2_apdus={r0['dg2_apdus']} "
        f"host_cpu_ms(median)={med('host_cpu_ms'):.1f} wall_ms(median)={med('wall_ms'):.1f}"
    )


def _dg2_apdus(reader: ChipReader) -> int:
    # READ BINARY commands between the first and last read of DG2 (SFI 02 or offsets after it)
    log = reader.session.stats.log
    start = next(i for i, e in enumerate(log) if e.ins == 0xB0 and e.p1 == 0x82)
    end = next((i for i in range(start + 1, len(log)) if log[i].ins == 0xB0 and log[i].p1 & 0x80), len(log))
    return end - start


def _request(image: Any, store: CSCAStore, access: AccessMode) -> ReadRequest:
    return ReadRequest(bac_key=image.bac_key, can=image.profile.can, access=access, trust=store)


def bench_in_process(reads: int, access: AccessMode = AccessMode.AUTO) -> list[dict[str, Any]]:
    image = card_image("default")
    store = CSCAStore()
    image.add_test_csca_to(store)
    rows = []
    for _ in range(reads):
        timed = _TimedCard(image.new_card().execute)
        reader = ChipReader(CallableTransport(timed, extended_length=True))
        t_wall, t_cpu = time.perf_counter(), time.thread_time()
        result = reader.read(_request(image, store, access))
        cpu = time.thread_time() - t_cpu - timed.cpu
        rows.append(
            {
                "apdus": result.stats.apdus,
                "bytes_in": result.stats.bytes_in,
                "bytes_out": result.stats.bytes_out,
                "host_cpu_ms": cpu * 1000,
                "wall_ms": (time.perf_counter() - t_wall) * 1000,
                "dg2_apdus": _dg2_apdus(reader),
                "verdict": result.verdict.value,
            }
        )
    return rows


def bench_pcsc(reads: int) -> list[dict[str, Any]]:

    image = card_image("default")
    store = CSCAStore()
    image.add_test_csca_to(store)
    rows = []
    for _ in range(reads):
        bridge = VPCDBridge(image.new_card(), slot=0)
        bridge.connect()
        thread = threading.Thread(target=bridge.serve_forever, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while True:
            try:
                transport = PCSCTransport("Virtual PCD 00 00", extended_length=True)
                break
            except NoCardError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        reader = ChipReader(transport)
        t_wall, t_cpu = time.perf_counter(), time.thread_time()
        result = reader.read(_request(image, store, AccessMode.AUTO))
        cpu = time.thread_time() - t_cpu
        wall = time.perf_counter() - t_wall
        transport.close()
        bridge.stop()
        thread.join(timeout=5)
        rows.append(
            {
                "apdus": result.stats.apdus,
                "bytes_in": result.stats.bytes_in,
                "bytes_out": result.stats.bytes_out,
                "host_cpu_ms": cpu * 1000,
                "wall_ms": wall * 1000,
                "dg2_apdus": _dg2_apdus(reader),
                "verdict": result.verdict.value,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=20)
    parser.add_argument("--no-pcsc", action="store_true")
    args = parser.parse_args(argv or [])
    card_image("default")  # personalisation (key generation) is not part of a read
    bench_in_process(2)  # warm-up
    _summary("in-process PACE+PA+AA+CA", bench_in_process(args.reads))
    _summary("in-process BAC+PA+AA+CA", bench_in_process(args.reads, AccessMode.BAC))
    if not args.no_pcsc:
        _summary("pcscd+vpcd PACE+PA+AA+CA", bench_pcsc(max(3, args.reads // 2)))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

"""Full read of the simulated CCCD through the serial transport: pyserial → pty → simulated PN532 → card
(PACE with the CAN, EF.COM, EF.SOD, DG1, DG2, DG13, DG14, DG15, PA, AA, CA), at the default 115200 baud.

Measures, per read: APDUs, APDU bytes each way (as the engine counts them), bytes on the serial line each
way (frames, ACKs, wake-up: what the simulated PN532 saw), host CPU time (the reader's thread only — the
simulated PN532 and card run on another thread), wall time.  A pty does not throttle to the baud rate, so
the wall time here is the software's share only; the time the same bytes need on a real 115200-baud line
(8N1: 10 bits a byte, and PN532 frames go one way at a time) is computed and printed next to it.

    .venv/bin/python -m benchmarks.serial_read [--reads N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from reader.engine import ChipReader, ReadRequest
from reader.pki.trust import CSCAStore
from reader.transports.pn532 import PN532Transport
from reader.transports.pn532_frames import CardType
from sims.personalize import card_image
from sims.pn532 import PN532SimOptions, SimulatedPN532, profile_card

BAUD = 115200
BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit


def wire_seconds(line_bytes: int, baud: int = BAUD) -> float:
    """Time the bytes need on a serial line at ``baud`` (8N1), one direction at a time."""
    return line_bytes * BITS_PER_BYTE / baud


def bench_serial(
    reads: int, card_type: CardType = CardType.A, answer_chunk: int = 262
) -> list[dict[str, Any]]:
    image = card_image("default")
    store = CSCAStore()
    image.add_test_csca_to(store)
    request = ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=store)
    rows = []
    for _ in range(reads):
        options = PN532SimOptions(card_type=card_type, answer_chunk=answer_chunk)
        with SimulatedPN532(profile_card("default"), options) as sim:
            t_wall, t_cpu = time.perf_counter(), time.thread_time()
            transport = PN532Transport(sim.path, baudrate=BAUD)
            result = ChipReader(transport).read(request)
            transport.close()
            cpu, wall = time.thread_time() - t_cpu, time.perf_counter() - t_wall
            line = sim.counters.bytes_in + sim.counters.bytes_out
            rows.append(
                {
                    "verdict": result.verdict.value,
                    "apdus": result.stats.apdus,
                    "bytes_in": result.stats.bytes_in,
                    "bytes_out": result.stats.bytes_out,
                    "line_to_pn532": sim.counters.bytes_in,
                    "line_from_pn532": sim.counters.bytes_out,
                    "host_cpu_ms": cpu * 1000,
                    "wall_ms": wall * 1000,
                    "wire_ms": wire_seconds(line) * 1000,
                }
            )
    return rows


def _summary(label: str, rows: list[dict[str, Any]]) -> None:
    def med(key: str) -> float:
        return float(statistics.median(float(r[key]) for r in rows))

    r0 = rows[0]
    print(
        f"{label:<30} {r0['verdict']} reads={len(rows)} apdus={r0['apdus']} bytes_in={r0['bytes_in']} "
        f"bytes_out={r0['bytes_out']} line_bytes={r0['line_to_pn532']}+{r0['line_from_pn532']} "
        f"host_cpu_ms(median)={med('host_cpu_ms'):.1f} wall_ms(median, pty)={med('wall_ms'):.1f} "
        f"wire_ms@{BAUD}={r0['wire_ms']:.0f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=10)
    args = parser.parse_args(argv or [])
    card_image("default")  # personalisation (key generation) is not part of a read
    bench_serial(2)  # warm-up
    _summary("pty PN532 type A PACE+PA+AA+CA", bench_serial(args.reads))
    _summary("pty PN532 type B PACE+PA+AA+CA", bench_serial(args.reads, CardType.B))
    _summary("pty PN532 A, MI 64-byte answers", bench_serial(args.reads, answer_chunk=64))
    print("  (a pty moves bytes without the baud rate's delay: wire_ms is what a real 115200-baud line adds "
          "at least, before the PN532's own time and the RF exchange with the card)")  # fmt: skip


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

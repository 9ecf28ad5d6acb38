"""PACE on brainpoolP256r1 (ECDH-GM-AES-128 with the CAN, as on a CCCD): the reader's host CPU time.

Two measurements of the reader's side only (target: ≤ 20 ms per PACE):

* replay: the ICAO 9303-11 Appendix G.1 APDU trace answered by a script (no card computation at all);
* pair: against the simulated card in process, the card's CPU time measured inside ``execute`` and
  subtracted.

Also, for the anti-clone steps after PACE: Chip Authentication (ECDH brainpoolP256r1, AES-128, including
the confirming protected READ BINARY) and Active Authentication (RSA-2048 ISO/IEC 9796-2 verification).

    .venv/bin/python -m benchmarks.pace_bench [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from reader.access.bac import BACKeyInput
from reader.access.pace import PACEPassword, PACESuite, PasswordType
from reader.access.pace_protocol import perform_pace
from reader.access.params import STANDARDIZED
from reader.apdu import CommandAPDU
from reader.auth.active import perform_active_authentication
from reader.auth.chip import ChipAuthChoice, ChipAuthPublicKey, perform_chip_authentication
from reader.lds.cardaccess import ca_protocol
from reader.lds.files import LDS1_AID
from reader.session import CardSession
from reader.transports import CallableTransport
from sims import lds_build
from sims.activeauth import ActiveAuthApplet
from sims.card import CardOS
from sims.chipauth import ChipAuthApplet
from sims.pace import PACEApplet, security_applets

VECTORS = Path(__file__).resolve().parents[1] / "tests" / "vectors" / "icao9303.json"  # see SOURCES.md there
SUITE = PACESuite.create("0.4.0.127.0.7.2.2.4.2.2", 13)
CAN = PACEPassword.can("123456")


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


def _replay_ms(runs: int) -> list[float]:
    if not VECTORS.is_file():
        raise SystemExit(f"the ICAO/BSI vectors are missing from the repository: {VECTORS}")
    g1 = json.loads(VECTORS.read_text())["pace_ecdh_gm_appendix_g1"]
    trace = [(bytes.fromhex(a["command"]), bytes.fromhex(a["response"])) for a in g1["apdus"]]
    trace[0] = (trace[0][0] + bytes.fromhex("84010D"), trace[0][1])
    password = PACEPassword.mrz(g1["document_number"], g1["date_of_birth"], g1["date_of_expiry"])
    keys = [int(g1[k], 16) - 1 for k in ("pcd_mapping_private", "pcd_ephemeral_private")]
    samples = []
    for _ in range(runs):
        script, pending = list(trace), [k.to_bytes(40, "big") for k in keys]
        session = CardSession(CallableTransport(lambda c, s=script: s.pop(0)[1]))  # type: ignore[misc]
        t = time.process_time()
        perform_pace(session, SUITE, password, rng=lambda n, p=pending: p.pop(0))  # type: ignore[misc]
        samples.append((time.process_time() - t) * 1000)
    return samples


def _card(ca: ChipAuthApplet, aa: ActiveAuthApplet) -> CardOS:
    pace = PACEApplet((SUITE,), {PasswordType.CAN: CAN})
    ef_com = lds_build.build_ef_com([1, 2, 13, 14, 15])
    bac = BACKeyInput("123456789", "900101", "300101")
    return CardOS({}, {"EF.COM": ef_com}, bac_key=bac, applets=security_applets(pace, ca, others=(aa,)))


def _steps(
    session: CardSession, choice: ChipAuthChoice, spki: bytes
) -> list[tuple[str, Callable[[], object]]]:
    return [
        ("pace", lambda: perform_pace(session, SUITE, CAN)),
        ("select", lambda: session.send(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, LDS1_AID), "SELECT")),
        ("ca", lambda: perform_chip_authentication(session, choice)),
        ("aa", lambda: perform_active_authentication(session, spki)),
    ]


def _pair(runs: int) -> dict[str, list[float]]:
    group = STANDARDIZED[13]
    sk_ic = group.random_private(os.urandom)
    protocol = ca_protocol("0.4.0.127.0.7.2.2.3.2.2")
    choice = ChipAuthChoice(protocol, ChipAuthPublicKey(group, group.encoded_public_key(sk_ic)))
    aa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    spki = aa_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    out: dict[str, list[float]] = {"pace": [], "ca": [], "aa": [], "apdus": []}
    for _ in range(runs):
        timed = _TimedCard(_card(ChipAuthApplet(protocol, group, sk_ic), ActiveAuthApplet(aa_key)).execute)
        session = CardSession(CallableTransport(timed))
        for name, step in _steps(session, choice, spki):
            card_before, t = timed.cpu, time.process_time()
            step()
            host = (time.process_time() - t) - (timed.cpu - card_before)
            if name in out:
                out[name].append(host * 1000)
        out["apdus"].append(float(session.stats.apdus))
    return out


def _line(label: str, samples: list[float]) -> None:
    print(f"{label:<48} median {statistics.median(samples):7.2f} ms   min {min(samples):7.2f} ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    print(f"host CPU time of the reader's side, {args.runs} runs (target: PACE ≤ 20 ms)")
    _line("PACE-ECDH-GM-AES-128 brainpoolP256r1, G.1 replay", _replay_ms(args.runs))
    pair = _pair(args.runs)
    _line("PACE-ECDH-GM-AES-128 brainpoolP256r1, CAN, pair", pair["pace"])
    _line("CA ECDH brainpoolP256r1 AES-128 (+ confirmation)", pair["ca"])
    _line("AA RSA-2048 ISO/IEC 9796-2 (SHA-1)", pair["aa"])
    print(f"APDUs for PACE + SELECT + CA + AA: {statistics.median(pair['apdus']):.0f}")


if __name__ == "__main__":
    main()

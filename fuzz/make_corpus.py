"""``python -m fuzz.make_corpus``: (re)write the seed corpora ``fuzz/corpus/<target>/`` from the simulated
card (sims/) — small, valid inputs from which the fuzzer mutates.  The files are kept in the repository;
run this only when a format changes.  Personal data in them is the simulated citizens' (sims/profiles)."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

from PIL import Image

from fuzz.targets import FULL_READ_FILES, TARGETS
from reader import tlv
from reader.apdu import CommandAPDU, ResponseAPDU
from reader.crypto import CipherAlg
from reader.sm import SecureMessaging
from reader.transports import pn532_frames as f
from sims import lds_build
from sims.personalize import card_image
from sims.pki import TestPKI

CORPUS = Path(__file__).resolve().parent / "corpus"


def _tiny_dg2() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (24, 32), (90, 60, 40)).save(buf, "JPEG", quality=30)
    return lds_build.build_dg2(buf.getvalue(), 24, 32)


def _sm_seeds() -> list[bytes]:
    card = SecureMessaging.aes(CipherAlg.AES128, bytes(range(16)), bytes(range(16, 32)), 0)
    tdes = SecureMessaging.tdes(bytes(range(16)), bytes(range(16, 32)), b"\x00" * 8)
    out = []
    for mode, sm in ((0, card), (1, tdes)):
        wrapped = sm.protect_response(ResponseAPDU(b"\x60\x14\x5f\x01\x04\x30\x31\x30\x37", 0x9000))
        out.append(bytes([mode]) + wrapped.to_bytes())
        objects = wrapped.data[: wrapped.data.index(b"\x8e\x08")]
        out.append(bytes([mode | 2]) + objects + b"\x90\x00")
    out.append(bytes([2]) + tlv.encode(0x99, b"\x90\x00") + b"\x90\x00")
    return out


def seeds() -> dict[str, list[bytes]]:
    image = card_image("default")
    files = {**image.mf_files, **image.lds_files}
    files["DG2"] = _tiny_dg2()
    pki = TestPKI.generate(seed=b"fuzz-seeds", with_crl=True)
    p = image.profile
    frames = [
        f.answer_frame(bytes([0x03, 0x32, 0x01, 0x06, 0x07])),
        f.answer_frame(bytes.fromhex("4b01010004200408112233440578807002")),
        f.answer_frame(bytes([0x41, 0x00, 0x90, 0x00])),
        b"\x00\x00\xff\x00\xff\x00",
        b"\x00\x00\xff\x01\xff\x7f\x81\x00",
    ]
    return {
        "tlv": [files["DG13"][:200], files["EF.COM"], files["DG14"]],
        "apdu": [
            b"\x90\x00",
            b"\x6a\x82",
            CommandAPDU(0, 0xB0, 0, 0, ne=256).to_bytes(),
            CommandAPDU(0, 0xA4, 2, 12, b"\x01\x1e", ne=0).to_bytes(),
            CommandAPDU(0, 0xB1, 0, 0, b"\x54\x02\x00\x00", ne=65536, extended=True).to_bytes(),
        ],
        "sm_unwrap": _sm_seeds(),
        "ef_com": [files["EF.COM"]],
        "card_access": [files["EF.CardAccess"]],
        "dg1": [files["DG1"]],
        "dg2": [files["DG2"]],
        "dg13": [files["DG13"]],
        "dg14": [files["DG14"]],
        "dg15": [files["DG15"]],
        "sod": [files["EF.SOD"]],
        "cms": [files["EF.SOD"], pki.master_list()],
        "master_list": [pki.master_list(), pki.master_list(signed=False)],
        "crl": [pki.crl or b""],
        "mrz_text": ["\n".join(p.mrz_lines).encode()],
        "qr_payload": [p.qr_payload.encode()],
        "pn532_frames": frames,
        "full_read": [bytes([i]) + files[name] for i, name in enumerate(FULL_READ_FILES) if name != "DG2"],
    }


def main() -> None:
    all_seeds = seeds()
    assert set(all_seeds) == set(TARGETS)
    for name, items in all_seeds.items():
        folder = CORPUS / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for data in items:
            (folder / hashlib.sha256(data).hexdigest()[:32]).write_bytes(data)
    print(f"wrote {sum(map(len, all_seeds.values()))} seeds for {len(all_seeds)} targets in {CORPUS}")


if __name__ == "__main__":
    main()

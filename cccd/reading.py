"""The command line's chip read (``cccd read``, ``cccd demo``, ``cccd verify-dump``): a PC/SC reader, a PN532
on a serial port, or a simulated card in-process; raw dumps with their evidence; the short text report.

The read itself is the kiosk's (:func:`kiosk.runtime.chip.read_with_transport`); this module only adds the
simulated cards (the composition root is the one package that may use :mod:`sims`) and the files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kiosk.runtime.chip import open_serial_transport, open_transport, reaching_the_card, read_with_transport
from reader.access.bac import BACKeyInput
from reader.access.control import AccessMode
from reader.chipreport import ChipReport
from reader.pki.errors import PKIError
from reader.pki.trust import CSCAStore
from reader.transports import CallableTransport
from reader.transports.base import Transport
from sims.people import list_profiles
from sims.personalize import card_image

EVIDENCE_FILE = "evidence.json"


class UsageError(ValueError):
    """A command-line input that cannot be used (a missing or broken trust folder, an output path that cannot
    be written, an unknown simulated profile): exit 2, checked before the card is touched."""


def load_trust(path: Path) -> CSCAStore:
    """The CSCA store of ``--trust DIR``; :class:`UsageError` when the folder is missing or a file in it
    cannot be used (a corrupted master list, a certificate that does not parse): a trust anchor the operator
    named is never silently dropped."""
    try:
        store = CSCAStore.from_folder(path)
    except PKIError as exc:
        raise UsageError(f"--trust: {exc}") from None
    if store.problems:
        bad = "; ".join(f"{p.source}: {p.reason}" for p in store.problems[:5])
        raise UsageError(f"--trust: unusable file(s) in {path}: {bad}")
    return store


def check_output_paths(save_dump: Path | None, photo_out: Path | None) -> None:
    """``--save-dump DIR`` / ``--photo-out FILE`` must be writable — checked before the card is read."""
    if save_dump is not None:
        try:
            save_dump.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise UsageError(f"--save-dump: cannot create {save_dump} ({exc.strerror})") from None
        if not save_dump.is_dir() or not os.access(save_dump, os.W_OK | os.X_OK):
            raise UsageError(f"--save-dump: {save_dump} is not a writable directory")
    if photo_out is not None:
        parent = photo_out.parent
        if photo_out.is_dir() or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise UsageError(f"--photo-out: cannot write {photo_out} (no such writable folder)")


def check_sim_profile(name: str | None) -> None:
    """``--sim NAME`` names a shipped simulated card."""
    if name is not None and name not in list_profiles():
        raise UsageError(f"no simulated profile '{name}' (cccd sim profiles: {', '.join(list_profiles())})")


def read_card(
    *,
    reader_name: str | None,
    sim_profile: str | None,
    key: BACKeyInput | None,
    trust_dir: Path | None,
    can: str | None = None,
    access: AccessMode = AccessMode.AUTO,
    clone: str | None = None,
    serial_port: str | None = None,
    baudrate: int = 115200,
) -> ChipReport:
    """Read from a PC/SC reader, a PN532 on ``serial_port``, or a simulated card in-process (trusting
    its test CSCA); ``clone``: a clone variant of the simulated card (``sims.CLONE_VARIANTS``)."""
    notes: list[str] = []
    store = load_trust(trust_dir) if trust_dir else CSCAStore()
    if trust_dir:
        notes.append(f"trust store: {trust_dir}")
    if sim_profile is not None:
        image = card_image(sim_profile)
        image.add_test_csca_to(store)
        notes.append(f"simulated card '{sim_profile}': its test CSCA is trusted for this read")
        if clone:
            notes.append(f"simulated clone '{clone}': the data of '{sim_profile}' on a chip without its keys")
        card = image.new_card(clone=clone)
        transport: Transport = CallableTransport(card.execute, name=f"sim:{sim_profile}")
    else:
        with reaching_the_card():
            if serial_port is not None:
                transport = open_serial_transport(serial_port, baudrate=baudrate)
                notes.append(f"serial reader: {transport.name}")
            else:
                assert reader_name is not None
                transport = open_transport(reader_name)
    return read_with_transport(transport, key, store, notes, can=can, access=access)


def _write_private(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(content)


def save_dump(raw: Mapping[str, bytes], directory: Path, evidence: Mapping[str, Any] | None = None) -> None:
    """One raw file per EF, named ``EF.COM``, ``EF.SOD``, ``EF.CardAccess``, ``DG1`` …, plus
    ``evidence.json`` (the AA challenge and signature, CA and PACE(-CAM) records) — all mode 0600, in a
    0700 directory (personal data)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    for name, content in raw.items():
        _write_private(directory / name, content)
    if evidence is not None:
        text = json.dumps({"format": "cccd-evidence/1", **evidence}, indent=2, sort_keys=True)
        _write_private(directory / EVIDENCE_FILE, text.encode())


def write_photo(report: ChipReport, path: Path) -> bool:
    """The chip photo to ``path`` (mode 0600); False when the chip gave none."""
    photo = report.photo
    if photo is None:
        return False
    _write_private(path, photo)
    return True


def render_text(chip_report: ChipReport) -> str:
    """A short human-readable report (a view of :meth:`reader.chipreport.ChipReport.to_json`)."""
    report = chip_report.to_json()
    doc = report.get("document", {})
    personal = doc.get("personal") or {}
    reasons = f"  ({', '.join(report['reasons'])})" if report["reasons"] else ""
    lines = [
        f"verdict:        {report['verdict']}{reasons}",
        f"access:         {_access_line(report['access'])}",
        f"passive auth:   {report['checks']['passive_auth']['result']}",
        f"anti-clone:     {_anticlone_line(report['checks'])}",
        f"ID number:      {doc.get('id_number') or '-'}",
        f"name:           {personal.get('full_name') or '-'}",
        f"birth date:     {personal.get('date_of_birth') or '-'}",
    ]
    photo = doc.get("photo")
    if photo:
        size = f"{photo['width']}×{photo['height']}"
        lines.append(f"photo:          {photo['format']} {size}, {photo['bytes']} bytes")
    s = report["stats"]
    link = f"{s['apdus']} APDUs, {s['bytes_in']} B in, {s['bytes_out']} B out, {s['elapsed_ms']} ms"
    lines.append(f"link:           {link}")
    lines += [f"note:           {n}" for n in report.get("notes", [])]
    lines += [f"finding:        {_finding_line(f)}" for f in report.get("findings", [])]
    return "\n".join(lines)


def _finding_line(finding: dict[str, Any]) -> str:
    """``CODE subject (detail)`` of a reader.findings.Finding (docs/chip-faults.md)."""
    parts = [str(finding.get("code")), finding.get("subject") or ""]
    detail = finding.get("detail")
    return " ".join(p for p in parts if p) + (f" ({detail})" if detail else "")


def _access_line(access: dict[str, Any]) -> str:
    line = f"{access['method']}" + (f" — {access['protocol']}" if access.get("protocol") else "")
    if access.get("downgraded"):
        line += f"  [DOWNGRADED from PACE: {access.get('downgrade_reason')}]"
    return line


def _anticlone_line(checks: dict[str, Any]) -> str:
    parts = [f"proof {checks.get('anticlone', {}).get('method', 'none')}"]
    for key, label in (("chip_auth", "CA"), ("pace_cam", "PACE-CAM"), ("active_auth", "AA")):
        c = checks.get(key) or {}
        if c.get("result") not in (None, "not_performed"):
            reason = f" ({c['reason']})" if c.get("reason") else ""
            parts.append(f"{label} {c['result']}{reason}")
    return "; ".join(parts)

"""No output of any command can carry personal data (issue 12, "Privacy").

Every headless scenario of every profile runs as ``cccd kiosk -v`` at DEBUG (``CCCD_LOG_LEVEL``), every
record delivered over HTTP to a real ``cccd receiver`` (so httpx logs its request lines — among them the
FHIR conditional update, whose URL carries the 12-digit ID), the receiver also at DEBUG.  Then
stdout, stderr and every log file are scanned for each simulated person's ID numbers, name, MRZ lines,
CAN and for JPEG bytes.
"""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.connectors.fhir import SID_NATIONAL_ID
from kiosk.connectors.webhooks import new_webhook_secret
from kiosk.keys import KeyStore
from kiosk.logsafe import HANDLER_NAME, LibraryFilter, configure_logging, install, redact
from sims.people import list_profiles, load_profile

REPO = Path(__file__).resolve().parents[2]
JPEG_MARKERS = (b"\xff\xd8\xff", b"/9j/", b"\\xff\\xd8")


def _secrets_of_every_person() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in list_profiles():
        p = load_profile(name)
        found[f"{name} ID"] = p.id_number
        if p.old_id_number:
            found[f"{name} old ID"] = p.old_id_number
        found[f"{name} name"] = p.full_name
        found[f"{name} surname+given"] = p.given_names
        for i, line in enumerate(p.mrz_lines):
            found[f"{name} MRZ line {i + 1}"] = line
        found[f"{name} CAN"] = p.can
        found[f"{name} document number"] = p.document_number
    return found


def _scan(text: bytes, where: str) -> list[str]:
    leaks = []
    for what, value in _secrets_of_every_person().items():
        if value and value.encode() in text:
            leaks.append(f"{where}: {what}")
    leaks += [f"{where}: JPEG bytes {m!r}" for m in JPEG_MARKERS if m in text]
    return leaks


@pytest.mark.slow
def test_every_scenario_at_debug_prints_no_personal_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    KeyStore.open(data / "keys")
    env = dict(os.environ, CCCD_WEBHOOK_SECRET=new_webhook_secret(), CCCD_DATA_DIR=str(data),
               CCCD_LOG_LEVEL="DEBUG", CCCD_LOG_FORMAT="text",
               CCCD_RECEIVER_TOKEN="privacy-test-token-0123456789")  # fmt: skip
    env.pop("PYTHONWARNINGS", None)
    receiver = subprocess.Popen(
        [sys.executable, "-m", "cccd", "receiver", "--port", "0", "--db", str(tmp_path / "r.db"), "-v"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert receiver.stdout is not None
        url = receiver.stdout.readline().decode().split()[-1]
        kiosk = subprocess.run(
            [sys.executable, "-m", "cccd", "kiosk", "--headless", "--sim", "--profile", "all", "--scenario",
             "all", "--face", "ground-truth", "-v", "--deliver-to", url],
            cwd=REPO, env=env, capture_output=True, timeout=600,
        )  # fmt: skip
    finally:
        receiver.terminate()
        r_out, r_err = receiver.communicate(timeout=30)
    assert kiosk.returncode == 0, kiosk.stderr[-3000:]
    assert b"HTTP Request" not in kiosk.stderr or b"[redacted]" in kiosk.stderr
    assert b" DEBUG " in kiosk.stderr  # DEBUG really was on
    leaks = _scan(kiosk.stdout, "kiosk stdout") + _scan(kiosk.stderr, "kiosk stderr")
    leaks += _scan(r_out, "receiver stdout") + _scan(r_err, "receiver stderr")
    for log in [*tmp_path.rglob("*.log"), *tmp_path.rglob("*.txt")]:
        leaks += _scan(log.read_bytes(), str(log))
    assert not leaks, leaks


def test_httpx_request_line_cannot_print_the_id(caplog: pytest.LogCaptureFixture) -> None:
    install()
    url = "http://127.0.0.1:8787/fhir/Patient?identifier=" + SID_NATIONAL_ID + "|079303001234"
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx").setLevel(logging.DEBUG)  # even if a deployer turns it on
    logging.getLogger("httpx").info('HTTP Request: %s %s "%s %d %s"', "PUT", url, "HTTP/1.1", 201, "Created")
    logging.getLogger("httpcore.http11").debug(
        "send_request_body.started request=%r", b"\xff\xd8\xff\xe0JFIF" * 9
    )
    logging.getLogger("kiosk.flow").info("can=%s", "123456")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "079303001234" not in text and "identifier=" not in text and "JFIF" not in text
    assert "123456" not in text
    assert not LibraryFilter().filter(caplog.records[0])  # and library INFO never reaches our handlers


def test_redact_tokens_and_blobs() -> None:
    jws = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIwMUgiLCJuYW1lIjoiTmd1eWVuIn0." + "c2lnbmF0dXJl" * 3
    assert jws not in redact(f"header cccd-record-jws: {jws}", library=False)
    blob = "QUJD" * 30
    assert blob not in redact(f"body {blob}")


def test_redact() -> None:
    assert redact("GET /fhir/Patient?identifier=x|079303001234 200") == "GET /fhir/Patient?[redacted] 200"
    assert "001099000001" not in redact("id 001099000001 seen", library=False)
    assert redact("nothing personal here", library=False) == "nothing personal here"


def test_configure_logging_installs_one_filtered_handler() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        configure_logging(logging.INFO)
        configure_logging(logging.INFO)
        ours = [h for h in root.handlers if h.get_name() == HANDLER_NAME]
        assert len(ours) == 1 and any(isinstance(f, LibraryFilter) for f in ours[0].filters)
    finally:
        for h in list(root.handlers):
            if h not in before:
                root.removeHandler(h)


def test_dump_directory_is_0700(tmp_path: Path) -> None:
    from cccd.reading import save_dump

    save_dump({"DG1": b"x"}, tmp_path / "dump", {"a": 1})
    assert stat.S_IMODE((tmp_path / "dump").stat().st_mode) == 0o700

"""The receiver's hardening (issue 12), each against a real uvicorn on a free loopback port."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from kiosk.connectors.fhir import RECORD_JWS_HEADER, SID_NATIONAL_ID, patient_resource
from kiosk.connectors.webhooks import signed_headers
from kiosk.evidence import build_evidence, sign_evidence
from kiosk.keys import KeyStore, RecordSigner
from kiosk.profiles import Profile
from tests.helpers.delivery import TEST_ID, TEST_NAME, make_record
from tests.receiver.conftest import AUTH, Running, signed_envelope


def _raw(port: int, data: bytes, *, read: bool = True, timeout: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        if not read:
            return b""
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks):
                    break
        except TimeoutError:
            pass
        return b"".join(chunks)


def _status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else 0


# --- body cap, signature first, timeouts, bounded connections, backlog ----------------------------------


def test_an_oversized_declared_body_is_refused_before_it_is_sent(start: Callable[..., Running]) -> None:
    rx = start(max_body=1000)
    head = signed_headers(b"k" * 32, "01ABC", int(time.time()), b"")
    lines = "".join(f"{k}: {v}\r\n" for k, v in head.items())
    request = f"POST /webhooks/bank HTTP/1.1\r\nhost: x\r\n{lines}content-length: 5000000\r\n\r\n".encode()
    assert _status(_raw(rx.port, request)) == 413  # answered without a body byte sent


def test_a_streamed_body_is_cut_at_the_cap(start: Callable[..., Running]) -> None:
    rx = start(max_body=1000)

    def chunks() -> Iterator[bytes]:  # chunked transfer: no content-length to refuse up front
        for _ in range(100):
            yield b"x" * 100

    signed = signed_headers(b"k" * 32, "01ABC", int(time.time()), b"")
    r = httpx.post(rx.url + "/webhooks/bank", content=chunks(), headers=signed)
    assert r.status_code == 413


def test_the_signature_headers_are_checked_before_the_body_is_read(rx: Running) -> None:
    request = b"POST /webhooks/bank HTTP/1.1\r\nhost: x\r\ncontent-length: 1000000\r\n\r\n"
    assert _status(_raw(rx.port, request)) == 401  # no body sent; no webhook headers: refused at once
    stale = signed_headers(b"k" * 32, "01ABC", int(time.time()) - 3600, b"")
    lines = "".join(f"{k}: {v}\r\n" for k, v in stale.items())
    assert _status(_raw(rx.port, f"POST /webhooks/bank HTTP/1.1\r\nhost: x\r\n{lines}"
                                 "content-length: 100000\r\n\r\n".encode())) == 401  # fmt: skip


def test_a_stalled_body_times_out(start: Callable[..., Running]) -> None:
    rx = start(body_timeout_seconds=0.5)
    signed = signed_headers(b"k" * 32, "01ABC", int(time.time()), b"")
    lines = "".join(f"{k}: {v}\r\n" for k, v in signed.items())
    t0 = time.monotonic()
    reply = _raw(rx.port, f"POST /webhooks/bank HTTP/1.1\r\nhost: x\r\n{lines}content-length: 50\r\n\r\n"
                          "only-part".encode())  # fmt: skip
    assert _status(reply) == 408 and time.monotonic() - t0 < 4


def test_idle_keep_alive_connections_are_closed(start: Callable[..., Running]) -> None:
    rx = start(keep_alive_seconds=1)
    with socket.create_connection(("127.0.0.1", rx.port), timeout=5) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        t0, received = time.monotonic(), b""
        while chunk := s.recv(4096):  # until the server closes the idle connection
            received += chunk
        assert received.startswith(b"HTTP/1.1 200") and received.endswith(b'{"ok":true}')
        assert time.monotonic() - t0 < 4


def test_connections_beyond_the_limit_get_503(start: Callable[..., Running]) -> None:
    rx = start(max_connections=2)
    held = [socket.create_connection(("127.0.0.1", rx.port), timeout=5) for _ in range(2)]
    try:
        time.sleep(0.3)
        assert _status(_raw(rx.port, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")) == 503
    finally:
        for s in held:
            s.close()
    time.sleep(0.3)
    assert httpx.get(rx.url + "/healthz").status_code == 200


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2) to read the listen backlog")
def test_the_listen_backlog_is_the_configured_one(start: Callable[..., Running]) -> None:
    rx = start(backlog=777)
    out = subprocess.run(["ss", "-ltnH", f"sport = :{rx.port}"], capture_output=True, text=True).stdout
    assert out.split()[2] == "777"  # Send-Q of a listening socket is its backlog


# --- rejected requests counted, not stored; authenticated reads --------------------------------------------


def test_rejected_requests_are_counted_not_stored(
    rx: Running, keys: KeyStore, profiles: dict[str, Profile]
) -> None:
    _, env, _ = signed_envelope(keys, profiles["bank"])
    odd_id = "01REJECTED" + "Z" * 100
    bad = httpx.post(rx.url + "/webhooks/bank", json=env,
                     headers={"webhook-id": odd_id, "webhook-timestamp": str(int(time.time())),
                              "webhook-signature": "v1,AAAA"})  # fmt: skip
    assert bad.status_code == 401
    huge = httpx.post(rx.url + "/webhooks/bank", json=env, headers={"webhook-id": "x" * 70000})
    assert huge.status_code in (400, 401, 431)
    metrics = httpx.get(rx.url + "/metrics", headers=AUTH).text
    assert 'outcome="rejected 401"' in metrics
    assert rx.store.stats()["deliveries"] == 0
    rx.store.conn.execute("PRAGMA wal_checkpoint(FULL)")
    for suffix in ("", "-wal"):
        path = str(rx.store.path) + suffix
        if os.path.exists(path):
            with open(path, "rb") as f:
                assert odd_id.encode() not in f.read()


@pytest.mark.parametrize(
    "path", ["/stats", "/metrics", f"/fhir/Patient?identifier={SID_NATIONAL_ID}|{TEST_ID}"]
)
def test_reads_need_the_bearer_token(rx: Running, path: str) -> None:
    assert httpx.get(rx.url + path).status_code == 401
    assert (
        httpx.get(rx.url + path, headers={"authorization": "Bearer wrong-token-wrong-token"}).status_code
        == 401
    )
    assert httpx.get(rx.url + path, headers={"authorization": AUTH["authorization"][7:]}).status_code == 401
    assert httpx.get(rx.url + path, headers=AUTH).status_code == 200


# --- the envelope against the signed claims; one record per verification ----------------------------------


@pytest.mark.parametrize(
    ("profile", "data"),
    [
        ("lodging", {"guest_declaration": {"full_name": "Trần Văn Khác", "id_number": TEST_ID}}),
        ("lodging", {"guest_declaration": {"full_name": TEST_NAME, "id_number": "001099000001"}}),
        ("hospital", {"patient": {"HO_TEN": TEST_NAME, "SO_CCCD": "001099000001"}}),
        ("bank", {"subject": {"full_name": "Trần Văn Khác"}}),
        ("public_service", {"form": {"fields": {"address": "somewhere else"}}}),
        ("bank", {"status": "verified", "profile": "lodging"}),
    ],
)
def test_an_envelope_contradicting_its_signed_record_is_refused(
    rx: Running, keys: KeyStore, profiles: dict[str, Profile], profile: str, data: dict[str, object]
) -> None:
    vid, env, _ = signed_envelope(keys, profiles[profile])
    env["data"].update(data)
    assert rx.post("/webhooks/bank", env, vid).status_code == 400
    assert rx.store.stats()["deliveries"] == 0


@pytest.mark.parametrize(
    ("profile", "data"),
    [
        ("lodging", {"guest_declaration": {"full_name": TEST_NAME, "id_number": TEST_ID}}),
        ("hospital", {"patient": {"HO_TEN": TEST_NAME, "SO_CCCD": TEST_ID}}),
        ("bank", {"subject": {"full_name": TEST_NAME, "id_number": TEST_ID}}),
    ],
)
def test_matching_envelopes_are_accepted(
    rx: Running, keys: KeyStore, profiles: dict[str, Profile], profile: str, data: dict[str, object]
) -> None:
    vid, env, _ = signed_envelope(keys, profiles[profile], **data)
    assert rx.post("/webhooks/lodging", env, vid).json()["status"] == "stored"


def test_data_that_is_not_an_object_gets_a_reply(
    rx: Running, keys: KeyStore, profiles: dict[str, Profile]
) -> None:
    vid, _, _ = signed_envelope(keys, profiles["bank"])
    for data in ([1, 2], "text", None, 7):
        assert rx.post("/webhooks/bank", {"type": "t", "data": data}, vid).status_code == 400
    assert rx.post("/webhooks/bank", b"[1]", vid).status_code == 400
    assert rx.post("/webhooks/bank", b"\xff\xfe not json", vid).status_code == 400
    assert rx.post("/webhooks/bank", b"[" * 100000 + b"]" * 100000, vid).status_code == 400


def test_one_record_per_verification_whatever_the_webhook_id_or_path(
    rx: Running, keys: KeyStore, profiles: dict[str, Profile]
) -> None:
    vid, env, _ = signed_envelope(keys, profiles["bank"])
    assert rx.post("/webhooks/bank", env, vid).json()["status"] == "stored"
    assert rx.post("/webhooks/bank", env, vid + ":again").status_code == 400  # suffixed webhook-id
    assert rx.post("/webhooks/his", env, vid).json()["status"] == "duplicate"  # another endpoint
    for path in ("/webhooks/../stats", "/webhooks/bank/../his", "/webhooks/anything", "/webhooks/bank/x",
                 "/webhooks/%2e%2e", "/webhooks/", "/webhooks//bank"):  # fmt: skip
        raw = _raw(rx.port, f"POST {path} HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n".encode())
        assert _status(raw) in (404, 405), path
    assert rx.store.stats()["deliveries"] == 1 and rx.store.stats()["duplicates"] == 1


def test_a_fhir_write_needs_the_signed_record(
    rx: Running, keys: KeyStore, profiles: dict[str, Profile]
) -> None:
    subject = {"id_number": TEST_ID, "full_name": TEST_NAME, "sex": "F", "birth_date": "2003-06-15"}
    path = f"/fhir/Patient?identifier={SID_NATIONAL_ID}|{TEST_ID}"
    record = dict(make_record(profiles["hospital"]).document)
    vid = record["verification_id"]
    jws = RecordSigner(keys, "urn:test").sign(record, "aud", time.time())
    assert rx.post(path, patient_resource(subject), vid, "PUT").status_code == 400  # no JWS
    assert (
        rx.post(path, patient_resource(subject), vid, "PUT", {RECORD_JWS_HEADER: "a.b.c"}).status_code == 401
    )
    other = dict(subject, id_number="001099000001")
    other_path = f"/fhir/Patient?identifier={SID_NATIONAL_ID}|001099000001"
    assert (
        rx.post(other_path, patient_resource(other), vid, "PUT", {RECORD_JWS_HEADER: jws}).status_code == 400
    )
    renamed = patient_resource(dict(subject, full_name="Trần Văn Khác"))
    assert rx.post(path, renamed, vid, "PUT", {RECORD_JWS_HEADER: jws}).status_code == 400
    assert rx.post(path, patient_resource(subject), vid, "PUT", {RECORD_JWS_HEADER: jws}).status_code == 201
    assert rx.store.stats()["patients"] == 1


# --- files, tracebacks ------------------------------------------------------------------------------------


def test_database_files_are_0600(rx: Running, keys: KeyStore, profiles: dict[str, Profile]) -> None:
    vid, env, _ = signed_envelope(keys, profiles["bank"])
    assert rx.post("/webhooks/bank", env, vid).status_code == 200
    for suffix in ("", "-wal", "-shm"):
        path = str(rx.store.path) + suffix
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, suffix


def test_evidence_images_must_be_base64_of_the_signed_hashes(
    rx: Running, keys: KeyStore, profiles: dict[str, Profile]
) -> None:
    vid, env, _ = signed_envelope(keys, profiles["bank"], biometric_evidence={"live_image": "x"})
    assert rx.post("/webhooks/bank", env, vid).status_code == 400
    fake = {"data": base64.b64encode(b"face").decode()}
    vid, env, _ = signed_envelope(
        keys, profiles["bank"], biometric_evidence={"live_image": fake, "chip_image": fake}
    )
    assert rx.post("/webhooks/bank", env, vid).status_code == 422


def test_a_refused_evidence_object_is_not_echoed(
    rx: Running, keys: KeyStore, profiles: dict[str, Profile]
) -> None:
    """The reason names where the evidence object is wrong, never the value there (here the full ID number
    where the masked one belongs, which the schema's message would quote)."""
    vid, env, record = signed_envelope(keys, profiles["bank"])
    bad = build_evidence(record, keys.active().kid)
    bad["document"]["number_masked"] = TEST_ID
    env["data"]["evidence_jws"] = sign_evidence(bad, keys)
    r = rx.post("/webhooks/bank", env, vid)
    assert r.status_code == 400 and "/document/number_masked" in r.text
    assert TEST_ID not in r.text
    env["data"]["evidence_jws"] = sign_evidence(build_evidence(record, keys.active().kid), keys)
    assert rx.post("/webhooks/bank", env, vid).json()["status"] == "stored"


def test_garbage_and_disconnects_leave_no_traceback(rx: Running, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    for junk in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 50, b"GARBAGE\r\n\r\n",
                 b"GET / HTTP/9.9\r\n\r\n", b"GET /healthz HTTP/1.1\r\nbad header line\r\n\r\n"):  # fmt: skip
        _raw(rx.port, junk)
    signed = signed_headers(b"k" * 32, "01ABC", int(time.time()), b"")
    lines = "".join(f"{k}: {v}\r\n" for k, v in signed.items())
    head = f"POST /webhooks/bank HTTP/1.1\r\nhost: x\r\n{lines}content-length: 500\r\n\r\n"
    _raw(rx.port, head.encode() + b"abc", read=False)  # the client leaves mid-body
    time.sleep(0.3)
    assert httpx.get(rx.url + "/healthz").status_code == 200
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    assert "Traceback" not in caplog.text


def test_a_write_refused_before_its_body_is_read_closes_the_connection(rx: Running) -> None:
    with socket.create_connection(("127.0.0.1", rx.port), timeout=5) as s:
        s.sendall(b"POST /webhooks/bank HTTP/1.1\r\nhost: x\r\ncontent-length: 1000000\r\n\r\n")
        received = b""
        while chunk := s.recv(4096):  # the server answers and closes: it never reads the megabyte
            received += chunk
    assert _status(received) == 401 and b"connection: close" in received.lower()

"""Mutual TLS against a real HTTPS server on loopback that requires a client certificate (RFC 8446 §4.3.2):
the kiosk's certificate gets through; no certificate, a certificate from another CA, or a server the
configured CA did not sign are failures the outbox retries — never a silent success."""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.connectors.base import HttpConnector
from kiosk.profiles import ConnectorSettings, TLSSettings

SECRET = "whsec_" + "A" * 32


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, issuer_key: ec.EllipticCurvePrivateKey,
          *, ca: bool = False, server: bool = False) -> x509.Certificate:  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    b = (
        x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )  # fmt: skip
    if server:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        b = b.add_extension(san, critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey | None = None) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path.with_suffix(".key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return path


class _PKI:
    def __init__(self, d: Path) -> None:
        gen = ec.generate_private_key
        self.ca_key, self.other_key = gen(ec.SECP256R1()), gen(ec.SECP256R1())
        ca = _cert("Receiver CA", self.ca_key, "Receiver CA", self.ca_key, ca=True)
        other = _cert("Other CA", self.other_key, "Other CA", self.other_key, ca=True)
        server_key, kiosk_key, rogue_key = gen(ec.SECP256R1()), gen(ec.SECP256R1()), gen(ec.SECP256R1())
        self.ca = _write(d / "ca.pem", ca)
        self.other_ca = _write(d / "other-ca.pem", other)
        self.server = _write(
            d / "server.pem",
            _cert("127.0.0.1", server_key, "Receiver CA", self.ca_key, server=True),
            server_key,
        )
        self.kiosk = _write(
            d / "kiosk.pem", _cert("kiosk-01", kiosk_key, "Receiver CA", self.ca_key), kiosk_key
        )
        self.rogue = _write(
            d / "rogue.pem", _cert("kiosk-01", rogue_key, "Other CA", self.other_key), rogue_key
        )


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        peer = self.connection.getpeercert()  # type: ignore[attr-defined]
        self.server.peers.append(dict(x[0] for x in peer["subject"])["commonName"])  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[_PKI, str, list[str]]]:
    pki = _PKI(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.server, pki.server.with_suffix(".key"))
    ctx.load_verify_locations(pki.ca)
    ctx.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: no client certificate, no connection
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.peers = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield pki, f"https://127.0.0.1:{server.server_address[1]}/webhooks/test", server.peers  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


def _connector(url: str, tls: TLSSettings, monkeypatch: pytest.MonkeyPatch) -> HttpConnector:
    monkeypatch.setenv("CCCD_TEST_MTLS_SECRET", SECRET)
    settings = ConnectorSettings(
        "test", "webhook", url, 5.0, 2.0, "urn:test", "env:CCCD_TEST_MTLS_SECRET", tls
    )
    return HttpConnector(settings, None, None)  # type: ignore[arg-type]


def test_the_kiosk_certificate_gets_through(tls_server: tuple[_PKI, str, list[str]],
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    pki, url, peers = tls_server
    tls = TLSSettings(pki.kiosk, pki.kiosk.with_suffix(".key"), pki.ca)
    result, response = _connector(url, tls, monkeypatch).send("POST", url, {"a": 1}, "m", "i", 1.8e9, "t")
    assert response is not None and response.status_code == 200, result
    assert result.outcome == "sent"
    assert peers == ["kiosk-01"]


@pytest.mark.parametrize("case", ["no_client_cert", "client_cert_of_another_ca", "server_of_another_ca"])
def test_mutual_tls_failures_are_retried_not_accepted(tls_server: tuple[_PKI, str, list[str]], case: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    pki, url, peers = tls_server
    tls = {
        "no_client_cert": TLSSettings(None, None, pki.ca),
        "client_cert_of_another_ca": TLSSettings(pki.rogue, pki.rogue.with_suffix(".key"), pki.ca),
        "server_of_another_ca": TLSSettings(pki.kiosk, pki.kiosk.with_suffix(".key"), pki.other_ca),
    }[case]
    result, response = _connector(url, tls, monkeypatch).send("POST", url, {"a": 1}, "m", "i", 1.8e9, "t")
    assert response is None
    assert result.outcome == "retry", result
    assert peers == []

"""`cccd sim serve --from-dump` on pcscd's virtual reader, read by `cccd read` in another process (the
replay tests); and a ``cryptography`` private key written as the PKCS#8 PEM those commands load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

REPO = Path(__file__).resolve().parents[2]


def pkcs8_pem(key: object, path: Path) -> Path:
    """``key`` (a ``cryptography`` private key) written to ``path`` as unencrypted PKCS#8 PEM."""
    assert key is not None
    path.write_bytes(
        key.private_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return path


def serve_dump_and_read(dump: Path, trust: Path, can: str, *, ca_key: Path, aa_key: Path) -> dict[str, Any]:
    """Serve ``dump`` with the chip's keys on vpcd, read it with PACE (CAN) until the card is seen, and
    return the JSON report (the read must succeed).  The server is stopped in every case."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    serve = subprocess.Popen(
        [sys.executable, "-m", "cccd", "sim", "serve", "--from-dump", str(dump), "--ca-key", str(ca_key),
         "--aa-key", str(aa_key)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )  # fmt: skip
    try:
        assert serve.stdout is not None
        line = serve.stdout.readline()
        assert "Virtual PCD 00 00" in line, serve.stderr.read() if serve.stderr else line
        deadline = time.monotonic() + 20
        while True:
            done = subprocess.run(
                [sys.executable, "-m", "cccd", "read", "--reader", "Virtual PCD 00 00", "--can", can,
                 "--access", "pace", "--trust", str(trust), "--json"],
                capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
            )  # fmt: skip
            if done.returncode != 5 or time.monotonic() > deadline:  # 5: the card is not seen yet
                break
            time.sleep(0.2)
        assert done.returncode == 0, done.stderr
        report: dict[str, Any] = json.loads(done.stdout)
        return report
    finally:
        serve.terminate()
        serve.wait(timeout=10)

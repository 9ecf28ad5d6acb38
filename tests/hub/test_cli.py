"""``cccd hub`` administration commands against the real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from cccd.cli import main
from hub.config import HubConfigError, load_settings


def test_admin_commands(
    clean_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["hub", "--dsn", clean_db, "migrate"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert (
        main(["hub", "--dsn", clean_db, "site", "add", "hn-1", "--name", "BV", "--profile", "hospital"]) == 0
    )
    assert main(["hub", "--dsn", clean_db, "enrol-token", "hn-1"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("cccd-enrol-")
    with psycopg.connect(clean_db) as conn:  # only the token's hash is kept
        assert conn.execute("SELECT count(*) FROM enrol_tokens").fetchone() == (1,)
        assert token.encode() not in bytes(
            conn.execute("SELECT token_sha256 FROM enrol_tokens").fetchone()[0]
        )
    monkeypatch.setenv("OP_PW", "correct horse battery")
    assert (
        main(
            [
                "hub",
                "--dsn",
                clean_db,
                "operator",
                "add",
                "an",
                "--role",
                "site_operator",
                "--site",
                "hn-1",
                "--password-env",
                "OP_PW",
            ]
        )
        == 0
    )
    assert main(["hub", "--dsn", clean_db, "kiosks"]) == 0
    assert main(["hub", "--dsn", clean_db, "purge"]) == 0
    assert set(json.loads(capsys.readouterr().out.strip().splitlines()[-1])) >= {"records", "heartbeats"}


@pytest.mark.parametrize(
    "argv",
    [
        ["hub", "enrol-token", "x"],  # no DSN anywhere
        ["hub", "--dsn", "DSN", "site", "add", "BAD ID", "--name", "n", "--profile", "hospital"],
        ["hub", "--dsn", "DSN", "site", "add", "s1", "--name", "n", "--profile", "casino"],
        ["hub", "--dsn", "DSN", "enrol-token", "no-such-site"],
        ["hub", "--dsn", "DSN", "revoke", "no-such-kiosk"],
        ["hub", "--dsn", "DSN", "dead", "retry", "12345"],
    ],
)
def test_bad_arguments_exit_2(
    clean_db: str, argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CCCD_HUB_DSN", raising=False)
    assert main([clean_db if a == "DSN" else a for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hub: ") and "Traceback" not in err


def test_unreachable_database_is_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hub", "--dsn", "postgresql://x:y@127.0.0.1:9/none?connect_timeout=2", "migrate"]) == 1
    assert "cannot reach PostgreSQL" in capsys.readouterr().err


def test_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "hub.toml"
    cfg.write_text('[hub]\ndsn = "postgresql://a/b"\nport = 9000\nlease_seconds = 30\n')
    s = load_settings(cfg, env={})
    assert (s.dsn, s.port, s.lease_seconds) == ("postgresql://a/b", 9000, 30.0)
    assert load_settings(cfg, env={"CCCD_HUB_DSN": "postgresql://c/d"}).dsn == "postgresql://c/d"
    cfg.write_text("[hub]\nport = 'x'\n")
    with pytest.raises(HubConfigError):
        load_settings(cfg, env={})
    cfg.write_text("[hub]\nsurprise = 1\n")
    with pytest.raises(HubConfigError):
        load_settings(cfg, env={})


def test_settings_repr_hides_the_dsn() -> None:
    assert "s3cret" not in repr(load_settings(None, env={"CCCD_HUB_DSN": "postgresql://u:s3cret@h/d"}))

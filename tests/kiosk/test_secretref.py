"""Secret references (kiosk.secretref): env:NAME or file:/path; errors never carry the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.secretref import SecretRefError, read_secret


def test_env_and_file_references(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCCD_TEST_SECRET", " s3cret \n")
    (tmp_path / "k").write_text("from-file\n")
    assert read_secret("env:CCCD_TEST_SECRET") == "s3cret"
    assert read_secret(f"file:{tmp_path / 'k'}") == "from-file"


@pytest.mark.parametrize(("ref", "said"), [
    ("env:CCCD_TEST_MISSING", "environment variable CCCD_TEST_MISSING"),
    ("file:/nonexistent/k", "not readable"), ("plain-value", "env:NAME or file:/path"),
    ("env:CCCD_TEST_EMPTY", "is empty"),
])  # fmt: skip
def test_unusable_references_are_typed_errors(ref: str, said: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCCD_TEST_EMPTY", "  ")
    monkeypatch.delenv("CCCD_TEST_MISSING", raising=False)
    with pytest.raises(SecretRefError, match=said) as info:
        read_secret(ref)
    assert "plain-value" not in str(info.value)

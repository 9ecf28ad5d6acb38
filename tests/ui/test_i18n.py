"""Translation files: Vietnamese and English complete, every key the flow can produce translated."""

from __future__ import annotations

import re
import string

import pytest

from biometrics.hints import Hint
from kiosk.flow.model import Reason
from kiosk.flow.servicefields import service_fields
from kiosk.keyentry import errors as keyentry_errors
from kiosk.profiles import load_profile
from reader.engine import Phase
from ui.i18n import LANGUAGES, Catalog, CatalogError, load_messages
from ui.samples import sample_views
from ui.screens import STATES


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_languages_have_the_same_keys_and_placeholders(catalog: Catalog) -> None:
    vi, en = catalog.messages["vi"], catalog.messages["en"]
    assert set(vi) == set(en)
    for key in vi:
        assert vi[key].strip() and en[key].strip(), key
        assert _fields(vi[key]) == _fields(en[key]), key


def test_vietnamese_is_really_vietnamese(catalog: Catalog) -> None:
    vi = " ".join(catalog.messages["vi"].values())
    assert re.search("[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ]", vi)


def _flow_keys() -> set[str]:
    keys = {f"{s}.title" for s in STATES}
    keys |= {f"fallback.{r.value.lower()}" for r in Reason}
    keys |= {f"reading.phase.{p.value}" for p in Phase}
    keys |= {f"face.{h.value.lower()}" for h in Hint}
    keys |= {f"face.{k}" for k in ("camera_unavailable", "no_face", "engine_error", "retry",
                                   "liveness_retry")}  # fmt: skip
    errors = [c for c in vars(keyentry_errors).values()
              if isinstance(c, type) and issubclass(c, keyentry_errors.KeyEntryError)]  # fmt: skip
    keys |= {f"key_entry.invalid_{c.__name__.lower()}" for c in errors}
    for profile in ("hospital", "bank", "lodging", "public_service"):
        for f in service_fields(load_profile(profile)):
            keys.add(f"service.field.{f.id}")
        for lang in LANGUAGES:
            for sample in sample_views(lang, profile):
                v = sample.view
                keys |= {v.title_key, *(b.label_key for b in v.buttons)}
                keys |= {v.hint_key} if v.hint_key else set()
    keys |= {"consent.required_missing", "consent.unknown_purpose", "language.unsupported",
             "reading.trying_next_key", "key_entry.check_key", "place_card.again",
             "service.invalid"}  # fmt: skip
    return keys


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_flow_key_is_translated(catalog: Catalog, language: str) -> None:
    missing = sorted(k for k in _flow_keys() if not catalog.has(k, language))
    assert missing == []


def test_missing_key_is_shown_as_key_and_recorded() -> None:
    c = Catalog.load()
    assert c.text("no.such.key", "vi") == "no.such.key"
    assert ("vi", "no.such.key") in c.missing
    assert c.text("receipt.reference", "en", reference="X") == "Reference: X"


def test_malformed_catalog_is_a_typed_error(tmp_path: object) -> None:
    from pathlib import Path

    d = Path(str(tmp_path))
    (d / "vi.json").write_text('{"a": 1}')
    with pytest.raises(CatalogError):
        load_messages("vi", d)
    with pytest.raises(CatalogError):
        load_messages("en", d)


def test_every_message_key_literal_in_the_flow_is_translated(catalog: Catalog) -> None:
    """Keys written literally in kiosk/flow (hints set by handlers) — keeps the UI in step with the flow."""
    from pathlib import Path

    flow = Path(__file__).resolve().parents[2] / "kiosk" / "flow"
    prefixes = {s for s in STATES} | {"common", "face", "flow", "key_entry", "reading"}
    keys = set()
    for path in flow.glob("*.py"):
        for key in re.findall(r'"([a-z_]+\.[a-z_.]+)"', path.read_text(encoding="utf-8")):
            if key.split(".")[0] in prefixes and not key.endswith((".md", ".py", ".db")):
                keys.add(key)
    assert keys, "no message keys found in kiosk/flow"
    for language in LANGUAGES:
        assert sorted(k for k in keys if not catalog.has(k, language)) == []

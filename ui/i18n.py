"""Translation catalogues (ui/i18n/<language>.json): every text the kiosk shows, in Vietnamese and English.

Keys are the message keys of the kiosk views (``"consent.title"``) plus the UI's own.  A missing key never
crashes a screen: it is shown as the key itself and recorded in :attr:`Catalog.missing` (tests assert it
stays empty).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

I18N_DIR = Path(__file__).resolve().parent / "i18n"
LANGUAGES: tuple[str, ...] = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


class CatalogError(ValueError):
    """A translation file is missing or malformed."""


def load_messages(language: str, directory: Path = I18N_DIR) -> dict[str, str]:
    path = directory / f"{language}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogError(f"cannot load {path.name}: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                             for k, v in data.items()):  # fmt: skip
        raise CatalogError(f"{path.name} must map message keys to strings")
    return data


@dataclass(slots=True)
class Catalog:
    """All languages' messages; :meth:`text` looks a key up (face hints are matched case-insensitively)."""

    messages: dict[str, dict[str, str]]
    missing: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def load(cls, directory: Path = I18N_DIR) -> Catalog:
        return cls({lang: load_messages(lang, directory) for lang in LANGUAGES})

    def has(self, key: str, language: str) -> bool:
        table = self.messages.get(language, {})
        return key in table or key.lower() in table

    def text(self, key: str, language: str, **values: object) -> str:
        table = self.messages.get(language) or self.messages[DEFAULT_LANGUAGE]
        template = table.get(key, table.get(key.lower()))
        if template is None:
            self.missing.add((language, key))
            return key
        try:
            return template.format(**values) if values else template
        except (KeyError, IndexError, ValueError):
            self.missing.add((language, key))
            return template

"""The view protocol the screens render, and the intents they send.

The screens read views structurally: any object with the attributes of :class:`ViewLike` (and, per state,
the extra attributes of the matching kiosk.flow.views class: ``ConsentView.document``,
``ReadingView.fraction`` ...) can be shown.  The UI never imports the flow's machine; only
:mod:`ui.flowbridge` turns an :class:`Intent` into a kiosk.flow.events object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class ButtonLike(Protocol):
    @property
    def intent(self) -> str: ...
    @property
    def label_key(self) -> str: ...
    @property
    def value(self) -> str | None: ...
    @property
    def prominent(self) -> bool: ...
    @property
    def enabled(self) -> bool: ...


class ViewLike(Protocol):
    """What every kiosk view has (kiosk.flow.views.View)."""

    @property
    def state(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def title_key(self) -> str: ...
    @property
    def hint_key(self) -> str | None: ...
    @property
    def buttons(self) -> Sequence[ButtonLike]: ...
    @property
    def timeout_seconds(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class Intent:
    """What a screen sends: the name of a kiosk.flow.events intent class and its fields."""

    name: str
    fields: tuple[tuple[str, str], ...] = ()

    def __repr__(self) -> str:
        return f"Intent({self.name}, <{len(self.fields)} fields hidden>)"

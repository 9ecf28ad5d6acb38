"""The clerk's declaration register (docs/lodging.md): every guest with the declaration deadline, most
urgent first, a red banner while a deadline has passed or is near, and the clerk's actions — export the
file for the police portal, confirm the upload, check a guest out.

The page shows what a provider returns (:class:`kiosk.storage.lodging_register.LodgingRegister` entries
and warning counts, on the kiosk's clock) and emits the clerk's choices; it does not touch storage itself.
It is a page of the operator side: the kiosk window opens it from the operator page, which only the staff
PIN opens (ui.window); :class:`RegisterActions` is what the composition root gives it (cccd.lodgingdesk).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.storage.lodging_register import RegisterEntry
from ui.i18n import Catalog
from ui.theme import DANGER, PAPER, touch_px
from ui.widgets import big_button, label

RegisterSnapshot = tuple[Sequence[RegisterEntry], dict[str, int]]
RegisterProvider = Callable[[], RegisterSnapshot]
AMBER = "#8A4B00"  # white on this: contrast 6.9:1
_URGENCY_COLOURS = {"overdue": DANGER, "due_soon": AMBER}
COLUMNS = ("due", "urgency", "room", "id", "name", "stay")


@dataclass(frozen=True, slots=True)
class RegisterActions:
    """The register as the kiosk window uses it: the snapshot to show, and the clerk's three actions, each
    returning the sentence the page shows (a message key with its values, e.g. the file written)."""

    snapshot: RegisterProvider
    export: Callable[[], tuple[str, dict[str, object]]]
    declared: Callable[[], tuple[str, dict[str, object]]]
    check_out: Callable[[str], tuple[str, dict[str, object]]]


class LodgingRegisterPage(QWidget):
    export = Signal()
    declared = Signal()
    check_out = Signal(str)  # verification ID of the selected guest
    back = Signal()

    def __init__(self, catalog: Catalog, language: str, provider: RegisterProvider | None) -> None:
        super().__init__()
        self._catalog, self._language, self._provider = catalog, language, provider
        self._ids: list[str] = []
        box = QVBoxLayout(self)
        box.addWidget(label(self._t("lodging.title"), "title"))
        self.banner = label("", "hint")
        box.addWidget(self.banner)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([self._t(f"lodging.col.{c}") for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(touch_px())
        self.table.setWordWrap(True)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # no focus frame: rows are chosen by touch
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("urgency"), QHeaderView.ResizeMode.Fixed)
        self.table.setColumnWidth(COLUMNS.index("urgency"), 7 * touch_px() // 3)  # long statuses wrap
        header.setSectionResizeMode(COLUMNS.index("name"), QHeaderView.ResizeMode.Stretch)
        box.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addWidget(big_button(self._t("operator.back"), on_click=self.back.emit))
        row.addWidget(big_button(self._t("lodging.check_out"), on_click=self._check_out))
        row.addWidget(big_button(self._t("lodging.declared"), on_click=self.declared.emit))
        row.addWidget(big_button(self._t("lodging.export"), prominent=True, on_click=self.export.emit))
        box.addLayout(row)

    def _t(self, key: str, **values: object) -> str:
        return self._catalog.text(key, self._language, **values)

    def refresh(self) -> None:
        entries, counts = self._provider() if self._provider is not None else ((), {})
        self.show_entries(entries, counts)

    def notice(self, key: str, **values: object) -> None:
        """What the clerk's last action did (below the warnings, calm)."""
        self.banner.setText(f"{self.banner.text()}\n{self._t(key, **values)}")

    def show_entries(self, entries: Sequence[RegisterEntry], counts: dict[str, int]) -> None:
        overdue, soon, departures = (counts.get(k, 0) for k in ("overdue", "due_soon", "departures"))
        parts = []
        if overdue:
            parts.append(self._t("lodging.banner_overdue", count=overdue))
        if soon:
            parts.append(self._t("lodging.banner_due_soon", count=soon))
        if departures:
            parts.append(self._t("lodging.banner_departures", count=departures))
        self.banner.setText("⚠ " + " · ".join(parts) if parts else self._t("lodging.banner_ok"))
        self.banner.setObjectName("hint" if parts else "small")
        self.banner.style().unpolish(self.banner)
        self.banner.style().polish(self.banner)
        self.table.setRowCount(len(entries))
        self._ids = [e.verification_id for e in entries]
        for r, e in enumerate(entries):
            name = e.declaration.full_name if e.declaration else ""
            stay = self._t("lodging.checked_out") if e.checked_out_at else _day(e.check_out_date)
            cells = (
                f"{e.due_at:%H:%M %d/%m}",
                self._t(_status_key(e)),
                e.room or "—",
                e.id_masked,
                name,
                stay,
            )
            colour = _URGENCY_COLOURS.get(e.urgency)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if colour is not None:
                    item.setBackground(QBrush(QColor(colour)))
                    item.setForeground(QBrush(QColor(PAPER)))
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        for r in range(len(entries)):  # every row stays a touch target
            self.table.setRowHeight(r, max(self.table.rowHeight(r), touch_px()))

    def selected_guest(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self._ids[rows[0].row()] if rows else None

    def _check_out(self) -> None:
        guest = self.selected_guest()
        if guest is None:
            self.banner.setText(self._t("lodging.select_first"))
            return
        self.check_out.emit(guest)


def register_page(catalog: Catalog, language: str, actions: RegisterActions,
                  back: Callable[[], None]) -> LodgingRegisterPage:  # fmt: skip
    """The page wired to ``actions``: each action runs, the list is read again, the page says what was
    done (an action the register refuses says why, e.g. a guest already checked out)."""
    page = LodgingRegisterPage(catalog, language, actions.snapshot)

    def run(action: Callable[[], tuple[str, dict[str, object]]]) -> None:
        try:
            key, values = action()
        except Exception as exc:  # the register's typed refusal, or a full disk: the clerk is told
            key, values = "lodging.failed", {"reason": type(exc).__name__}
        page.refresh()
        page.notice(key, **values)

    page.export.connect(lambda: run(actions.export))
    page.declared.connect(lambda: run(actions.declared))
    page.check_out.connect(lambda vid: run(lambda: actions.check_out(vid)))
    page.back.connect(back)
    return page


def _status_key(e: RegisterEntry) -> str:
    """What the clerk must do next: declare (overdue / due soon / to declare), confirm an exported file,
    report a departure, or nothing."""
    if e.urgency in ("overdue", "due_soon", "done"):
        return f"lodging.urgency.{e.urgency}"
    if e.state == "exported":
        return "lodging.urgency.exported"
    if e.state == "declared":
        return "lodging.urgency.departure"
    return "lodging.urgency.open"


def _day(iso: str | None) -> str:
    """``yyyy-mm-dd`` as ``dd/mm`` (the stay's last day); empty when unknown."""
    return f"{iso[8:10]}/{iso[5:7]}" if iso and len(iso) >= 10 else ""

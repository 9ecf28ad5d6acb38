"""One screen body per kiosk state, built from a view.  The window adds the title, hint and buttons.

Each body is a :class:`Screen`; ``fields_for(intent)`` gives the fields an intent needs from what the
user did on the screen (the typed ID, the chosen service values).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from ui.drawings import face_guide_pixmap, placement_pixmap
from ui.screenbase import Context, Screen, _sender, short_reference
from ui.screens_card import TakeCardScreen, show_lift_off
from ui.screens_input import ConsentScreen, KeyEntryScreen
from ui.screens_service import InsuranceWaitScreen, QueueNumberScreen, ServiceScreen
from ui.theme import touch_px
from ui.viewmodel import Intent
from ui.widgets import CameraPreview, big_button, label, photo_pixmap, qr_pixmap


class AttractScreen(Screen):
    """The welcome: the languages as tall buttons — a tap on one starts the transaction in it (issue 14:
    no separate language screen) — and the two comfort switches; a tap anywhere else starts too."""

    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__(view, ctx)
        self.box.addStretch(1)
        self.add_text(ctx.t("attract.subtitle"), "title", center=True)
        self.add_text(ctx.t("attract.choose"), center=True)
        _language_buttons(self, view, ctx)
        self.box.addStretch(1)
        _comfort_switches(self, ctx)


class LanguageScreen(Screen):
    """The languages as tall buttons in the middle of the screen (the window keeps only "stop" below)."""

    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__(view, ctx)
        self.box.addStretch(1)
        _language_buttons(self, view, ctx)
        self.box.addStretch(1)
        _comfort_switches(self, ctx)


def _language_buttons(screen: Screen, view: Any, ctx: Context) -> None:
    for b in view.buttons:
        if b.intent == "ChooseLanguage":
            w = big_button(ctx.t(b.label_key), prominent=b.value == view.language,
                           on_click=_sender(ctx, Intent("ChooseLanguage", (("language", str(b.value)),))))
            w.setStyleSheet(f"min-height: {2 * touch_px() - 18}px;")
            w.setProperty("button", b)
            screen.box.addWidget(w)


def _comfort_switches(screen: Any, ctx: Context) -> None:
    """"Larger text" and "slower speech", for the person, before anything else (issue 14)."""
    comfort = ctx.comfort
    if comfort is None:
        return
    row = QHBoxLayout()
    screen.large_text = big_button(ctx.t("comfort.large_text"), on_click=comfort.toggle_large_text)
    screen.slow_speech = big_button(ctx.t("comfort.slow_speech"), on_click=comfort.toggle_slow_speech)
    switches = ((screen.large_text, comfort.large_text), (screen.slow_speech, comfort.slow_speech))
    for switch, on in switches:
        switch.setCheckable(True)
        switch.setChecked(on)
        row.addWidget(switch)
    screen.box.addLayout(row)


class PlaceCardScreen(Screen):
    """"Place your card"; or, while a card left by someone earlier lies on the reader (``remove_first``),
    "lift that card off" with the card rising off the reader."""

    def __init__(self, view: Any, ctx: Context) -> None:

        super().__init__(view, ctx)
        if getattr(view, "remove_first", False):
            show_lift_off(self)
            return
        model = ctx.card_model  # the answer to "which card do you have?" on the key-entry screen
        self.add_text(ctx.t(f"place_card.instruction_{model}" if model else "place_card.instruction"))
        pic = QLabel()
        pic.setPixmap(placement_pixmap(model, ctx.t("place_card.reader")))
        pic.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.box.addWidget(pic, 1)
        # No count of the placements left (issue 14: a countdown worries people); the flow still limits them.


class ReadingScreen(Screen):
    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__(view, ctx)
        self.box.addStretch(1)
        self.phase = self.add_text("", center=True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.box.addWidget(self.progress)
        self.candidate = self.add_text("", "small", center=True)
        self.add_text(ctx.t("reading.keep_card"), center=True)
        self.box.addStretch(1)
        self.refresh(view)

    def refresh(self, view: Any) -> bool:
        t = self.ctx.t
        self.phase.setText(t(f"reading.phase.{view.phase}"))
        self.progress.setValue(round(100 * max(0.0, min(1.0, float(view.fraction)))))
        several = view.key_candidates > 1
        self.candidate.setText(t("reading.key_candidate", i=view.key_candidate, n=view.key_candidates)
                               if several else "")  # fmt: skip
        self.candidate.setVisible(several)
        return True


_ARROWS = {"face.turn_left": "left", "face.turn_right": "right"}


class FaceScreen(Screen):
    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__(view, ctx)
        row = QHBoxLayout()
        self.preview = CameraPreview("oval")
        row.addWidget(self.preview)
        side = QVBoxLayout()
        matching = view.state == "matching"
        side.addWidget(label(ctx.t("matching.instruction" if matching else "face_capture.instruction")))
        if not matching:  # how to face the camera, drawn (ui.drawings)
            guide = QLabel()
            guide.setPixmap(face_guide_pixmap(QSize(200, 230)))
            guide.setAlignment(Qt.AlignmentFlag.AlignCenter)
            side.addWidget(guide)
            side.addWidget(label(ctx.t("face_capture.how"), "small"))
        self.attempt = label("", "small")
        side.addWidget(self.attempt)
        side.addStretch(1)
        row.addLayout(side, 1)
        self.box.addLayout(row, 1)
        self.refresh(view)

    def refresh(self, view: Any) -> bool:
        self.preview.arrow = _ARROWS.get((view.hint_key or "").lower())
        self.preview.update()
        shown = view.max_attempts > 1 and view.attempt > 1  # only once a photo is taken again
        self.attempt.setText(self.ctx.t("face.attempt", i=view.attempt, n=view.max_attempts) if shown else "")
        self.attempt.setVisible(shown)
        return True


class ResultScreen(Screen):
    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__(view, ctx)
        ok = bool(view.verified)
        self.add_text(ctx.t("result.verified" if ok else "result.not_verified"), "ok" if ok else "fail")
        row = QHBoxLayout()
        for key, data in zip(("result.chip_photo", "result.live_photo"), ctx.photos, strict=True):
            col = QVBoxLayout()
            pic = QLabel()
            pm = photo_pixmap(data, 240)
            if pm is None:
                pic.setText(ctx.t("result.no_photo"))
            else:
                pic.setPixmap(pm)
            pic.setFixedSize(250, 300)
            pic.setWordWrap(True)
            pic.setAlignment(Qt.AlignmentFlag.AlignCenter)
            pic.setStyleSheet("border: 2px solid #333333;")
            col.addWidget(pic)
            col.addWidget(label(ctx.t(key), "small", center=True))
            row.addLayout(col)
        facts = QVBoxLayout()
        for key, value in (("result.name", view.full_name), ("result.birth_date", view.birth_date),
                           ("result.id", view.id_masked)):  # fmt: skip
            if value:
                facts.addWidget(label(ctx.t(key), "small"))
                facts.addWidget(label(str(value)))
        facts.addStretch(1)
        row.addLayout(facts, 1)
        self.box.addLayout(row, 1)
        self.add_text(ctx.t("result.next_verified" if ok else "result.next_not_verified"))


QUEUE_NUMBER_PT = 96  # the hospital queue number, readable from a few steps away
RECEIPT_SIDE_PX = 540  # beside the queue number: the QR code and the verification ID (26 characters)


class ReceiptScreen(Screen):
    """The verification ID as a QR code and text, the record status; a hospital's queue number big on the
    left with its department (the QR code and ID then in a column on the right); a hotel's room and dates."""

    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__(view, ctx)
        row = QHBoxLayout()
        row.setSpacing(28)
        number = getattr(view, "queue_number", None)
        col = QVBoxLayout()
        if number:
            row.addWidget(self._queue_panel(number, getattr(view, "department", None)), 1)
            if view.reference:
                col.addWidget(self._qr(view.reference, 200))
        elif view.reference:
            row.addWidget(self._qr(view.reference, 300))
        for key, value in self._details(view):
            col.addWidget(label(ctx.t(key, value=value)))
        if view.reference:
            col.addWidget(label(ctx.t("receipt.reference", reference=short_reference(view.reference)),
                                "small"))  # fmt: skip
            if view.record_status:
                col.addWidget(label(ctx.t(f"receipt.status.{view.record_status}"), "title"))
            if ctx.ticket_printing is None:  # with a ticket printer the ticket carries the QR code
                col.addWidget(label(ctx.t("receipt.scan"), "small"))
        else:
            col.addWidget(label(ctx.t("receipt.pending")))
        col.addStretch(1)
        if view.reference and ctx.ticket_printing is not None:
            self.print_status = label("", "small")
            col.addWidget(self.print_status)
            col.addWidget(big_button(ctx.t("receipt.print"), on_click=self.print_ticket))
            if ctx.ticket_printing.print_once(view, self._printed):
                self.print_status.setText(ctx.t("printing.printing"))
        elif view.reference and ctx.print_receipt is not None:
            col.addWidget(big_button(ctx.t("receipt.print"), on_click=self.print_receipt))
        if number:
            side = QWidget()
            side.setLayout(col)
            side.setFixedWidth(RECEIPT_SIDE_PX)
            row.addWidget(side)
        else:
            row.addLayout(col, 1)
        self.box.addLayout(row, 1)
        if getattr(view, "take_card", False):  # lifting the card off ends the transaction
            self.add_text(ctx.t("receipt.take_card"), "title", center=True)
        elif view.reference:  # the receipt ends by itself ("Done" only closes it sooner)
            self.add_text(ctx.t("receipt.may_leave"), center=True)

    @staticmethod
    def _qr(reference: str, edge: int) -> QLabel:
        code = QLabel()
        code.setPixmap(qr_pixmap(reference, edge))
        code.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        return code

    def _queue_panel(self, number: str, department: str | None) -> QWidget:
        panel = QWidget()
        panel.setObjectName("queue")
        panel.setStyleSheet("QWidget#queue { border: 4px solid #003C8F; border-radius: 16px; }")
        col = QVBoxLayout(panel)
        col.addStretch(1)
        col.addWidget(label(self.ctx.t("receipt.queue_number"), "small", center=True))
        big = label(number, "queue", wrap=False, center=True)
        big.setStyleSheet(f"font-size: {QUEUE_NUMBER_PT}pt; font-weight: bold; color: #003C8F; border: none;")
        col.addWidget(big)
        if department:
            col.addWidget(label(department, "title", center=True))
        insurance = getattr(self.view, "insurance", None)
        to_desk = bool(insurance) and getattr(self.view, "insurance_counter", False)
        if not to_desk:  # the reception desk comes first when it must settle the insurance
            col.addWidget(label(self.ctx.t("receipt.queue_wait"), center=True))
        if insurance:  # the BHYT check's plain result (docs/insurance.md); calm: no red, the desk helps
            sentence = label(insurance, center=True)
            sentence.setStyleSheet("font-weight: bold; color: #003C8F; border: none;")
            col.addWidget(sentence)
            if to_desk:
                col.addWidget(label(self.ctx.t("receipt.insurance_counter"), center=True))
        col.addStretch(1)
        self.queue_label = big
        return panel

    @staticmethod
    def _details(view: Any) -> list[tuple[str, str]]:
        """A hotel's stay: room, then check-in and check-out dates (dd/mm/yyyy), with the nights."""
        d = dict(getattr(view, "details", ()) or ())
        out: list[tuple[str, str]] = []
        if d.get("room"):
            out.append(("receipt.room", d["room"]))
        for key in ("check_in", "check_out"):
            if d.get(key):
                out.append((f"receipt.{key}", _dmy(d[key])))
        if d.get("nights"):
            out.append(("receipt.nights", d["nights"]))
        return out


    def print_receipt(self) -> None:
        if self.ctx.print_receipt is not None:
            self.ctx.print_receipt(self.grab().toImage())

    def print_ticket(self) -> None:
        """Print the ticket again (the button), on the thermal printer."""
        if self.ctx.ticket_printing is not None:
            self.print_status.setText(self.ctx.t("printing.printing"))
            self.ctx.ticket_printing.print_view(self.view, self._printed)

    def _printed(self, outcome: str) -> None:
        try:  # the screen may be gone by the time the printer answers
            self.print_status.setText(self.ctx.t(f"printing.{outcome}", counter=self.ctx.counter))
            failed = "color: #9B0000; font-weight: bold;"  # theme.DANGER: red only for a problem
            self.print_status.setStyleSheet("" if outcome == "printed" else failed)
        except RuntimeError:
            pass


class StillThereScreen(Screen):
    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__(view, ctx)
        self.box.addStretch(1)
        self.add_text(ctx.t("still_there.question"), "title", center=True)
        self.box.addStretch(1)


class FallbackScreen(Screen):
    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__(view, ctx)
        msg = view.message_key if ctx.catalog.has(view.message_key, ctx.language) else "fallback.unknown"
        self.add_text(ctx.t(msg))
        if getattr(view, "take_card", False):
            self.add_text(ctx.t("fallback.take_card"), "title")
        self.box.addStretch(1)
        # No reason code here (issue 14): the staff find the reason with the short reference.
        if view.reference:
            self.add_text(ctx.t("fallback.reference", reference=short_reference(view.reference)), "small")


class WipeScreen(Screen):
    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__(view, ctx)
        self.box.addStretch(1)
        self.add_text(ctx.t("wipe.message"), center=True)
        self.box.addStretch(1)


def _dmy(iso: str) -> str:
    parts = iso.split("-")
    return "/".join(reversed(parts)) if len(parts) == 3 else iso


def title_text(view: Any, ctx: Context) -> str:
    if view.state == "fallback":
        return ctx.t("fallback.title", counter=ctx.counter)
    return ctx.t(view.title_key)


def build_screen(view: Any, ctx: Context) -> Screen:
    """The body for ``view`` (dispatch on its state name)."""

    table: dict[str, type[Screen]] = {
        "attract": AttractScreen, "language": LanguageScreen, "consent": ConsentScreen,
        "key_entry": KeyEntryScreen, "place_card": PlaceCardScreen, "reading": ReadingScreen,
        "face_capture": FaceScreen, "matching": FaceScreen, "result": ResultScreen,
        "service": ServiceScreen, "queue_number": QueueNumberScreen, "receipt": ReceiptScreen,
        "still_there": StillThereScreen, "insurance": InsuranceWaitScreen,
        "fallback": FallbackScreen, "take_card": TakeCardScreen, "wipe": WipeScreen,
    }  # fmt: skip
    return table.get(view.state, Screen)(view, ctx)


STATES: tuple[str, ...] = ("attract", "language", "consent", "key_entry", "place_card", "reading",
                           "face_capture", "matching", "result", "service", "queue_number", "receipt",
                           "still_there", "fallback", "take_card", "wipe", "insurance")  # fmt: skip

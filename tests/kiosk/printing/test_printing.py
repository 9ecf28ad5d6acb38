"""Thermal tickets (kiosk.printing, docs/printing.md): the raster layout, the ESC/POS bytes through
python-escpos's Dummy printer, and a real TCP link to a simulated network printer on loopback that answers
the real-time status queries (DLE EOT 1 / DLE EOT 4) with online, offline or paper-out."""

from __future__ import annotations

import socket
import threading
from datetime import datetime

import pytest
from escpos.printer import Dummy

from kiosk.printing import (
    PAPER_DOTS,
    PaperOutError,
    PrinterConfig,
    PrinterConfigError,
    PrinterOfflineError,
    ThermalPrinter,
    queue_ticket,
    receipt,
    render,
)

AT = datetime(2026, 12, 4, 8, 52)
REF = "01JF3Q8ZK7T2V9XW4M6N5P3R2B"
TICKET = queue_ticket("vi", "NOI-017", "Khoa Nội tổng hợp", AT, reference=REF, counter="Quầy 3")
GS_V_0 = b"\x1dv0"  # ESC/POS raster bit image
CUT = b"\x1dV"


@pytest.mark.parametrize("mm", [58, 80])
def test_the_raster_is_exactly_the_paper_width_and_black_and_white(mm: int) -> None:
    img = render(TICKET, mm)
    assert img.mode == "1" and img.width == PAPER_DOTS[mm] and 300 < img.height < 1200


def test_the_texts_use_quy_khach_and_print_only_a_short_reference() -> None:
    assert any("Quý khách" in line for line in TICKET.lines)
    assert "…5P3R2B" in " ".join(TICKET.footer) and REF not in " ".join(TICKET.footer)
    assert REF not in repr(TICKET)
    en = receipt("en", "not_verified", AT, REF, (("room", "204"),))
    assert en.lines == ("Not verified — please go to the counter", "Room: 204")


def test_dummy_printer_gets_one_raster_image_and_a_cut() -> None:
    dummy = Dummy()
    printer = ThermalPrinter(PrinterConfig.parse("dummy", paper_mm=58), device=dummy)
    status = printer.print_ticket(TICKET)
    out = dummy.output
    assert status.online is None  # the dummy cannot tell
    assert out.startswith(GS_V_0) and out.count(GS_V_0) >= 1 and CUT in out[-8:]
    # GS v 0 m xL xH yL yH: 384 dots = 48 bytes per row on 58 mm paper
    assert out[4:6] == (48).to_bytes(2, "little")
    height = int.from_bytes(out[6:8], "little")
    assert height > 300 and len(out) >= 8 + 48 * height
    assert b"Khoa" not in out  # no text commands: Vietnamese is drawn, not encoded


@pytest.mark.parametrize("text", ["", "usb:zz:1", "serial:", "tcp:", "bluetooth:x", "dummy:1"])
def test_bad_printer_settings_are_typed_errors(text: str) -> None:
    with pytest.raises(PrinterConfigError):
        PrinterConfig.parse(text)
    with pytest.raises(PrinterConfigError):
        PrinterConfig.parse("dummy", paper_mm=57)


def test_printer_settings() -> None:
    assert PrinterConfig.parse("usb:0416:5011").target == (0x0416, 0x5011)
    assert PrinterConfig.parse("serial:/dev/ttyUSB0").target == ("/dev/ttyUSB0", 9600)
    assert PrinterConfig.parse("tcp:127.0.0.1").target == ("127.0.0.1", 9100)


class FakeNetworkPrinter:
    """A raw-port (9100) ESC/POS printer on loopback: records what it gets, answers DLE EOT n."""

    def __init__(self, online: bool = True, paper: str = "ok") -> None:
        self.online, self.paper = online, paper
        self.received = bytearray()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.server.settimeout(10)
        try:
            conn, _ = self.server.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10)
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                self.received += data
                for query in (b"\x10\x04\x01", b"\x10\x04\x04"):
                    if data.endswith(query):
                        conn.sendall(self._answer(query[-1]))

    def _answer(self, n: int) -> bytes:
        if n == 1:
            return bytes([0x12 | (0 if self.online else 0x08)])
        return bytes([{"ok": 0x12, "low": 0x1E, "out": 0x72}[self.paper]])

    def close(self) -> None:
        self.server.close()
        self.thread.join(5)


def _network(fake: FakeNetworkPrinter) -> ThermalPrinter:
    return ThermalPrinter(PrinterConfig.parse(f"tcp:127.0.0.1:{fake.port}", paper_mm=80, timeout=3))


def test_network_printer_online_with_paper_prints() -> None:
    fake = FakeNetworkPrinter()
    try:
        status = _network(fake).print_ticket(TICKET)
    finally:
        fake.close()
    assert status.online is True and status.paper == "ok"
    assert GS_V_0 in fake.received and (72).to_bytes(2, "little") in fake.received  # 576 dots = 72 bytes


def test_network_printer_out_of_paper_is_reported_and_nothing_printed() -> None:
    fake = FakeNetworkPrinter(paper="out")
    printer = _network(fake)
    try:
        with pytest.raises(PaperOutError):
            printer.print_ticket(TICKET)
    finally:
        fake.close()
    assert GS_V_0 not in fake.received and printer.last_error == "PaperOutError"


def test_network_printer_reporting_offline_is_reported() -> None:
    fake = FakeNetworkPrinter(online=False)
    try:
        with pytest.raises(PrinterOfflineError):
            _network(fake).print_ticket(TICKET)
    finally:
        fake.close()
    assert GS_V_0 not in fake.received


def test_an_unreachable_printer_is_offline() -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there any more
    printer = ThermalPrinter(PrinterConfig.parse(f"tcp:127.0.0.1:{port}", timeout=1))
    with pytest.raises(PrinterOfflineError):
        printer.print_ticket(TICKET)
    assert printer.status().online is False


def test_paper_running_low_still_prints() -> None:
    fake = FakeNetworkPrinter(paper="low")
    try:
        status = _network(fake).print_ticket(TICKET)
    finally:
        fake.close()
    assert status.paper == "low" and GS_V_0 in fake.received


def test_the_hospital_ticket_carries_the_insurance_check() -> None:
    """The BHYT check's sentence under "wait to be called", and the reception desk when it must settle it
    (docs/insurance.md); the ticket is drawn (Vietnamese included) within the paper."""
    expired = "Thẻ BHYT đã hết hạn (31/12/2025)."
    t = queue_ticket("vi", "NOI-017", "Khám Nội", AT, reference=REF, insurance=expired, insurance_desk=True)
    assert t.lines[1] == expired and "quầy tiếp đón" in t.lines[2]
    valid = queue_ticket("en", "NOI-018", None, AT, insurance="Health insurance valid until 31/12/2030, "
                         "registered at: Bệnh viện Chợ Rẫy.")  # fmt: skip
    assert len(valid.lines) == 2 and "31/12/2030" not in repr(valid)
    assert queue_ticket("vi", "NOI-019", None, AT).lines == TICKET.lines[:1]
    img = render(t, 58)
    assert img.width == PAPER_DOTS[58] and img.height > render(TICKET, 58).height

"""The thermal printer adapter: ESC/POS through ``python-escpos`` on USB, serial, network or a device file
(docs/printing.md).

Before printing, the printer is asked for its state where the link can answer (USB, serial, network:
``DLE EOT 1`` online, ``DLE EOT 4`` paper sensor): offline and paper-out are typed errors the kiosk
reports to the operator while the screen tells the person what to do instead.  A printer that does not
answer the status query within ``status_timeout`` is printed to anyway (many cheap ones never answer).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from kiosk.printing.layout import PAPER_DOTS, render
from kiosk.printing.ticket import Ticket

log = logging.getLogger("kiosk.printing")
SCHEMES = ("usb", "serial", "tcp", "file", "dummy")


class PrinterError(RuntimeError):
    """The ticket was not printed."""


class PrinterOfflineError(PrinterError):
    """The printer cannot be reached, or says it is offline (cover open, error state)."""


class PaperOutError(PrinterError):
    """The paper roll is empty."""


class PrinterConfigError(ValueError):
    """The printer setting is malformed (the message says which part)."""


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    online: bool | None  # None: the link cannot tell (device file, dummy) or the printer did not answer
    paper: str | None  # "ok", "low", "out" or None

    @property
    def ready(self) -> bool:
        return self.online is not False and self.paper != "out"


@dataclass(frozen=True, slots=True)
class PrinterConfig:
    """``usb:VID:PID`` (hex), ``serial:/dev/ttyUSB0[:BAUD]``, ``tcp:HOST[:PORT]`` (raw port 9100),
    ``file:/dev/usb/lp0`` or ``dummy`` (keeps the bytes: tests, previews); paper 58 or 80 mm."""

    scheme: str
    target: tuple[str | int, ...]
    paper_mm: int = 80
    timeout: float = 5.0
    status_timeout: float = 1.0

    @classmethod
    def parse(cls, text: str, paper_mm: int = 80, timeout: float = 5.0) -> PrinterConfig:
        if paper_mm not in PAPER_DOTS:
            raise PrinterConfigError(f"paper width must be one of {sorted(PAPER_DOTS)} mm")
        scheme, _, rest = text.strip().partition(":")
        parts = rest.split(":") if rest else []
        try:
            if scheme == "dummy" and not parts:
                target: tuple[str | int, ...] = ()
            elif scheme == "usb" and len(parts) == 2:
                target = (int(parts[0], 16), int(parts[1], 16))
            elif scheme == "serial" and len(parts) in (1, 2) and parts[0]:
                target = (parts[0], int(parts[1]) if len(parts) == 2 else 9600)
            elif scheme == "tcp" and len(parts) in (1, 2) and parts[0]:
                target = (parts[0], int(parts[1]) if len(parts) == 2 else 9100)
            elif scheme == "file" and rest:
                target = (rest,)
            else:
                raise PrinterConfigError(f"printer: expected one of {', '.join(SCHEMES)} with its address")
        except ValueError as exc:
            if isinstance(exc, PrinterConfigError):
                raise
            raise PrinterConfigError("printer: a USB id is hex, a baud rate or port a number") from None
        return cls(scheme, target, paper_mm, timeout)


class ThermalPrinter:
    """Prints :class:`Ticket` objects; every call opens the link and closes it again (a printer switched
    off and on between tickets is found again)."""

    def __init__(self, config: PrinterConfig, *, device: Any | None = None) -> None:
        self.config = config
        self._device = device  # a given escpos printer (tests: escpos.printer.Dummy)
        self.last_status: PrinterStatus | None = None
        self.last_error: str | None = None

    def _open(self) -> Any:
        if self._device is not None:
            return self._device
        from escpos import printer as p

        c = self.config
        try:
            if c.scheme == "dummy":
                self._device = p.Dummy()
                return self._device
            if c.scheme == "usb":
                dev: Any = p.Usb(int(c.target[0]), int(c.target[1]), timeout=round(c.timeout * 1000))
            elif c.scheme == "serial":
                dev = p.Serial(devfile=str(c.target[0]), baudrate=int(c.target[1]), timeout=c.timeout)
            elif c.scheme == "tcp":
                dev = p.Network(host=str(c.target[0]), port=int(c.target[1]), timeout=c.timeout)
            else:
                dev = p.File(devfile=str(c.target[0]))
            dev.open()
        except Exception as exc:  # DeviceNotFoundError, USBNotFoundError, OSError, serial errors
            raise PrinterOfflineError(f"printer not reachable ({type(exc).__name__})") from None
        return dev

    def _close(self, dev: Any) -> None:
        if dev is self._device:
            return
        try:
            dev.close()
        except Exception:  # closing a printer that vanished must not hide the real outcome
            log.debug("closing the printer failed", exc_info=True)

    def _query(self, dev: Any) -> PrinterStatus:
        if self.config.scheme not in ("usb", "serial", "tcp"):
            return PrinterStatus(None, None)
        sock = getattr(dev, "device", None) if self.config.scheme == "tcp" else None
        if sock is not None:
            sock.settimeout(self.config.status_timeout)
        try:
            online = bool(dev.is_online())
            paper = {0: "out", 1: "low", 2: "ok"}.get(int(dev.paper_status()))
        except Exception as exc:  # no answer: not every printer implements real-time status
            log.info("printer status not available (%s)", type(exc).__name__)
            return PrinterStatus(None, None)
        finally:
            if sock is not None:
                sock.settimeout(self.config.timeout)
        return PrinterStatus(online, paper)

    def status(self) -> PrinterStatus:
        """The printer's state now (for the operator screen); offline when it cannot be reached."""
        try:
            dev = self._open()
        except PrinterOfflineError:
            self.last_status = PrinterStatus(False, None)
            return self.last_status
        try:
            self.last_status = self._query(dev)
        finally:
            self._close(dev)
        return self.last_status

    def print_ticket(self, ticket: Ticket) -> PrinterStatus:
        """Print ``ticket`` as a raster image and cut; raises :class:`PaperOutError`,
        :class:`PrinterOfflineError` or :class:`PrinterError`.  Returns the state seen before printing
        (``paper == "low"``: tell the operator)."""
        image = render(ticket, self.config.paper_mm)
        try:
            dev = self._open()
            try:
                status = self._query(dev)
                self.last_status = status
                if status.online is False:
                    raise PrinterOfflineError("the printer reports it is offline (cover open or error)")
                if status.paper == "out":
                    raise PaperOutError("the printer is out of paper")
                if status.paper == "low":
                    log.warning("printer paper is running low")
                dev.image(image, impl="bitImageRaster")
                dev.cut()
            except PrinterError:
                raise
            except Exception as exc:  # the link broke while printing
                raise PrinterOfflineError(f"printing failed ({type(exc).__name__})") from None
            finally:
                self._close(dev)
        except PrinterError as exc:
            self.last_error = type(exc).__name__
            log.error("ticket not printed: %s", exc)
            raise
        self.last_error = None
        log.info("ticket printed")
        return status

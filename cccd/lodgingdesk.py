"""The lodging kiosk's clerk desk in the window: the guest declaration register (docs/lodging.md) behind
the operator PIN — the composition of :class:`kiosk.storage.lodging_register.LodgingRegister` for
:class:`ui.lodging_page.RegisterActions`.

Each refresh first takes the kiosk's new verified lodging records into the register (what ``cccd lodging
sync`` does), then shows every guest with the declaration deadline on the kiosk's clock (Vietnam time), the
warning two hours before it, check-outs and departures not yet reported.  The export writes the guests still
to declare in the bulk-upload layout (``cccd lodging export``'s) into ``<data dir>/exports`` (0600) and
marks them exported; "declaration sent" confirms every exported guest; check-out records a departure.

Everything runs on the thread that made the desk (the UI thread, which owns its SQLite connections): the
queries are local and small, and only staff use this page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from kiosk.connectors.lodging import sync_register
from kiosk.connectors.lodging_asm import DEFAULT_LAYOUT, export_xlsx
from kiosk.keys import KeyStore
from kiosk.profiles import Profile
from kiosk.storage import KioskStore
from kiosk.storage.db import Database
from kiosk.storage.lodging_register import LodgingRegister, RegisterEntry, RegisterError
from kiosk.timezone import VIETNAM
from ui.lodging_page import RegisterActions

WARN_BEFORE = timedelta(hours=2)
Message = tuple[str, dict[str, object]]


def _now() -> datetime:
    return datetime.now(VIETNAM)


class LodgingDesk:
    """The register of one lodging kiosk's database (``data_dir``: ``kiosk.db`` and ``keys``)."""

    def __init__(self, data_dir: Path, profile: Profile, *, clock: Callable[[], datetime] = _now) -> None:
        self.data_dir, self.profile, self.clock = data_dir, profile, clock
        self.keys = KeyStore.open(data_dir / "keys")
        self.db = Database(data_dir / "kiosk.db")
        self.register = LodgingRegister(self.db, self.keys)
        self.store = KioskStore(data_dir / "kiosk.db", self.keys)

    def close(self) -> None:
        self.store.close()
        self.db.close()

    def actions(self) -> RegisterActions:
        return RegisterActions(self.snapshot, self.export, self.declared, self.check_out)

    def sync(self) -> int:
        """Take the kiosk's verified lodging records not yet in the register."""
        return sync_register(self.register, self.store, self.profile, self.clock())

    def snapshot(self) -> tuple[list[RegisterEntry], dict[str, int]]:
        self.sync()
        now = self.clock()
        entries = self.register.entries(now, warn_before=WARN_BEFORE, with_declarations=True)
        return list(entries), self.register.warnings(now, WARN_BEFORE)

    def export(self) -> Message:
        now = self.clock()
        pending = self.register.declarations(state="pending", now=now)
        if not pending:
            return "lodging.nothing_to_export", {}
        folder = self.data_dir / "exports"
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / f"luu-tru-{now:%Y%m%d-%H%M%S}.xlsx"
        count = export_xlsx(pending, path, DEFAULT_LAYOUT)
        path.chmod(0o600)
        self.register.mark_exported([d.verification_id for d in pending], now)
        return "lodging.exported", {"count": count, "file": str(path)}

    def declared(self) -> Message:
        now = self.clock()
        ids = [e.verification_id for e in self.register.entries(now) if e.state == "exported"]
        if ids:
            self.register.mark_declared(ids, now)
        return "lodging.declared_done", {"count": len(ids)}

    def check_out(self, verification_id: str) -> Message:
        try:
            self.register.check_out(self.clock(), verification_id=verification_id)
        except RegisterError:  # already checked out (or gone from the register since the list was read)
            return "lodging.check_out_refused", {}
        return "lodging.checked_out_done", {}

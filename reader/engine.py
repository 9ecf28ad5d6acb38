"""The chip read as an explicit list of steps (ICAO 9303-11 §4 access control; 9303-10 LDS; 9303-11 §5.1
passive authentication; 9303-11 §6 and §4.4.3.5 anti-clone proofs).

EF.CardAccess → PACE (when offered; :mod:`reader.access.control` decides, and records any fallback) →
SELECT eMRTD application → BAC if PACE was not used → EF.COM, EF.SOD, data groups → passive
authentication → PACE-CAM / Active Authentication / Chip Authentication (:mod:`reader.auth.anticlone`)
→ the verdict (:func:`reader.report.compute_verdict`).

Mandatory steps raise on failure (no card, access denied, card removed, broken secure messaging); optional
steps record their outcome in the result instead of aborting (a refused DG3, an absent DG11, a data group
that does not parse).  Progress is reported through a callback with a stable :class:`Phase` enum.

Tolerance (issue 12, docs/chip-faults.md): after access control the session gets a *channel opener* (PACE
or BAC again with the same key) so that an error answered outside secure messaging, or a send-sequence
counter out of step, costs a new channel instead of the read; missing optional files, a malformed EF.COM,
a refused SFI and every re-opened channel are :class:`~reader.findings.Finding` values in
:attr:`ChipReadResult.findings`; a card removed mid-read raises :class:`~reader.resume.ReadInterrupted`,
whose ``partial`` resumes the read on the card placed again (``read(request, resume=...)``).
"""

from __future__ import annotations

import enum
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from reader.access.bac import BACKeyInput
from reader.access.control import (
    AccessMode,
    AccessOutcome,
    AccessPlan,
    card_access_view,
    channel_opener,
    open_with_bac,
    try_pace,
)
from reader.auth.anticlone import recheck_evidence, run_anticlone
from reader.auth.passive import passive_authenticate
from reader.errors import (
    CardRemovedError,
    CardStatusError,
    FileNotFoundOnCard,
    NotICAOCardError,
    ParseError,
    ProtocolError,
    SecurityStatusNotSatisfied,
)
from reader.filereader import READ_SIZE_LADDER, FileReader
from reader.findings import (
    EF_COM_MALFORMED,
    READ_RESUMED,
    RESUME_DIFFERENT_CARD,
    Finding,
    aa_info_findings,
    optional_file_findings,
)
from reader.lds.com import parse_com
from reader.lds.files import EF_CARD_ACCESS, EF_COM, EF_SOD, dg
from reader.lds.sod import SOD
from reader.pki.trust import CSCAStore
from reader.report import (
    AccessInfo,
    FileResult,
    FileStatus,
    ProofCheck,
    ReadStats,
    Verdict,
    compute_verdict,
)
from reader.resume import PartialRead, ReadInterrupted
from reader.session import CardSession
from reader.transports.base import Transport

if TYPE_CHECKING:
    from reader.auth.anticlone import AntiCloneOutcome
    from reader.auth.passive import PassiveAuthResult
    from reader.pki.trust import CSCAStore


class Phase(enum.Enum):
    """Stable progress phases (for a progress bar; values never change meaning)."""

    CONNECT = "connect"
    CARD_ACCESS = "card_access"
    ACCESS_CONTROL = "access_control"
    READ_FILES = "read_files"
    PASSIVE_AUTH = "passive_auth"
    CHIP_AUTH = "chip_auth"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Progress:
    phase: Phase
    file: str | None = None
    done: int = 0
    total: int = 0


# Fingerprints and iris (DG3, DG4) need Terminal Authentication keys only the police hold; the kiosk never
# asks for them unless told to (integrations.md: "never DG3").
DEFAULT_EXCLUDED_DGS = frozenset({3, 4})
# Read when neither EF.COM nor EF.SOD says what the chip holds (a CCCD's groups, cccd-chip.md §3).
FALLBACK_DGS = (1, 2, 13, 14, 15)


@dataclass(frozen=True)
class ReadRequest:
    """What to read and how to open the chip.  ``can``: the Card Access Number for PACE (never shown);
    ``card_access_fallback``: EF.CardAccess to assume for card types known to hide it."""

    bac_key: BACKeyInput | None = None
    can: str | None = None
    access: AccessMode = AccessMode.AUTO
    card_access_fallback: bytes | None = None
    data_groups: tuple[int, ...] | None = None  # None: those listed in EF.COM and the SOD, minus DG3/DG4
    trust: CSCAStore | None = None
    at: datetime | None = None  # time for certificate validity; now by default
    read_sizes: tuple[int, ...] = READ_SIZE_LADDER

    def __repr__(self) -> str:
        return f"ReadRequest(access={self.access.value}, data_groups={self.data_groups})"

    def plan(self) -> AccessPlan:
        return AccessPlan(self.bac_key, self.can, self.access, self.card_access_fallback)


@dataclass
class ChipReadResult:
    """Everything one read produced.  ``raw`` holds the files as read (for hashing and dumps)."""

    access: AccessInfo
    raw: dict[str, bytes]
    files: dict[str, FileResult]
    passive_auth: PassiveAuthResult | None
    proofs: list[ProofCheck]
    verdict: Verdict
    reasons: list[str]
    stats: ReadStats
    notes: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)  # for evidence.json (no secrets)
    findings: list[Finding] = field(default_factory=list)  # issue 12: workarounds and missing optional files

    def __repr__(self) -> str:  # raw holds personal data
        return f"ChipReadResult(verdict={self.verdict.value}, files={sorted(self.raw)})"

    def data_group(self, number: int) -> bytes | None:
        return self.raw.get(f"DG{number}")


ProgressCallback = Callable[[Progress], None]


class ChipReader:
    """Runs the read steps over one transport."""

    def __init__(
        self,
        transport: Transport,
        *,
        progress: ProgressCallback | None = None,
        rng: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.session = CardSession(transport)
        self._progress = progress
        self._rng = rng

    def _emit(self, phase: Phase, file: str | None = None, done: int = 0, total: int = 0) -> None:
        if self._progress is not None:
            self._progress(Progress(phase, file, done, total))

    def read(self, request: ReadRequest, *, resume: PartialRead | None = None) -> ChipReadResult:
        """Read and verify the chip.  ``resume``: the ``partial`` of a :class:`ReadInterrupted` raised by an
        earlier read of the same card (see :mod:`reader.resume`)."""
        raw: dict[str, bytes] = {}
        try:
            return self._read(request, resume, raw)
        except ReadInterrupted:
            raise
        except CardRemovedError as exc:
            carried = resume.raw if resume is not None and EF_SOD.name not in raw else {}
            partial = PartialRead({**carried, **raw}, tuple(self.session.findings))
            raise ReadInterrupted(partial, str(exc)) from exc

    def _read(
        self, request: ReadRequest, resume: PartialRead | None, raw: dict[str, bytes]
    ) -> ChipReadResult:
        t_wall, t_cpu = time.perf_counter(), time.process_time()
        reader = FileReader(
            self.session,
            ladder=request.read_sizes,
            progress=lambda name, done, total: self._emit(Phase.READ_FILES, name, done, total),
        )
        files: dict[str, FileResult] = {}
        # One list for every finding of the read: the session's workarounds, the engine's own findings and
        # those of the interrupted read resumed; the result and a PartialRead are both built from it.
        findings = self.session.findings
        earlier = len(resume.findings) if resume is not None else 0
        findings[:0] = resume.findings if resume is not None else ()

        notes: list[str] = []
        self._emit(Phase.CARD_ACCESS)
        card_access = self._read_optional(reader, EF_CARD_ACCESS.name, lambda: reader.read_ef(EF_CARD_ACCESS))
        if card_access is not None:
            raw[EF_CARD_ACCESS.name] = card_access
            files[EF_CARD_ACCESS.name] = FileResult(EF_CARD_ACCESS.name, FileStatus.READ, len(card_access))
        else:
            files[EF_CARD_ACCESS.name] = FileResult(EF_CARD_ACCESS.name, FileStatus.ABSENT)
        plan = request.plan()
        view = card_access_view(card_access, request.card_access_fallback)
        if view.source == "configured":
            notes.append("EF.CardAccess not readable: the configured CardAccess of this card type was used")

        self._emit(Phase.ACCESS_CONTROL)
        access, downgrade = try_pace(self.session, plan, view, self._rng)  # before SELECT (§4.2)
        try:
            reader.select_application()
        except FileNotFoundOnCard as exc:
            raise NotICAOCardError("the card has no ICAO eMRTD application") from exc
        if access is None:
            access = open_with_bac(self.session, plan, view, downgrade, self._rng)
        self.session.set_channel_opener(
            channel_opener(self.session, plan, access, reader.select_application, self._rng)
        )

        self._emit(Phase.READ_FILES)
        self._read_file(reader, EF_COM.name, lambda: reader.read_ef(EF_COM), raw, files, tolerate=True)
        self._read_file(reader, EF_SOD.name, lambda: reader.read_ef(EF_SOD), raw, files)
        reused: dict[str, bytes] = {}
        same = resume.same_card(raw.get(EF_SOD.name)) if resume is not None else None
        if resume is not None and same:
            reused = resume.reusable_with(raw.get(EF_SOD.name))
            findings.append(Finding(READ_RESUMED, detail=f"{len(reused)} data groups kept"))
        elif same is False:  # another card: nothing of the first one is kept, not even its findings
            findings[:earlier] = [Finding(RESUME_DIFFERENT_CARD)]
        sod = _parse_sod(raw.get(EF_SOD.name))  # once, for the data-group list and passive authentication
        for number in self._data_groups_to_read(request, raw, findings, sod):
            ef = dg(number)
            if ef.name in reused:
                raw[ef.name] = reused[ef.name]
                files[ef.name] = FileResult(ef.name, FileStatus.READ, len(reused[ef.name]))
                continue
            self._read_file(reader, ef.name, lambda ef=ef: reader.read_ef(ef), raw, files)  # type: ignore[misc]

        self._emit(Phase.PASSIVE_AUTH)
        pa = self._passive_auth(request, raw, sod)
        self._emit(Phase.CHIP_AUTH)
        anticlone = self._anticlone(raw, pa, access, sfi_usable=reader.sfi_usable)
        verdict, reasons = compute_verdict(pa, anticlone.proofs, data_groups=data_groups_read(raw))
        self._emit(Phase.DONE)
        s = self.session.stats
        stats = ReadStats(
            s.apdus, s.bytes_in, s.bytes_out,
            (time.perf_counter() - t_wall) * 1000, (time.process_time() - t_cpu) * 1000,
        )  # fmt: skip
        findings += optional_file_findings(files) + aa_info_findings(raw)
        return ChipReadResult(
            access.info, raw, files, pa, anticlone.proofs, verdict, reasons, stats,
            notes + anticlone.notes, anticlone.evidence, list(findings),
        )  # fmt: skip

    # --- steps ----------------------------------------------------------------------------------

    def _anticlone(
        self,
        raw: Mapping[str, bytes],
        pa: PassiveAuthResult,
        access: AccessOutcome,
        *,
        sfi_usable: bool = True,
    ) -> AntiCloneOutcome:

        return run_anticlone(self.session, raw, pa, access.pace, rng=self._rng, sfi_usable=sfi_usable)

    @staticmethod
    def _read_optional(reader: FileReader, name: str, read: Callable[[], bytes]) -> bytes | None:
        try:
            return read()
        except (CardStatusError, ParseError):
            return None

    @staticmethod
    def _read_file(
        reader: FileReader,
        name: str,
        read: Callable[[], bytes],
        raw: dict[str, bytes],
        files: dict[str, FileResult],
        *,
        tolerate: bool = False,
    ) -> None:
        """``tolerate``: a file whose structure or answers are broken is recorded as unparseable (EF.COM:
        the data groups can come from EF.SOD) instead of ending the read."""
        try:
            content = read()
        except SecurityStatusNotSatisfied as exc:
            files[name] = FileResult(name, FileStatus.REFUSED, sw=exc.sw, reason="access rights not granted")
            return
        except FileNotFoundOnCard as exc:
            files[name] = FileResult(name, FileStatus.ABSENT, sw=exc.sw)
            return
        except (ProtocolError, CardStatusError) as exc:
            if not tolerate:
                raise
            sw = exc.sw if isinstance(exc, CardStatusError) else None
            files[name] = FileResult(name, FileStatus.UNPARSEABLE, sw=sw, reason="not a readable TLV file")
            return
        raw[name] = content
        files[name] = FileResult(name, FileStatus.READ, len(content))

    @staticmethod
    def _data_groups_to_read(
        request: ReadRequest,
        raw: Mapping[str, bytes],
        findings: list[Finding],
        sod: SOD | None,
    ) -> Iterable[int]:
        """The data groups to read; ``sod``: EF.SOD as decoded by the caller (None when absent or malformed);
        an EF.COM that is missing or does not parse is recorded in ``findings``."""
        if request.data_groups is not None:
            return sorted(set(request.data_groups))
        wanted: set[int] = set()
        com_ok = False
        if EF_COM.name in raw:
            try:
                wanted |= set(parse_com(raw[EF_COM.name]).data_groups)
                com_ok = True
            except ParseError:
                pass
        if not com_ok:
            findings.append(Finding(EF_COM_MALFORMED, EF_COM.name, "data groups taken from EF.SOD"))
        if sod is not None:
            wanted |= set(sod.dg_hashes)
        if not wanted:
            wanted = set(FALLBACK_DGS)
        return sorted(wanted - DEFAULT_EXCLUDED_DGS)

    @staticmethod
    def _passive_auth(
        request: ReadRequest, raw: Mapping[str, bytes], sod: SOD | None = None
    ) -> PassiveAuthResult:
        return run_passive_auth(raw, request.trust, request.at, sod=sod)


def _parse_sod(raw: bytes | None) -> SOD | None:
    """EF.SOD decoded, or None when it is absent or malformed (passive authentication then says why)."""
    if raw is None:
        return None
    try:
        return SOD.from_bytes(raw)
    except ParseError:
        return None


def data_groups_read(raw: Mapping[str, bytes]) -> frozenset[int]:
    """The numbers of the data groups present in ``raw`` (keys ``DG1`` … ``DG16``)."""
    return frozenset(int(name[2:]) for name in raw if name.startswith("DG") and name[2:].isdigit())


def run_passive_auth(
    raw: Mapping[str, bytes], trust: CSCAStore | None, at: datetime | None, *, sod: SOD | None = None
) -> PassiveAuthResult:
    """Passive authentication over the files as read (keys ``EF.SOD``, ``DG1`` …); ``sod``: EF.SOD already
    decoded by the caller (it is decoded again unless its ``raw`` is the file read)."""

    dgs = {int(name[2:]): data for name, data in raw.items() if name.startswith("DG")}
    store = trust if trust is not None else CSCAStore()
    return passive_authenticate(raw.get(EF_SOD.name, b""), dgs, store, at=at or datetime.now(UTC), parsed=sod)


def verify_offline(
    raw: Mapping[str, bytes],
    trust: CSCAStore | None = None,
    at: datetime | None = None,
    evidence: Mapping[str, Any] | None = None,
) -> ChipReadResult:
    """Re-run passive authentication on files saved earlier and re-check the saved anti-clone evidence
    (``cccd verify-dump``), without a card."""

    t_wall, t_cpu = time.perf_counter(), time.process_time()
    pa = run_passive_auth(raw, trust, at)
    anticlone = recheck_evidence(raw, pa, evidence or {})
    verdict, reasons = compute_verdict(pa, anticlone.proofs, data_groups=data_groups_read(raw))
    files = {name: FileResult(name, FileStatus.READ, len(data)) for name, data in raw.items()}
    stats = ReadStats(0, 0, 0, (time.perf_counter() - t_wall) * 1000, (time.process_time() - t_cpu) * 1000)
    return ChipReadResult(
        AccessInfo("none", protocol="offline dump"), dict(raw), files, pa, anticlone.proofs, verdict, reasons,
        stats, anticlone.notes, anticlone.evidence,
    )  # fmt: skip

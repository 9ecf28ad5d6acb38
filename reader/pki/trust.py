"""The CSCA trust store (ICAO 9303-12 §5, §8; ICAO 9303-11 §5.1 step 3).

Trust anchors come from a folder of certificates (PEM or DER: ``.cer .crt .der .pem``), from CSCA master
lists (``.ml``, signature-checked by :mod:`reader.pki.masterlist`) and from code (:meth:`CSCAStore.add`).
CRLs (``.crl``, PEM or DER) are kept alongside and consulted only once their signature verifies with the
CSCA they name.  A file that cannot be used is recorded in :attr:`CSCAStore.problems`, not fatal: one bad
file must not empty a kiosk's trust store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reader.pki.certs import Certificate, load_certificates
from reader.pki.crl import CRL
from reader.pki.errors import PKIError, TrustStoreError
from reader.pki.masterlist import MasterList, parse_master_list

CERTIFICATE_SUFFIXES = frozenset({".cer", ".crt", ".der", ".pem"})
MASTER_LIST_SUFFIXES = frozenset({".ml"})
CRL_SUFFIXES = frozenset({".crl"})


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """A trust-store file that was skipped, and why."""

    source: str
    reason: str


class CSCAStore:
    """Country Signing CA certificates (and CRLs) trusted for passive authentication."""

    def __init__(
        self, certificates: Iterable[Certificate | bytes] = (), crls: Iterable[CRL | bytes] = ()
    ) -> None:
        """Trust ``certificates`` and keep ``crls`` (decoded, or as DER/PEM bytes)."""
        self._certs: dict[bytes, Certificate] = {}
        self._crls: dict[bytes, CRL] = {}
        self._master_lists: list[MasterList] = []
        self._problems: list[LoadProblem] = []
        for cert in certificates:
            self.add(cert)
        for crl in crls:
            self.add_crl(crl)

    # --- loading ---------------------------------------------------------------------------------

    @classmethod
    def from_folder(cls, path: str | Path) -> CSCAStore:
        """Load every certificate, master list and CRL under ``path`` (recursively, in name order)."""
        root = Path(path)
        if not root.is_dir():
            raise TrustStoreError(f"trust-store folder not found: {root}")
        store = cls()
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            store.load_file(file)
        return store

    @classmethod
    def from_master_list(cls, data: bytes) -> CSCAStore:
        """A store holding the CSCAs of one master list (raises on a bad or badly signed list)."""
        store = cls()
        store.add_master_list(data)
        return store

    def load_file(self, file: Path) -> None:
        """Load one file by its suffix; unusable files are recorded in :attr:`problems`."""
        suffix = file.suffix.lower()
        try:
            if suffix in CERTIFICATE_SUFFIXES:
                for cert in load_certificates(file.read_bytes()):
                    self.add(cert)
            elif suffix in MASTER_LIST_SUFFIXES:
                self.add_master_list(file.read_bytes())
            elif suffix in CRL_SUFFIXES:
                self.add_crl(CRL.from_bytes(file.read_bytes()))
        except (PKIError, OSError) as exc:
            self._problems.append(LoadProblem(file.name, f"{type(exc).__name__}: {exc}"))

    def add(self, cert: Certificate | bytes) -> Certificate:
        """Trust one CSCA (or link) certificate, given decoded or as DER/PEM bytes."""
        if not isinstance(cert, Certificate):
            loaded = load_certificates(cert)
            for extra in loaded[1:]:
                self.add(extra)
            cert = loaded[0]
        self._certs.setdefault(cert.der, cert)
        return cert

    def add_crl(self, crl: CRL | bytes) -> CRL:
        """Keep a CRL (DER or PEM bytes, or decoded); it counts only if its CSCA's key verifies it."""
        if not isinstance(crl, CRL):
            crl = CRL.from_bytes(crl)
        self._crls.setdefault(crl.der, crl)
        return crl

    def add_master_list(self, data: bytes) -> MasterList:
        """Trust every CSCA of a master list whose signature verifies (or that carries no signer)."""
        ml = parse_master_list(data)
        for cert in ml.certificates:
            self.add(cert)
        self._master_lists.append(ml)
        return ml

    # --- queries ---------------------------------------------------------------------------------

    @property
    def certificates(self) -> tuple[Certificate, ...]:
        return tuple(self._certs.values())

    @property
    def crls(self) -> tuple[CRL, ...]:
        return tuple(self._crls.values())

    @property
    def master_lists(self) -> tuple[MasterList, ...]:
        return tuple(self._master_lists)

    @property
    def problems(self) -> tuple[LoadProblem, ...]:
        return tuple(self._problems)

    def __len__(self) -> int:
        return len(self._certs)

    def __contains__(self, cert: object) -> bool:
        return isinstance(cert, Certificate) and cert.der in self._certs

    def __repr__(self) -> str:
        return f"CSCAStore(certificates={len(self._certs)}, crls={len(self._crls)})"

    def issuers_of(self, cert: Certificate) -> tuple[Certificate, ...]:
        """Trusted certificates whose subject is ``cert``'s issuer; those whose subject key identifier
        equals ``cert``'s authority key identifier first (RFC 5280 §4.2.1.1)."""
        named = [c for c in self._certs.values() if cert.issued_by_name(c)]
        aki = cert.authority_key_identifier
        return tuple(sorted(named, key=lambda c: not (aki is not None and c.subject_key_identifier == aki)))

    def crls_for(self, csca: Certificate) -> tuple[CRL, ...]:
        """The CRLs issued under ``csca``'s name whose signature its key verifies."""
        return tuple(crl for crl in self._crls.values() if crl.verified_by(csca))

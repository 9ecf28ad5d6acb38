"""A managed CSCA trust store on disk: import, list, status, remove (docs/trust.md).

The store is a folder that :meth:`reader.pki.trust.CSCAStore.from_folder` reads as it is (so ``--trust DIR``
works on it): ``csca/<sha256>.der`` per trusted CSCA, ``crl/<sha256>.crl`` per CRL, and ``index.json``
(where each entry came from, when; ignored by the loader).

Rules (ICAO 9303-12 §5, §8; RFC 5280 §6.3):

* a master list (``.ml``, or each ``CscaMasterListData`` entry of an ICAO PKD LDIF download) is imported
  only when its CMS signature verifies (:mod:`reader.pki.masterlist`)
  *and* the Master List Signer's certificate is signed by one of the signer CAs the deployer pinned and is
  valid now — there is no way to import an unsigned or unpinned list (an LDIF's other lists are skipped
  and reported; an LDIF with no acceptable list is refused);
* its expired CSCAs are skipped (reported), the others added;
* a lone CSCA certificate (PEM/DER) must be a CA certificate, valid now, and — when the deployer gives the
  fingerprint obtained out of band — have that SHA-256 fingerprint;
* a CRL is kept only when a CSCA of the store (or of the same import) verifies its signature; a newer CRL
  of the same CSCA replaces the older one; a stale CRL is accepted (it still proves revocations) and
  reported by :func:`status`.

Every change is atomic: the new content is written to a temporary sibling folder and swapped in with
``renameat2(RENAME_EXCHANGE)``; a file that fails any rule changes nothing.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import ctypes.util
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import cms, keys, pem

from reader.pki.certs import Certificate, Validity, load_certificates
from reader.pki.crl import CRL
from reader.pki.errors import ASN1_ERRORS, MasterListSignatureError, PKIError
from reader.pki.keys import named_curve_for_explicit
from reader.pki.masterlist import MasterList, MasterListSignature, parse_master_list

INDEX_FILE = "index.json"
INDEX_FORMAT = "cccd-trust/1"
CSCA_DIR = "csca"
CRL_DIR = "crl"
MAX_IMPORT_BYTES = 64 * 1024 * 1024  # the ICAO master list is a few MB


class TrustImportError(PKIError):
    """A file cannot be imported; nothing was changed.  ``malformed``: unreadable input (vs. refused)."""

    def __init__(self, message: str, *, malformed: bool = False) -> None:
        super().__init__(message)
        self.malformed = malformed


class TrustStoreStateError(PKIError):
    """The managed store folder is not usable (corrupt index, not a managed store)."""


# --- describing certificates ------------------------------------------------------------------------


def key_type(cert: Certificate) -> str:
    """``RSA-3072``, ``EC brainpoolP512r1 (explicit parameters)``, ``EC secp256r1`` …"""
    try:
        spki = keys.PublicKeyInfo.load(cert.spki_der, strict=True)
        algorithm = spki["algorithm"]["algorithm"].native
        if algorithm in ("rsa", "rsassa_pss"):
            bits = int(spki["public_key"].parsed["modulus"].native).bit_length()
            return f"RSA-{bits}" + (" (PSS)" if algorithm == "rsassa_pss" else "")
        if algorithm == "ec":
            params = spki["algorithm"]["parameters"]
            if params.name == "named":
                return f"EC {params.chosen.native}"
            if params.name == "specified":
                try:
                    return f"EC {named_curve_for_explicit(params.chosen).name} (explicit parameters)"
                except PKIError:
                    return "EC unknown explicit parameters"
        return str(algorithm)
    except ASN1_ERRORS:
        return "unreadable"


def country_of(cert: Certificate) -> str:
    """The ``C=`` of the subject (ISO 3166-1 alpha-2), ``??`` when absent."""
    try:
        for rdn in cert.subject_name.chosen:
            for atv in rdn:
                if atv["type"].native == "country_name":
                    return str(atv["value"].native).upper()
    except ASN1_ERRORS:
        pass
    return "??"


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class CSCAEntry:
    """One trusted CSCA as listed: who, until when, which key, where it came from."""

    cert: Certificate
    sources: tuple[dict[str, Any], ...]

    @property
    def fingerprint(self) -> str:
        return self.cert.fingerprint

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint, "country": country_of(self.cert), "subject": self.cert.subject,
            "serial": f"{self.cert.serial_number:X}", "not_before": _iso(self.cert.not_before),
            "not_after": _iso(self.cert.not_after), "validity": self.cert.validity_at(now).value,
            "key_type": key_type(self.cert), "self_signed": self.cert.issued_by_name(self.cert),
            "sources": list(self.sources),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class CRLEntry:
    crl: CRL
    sha256: str
    source: dict[str, Any]

    def to_dict(self, now: datetime) -> dict[str, Any]:
        c = self.crl
        return {
            "sha256": self.sha256, "issuer": c.issuer, "this_update": _iso(c.this_update),
            "next_update": _iso(c.next_update) if c.next_update else None, "stale": c.is_stale(now),
            "revoked": len(c.revoked_serials), "source": self.source,
        }  # fmt: skip


@dataclass(slots=True)
class ImportReport:
    """What an import did (or would have done: ``dry_run``)."""

    file: str
    file_sha256: str
    kind: str  # "master_list" | "ldif" | "certificates" | "crl"
    added: list[str] = field(default_factory=list)  # fingerprints / CRL hashes
    already_present: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    replaced_crls: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    master_list: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "file_sha256": self.file_sha256, "kind": self.kind, "added": self.added,
            "already_present": self.already_present, "skipped": self.skipped,
            "replaced_crls": self.replaced_crls, "warnings": self.warnings, "master_list": self.master_list,
        }  # fmt: skip


# --- the store ---------------------------------------------------------------------------------------


class ManagedTrustStore:
    """The trust folder at ``root`` (created on first import)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    # --- reading ---

    def _index(self) -> dict[str, Any]:
        path = self.root / INDEX_FILE
        if not path.exists():
            if self.root.exists() and any(self.root.iterdir()):
                raise TrustStoreStateError(f"{self.root} is not a managed trust store (no {INDEX_FILE})")
            return {"format": INDEX_FORMAT, "cscas": {}, "crls": {}, "imports": []}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise TrustStoreStateError(f"{INDEX_FILE} unreadable ({type(exc).__name__})") from None
        if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT:
            raise TrustStoreStateError(f"{INDEX_FILE}: not a {INDEX_FORMAT} index")
        return data

    def cscas(self) -> list[CSCAEntry]:
        index = self._index()
        out = []
        for fp, meta in sorted(index["cscas"].items()):
            cert = Certificate.from_der((self.root / CSCA_DIR / f"{fp}.der").read_bytes())
            out.append(CSCAEntry(cert, tuple(meta.get("sources", ()))))
        return out

    def crls(self) -> list[CRLEntry]:
        index = self._index()
        return [
            CRLEntry(
                CRL.from_bytes((self.root / CRL_DIR / f"{h}.crl").read_bytes()), h, meta.get("source", {})
            )
            for h, meta in sorted(index["crls"].items())
        ]

    def imports(self) -> list[dict[str, Any]]:
        return list(self._index()["imports"])

    # --- changing ---

    def import_file(
        self, path: str | Path, *, signer_cas: Sequence[Certificate] = (), fingerprint: str | None = None,
        now: datetime | None = None, dry_run: bool = False,
    ) -> ImportReport:  # fmt: skip
        """Import one master list, certificate file or CRL (see the module docstring for the rules)."""
        file = Path(path)
        try:
            size = file.stat().st_size
            if size > MAX_IMPORT_BYTES:
                raise TrustImportError(f"{file.name}: larger than {MAX_IMPORT_BYTES} bytes", malformed=True)
            data = file.read_bytes()
        except OSError as exc:
            raise TrustImportError(f"{file.name}: cannot read ({exc.strerror})", malformed=True) from None
        return self.import_bytes(data, file.name, signer_cas=signer_cas, fingerprint=fingerprint,
                                 now=now, dry_run=dry_run)  # fmt: skip

    def import_bytes(
        self, data: bytes, name: str, *, signer_cas: Sequence[Certificate] = (),
        fingerprint: str | None = None, now: datetime | None = None, dry_run: bool = False,
    ) -> ImportReport:  # fmt: skip
        at = now or datetime.now(UTC)
        kind = detect_kind(data, name)
        report = ImportReport(name, hashlib.sha256(data).hexdigest(), kind)
        source: dict[str, Any] = {
            "file": name,
            "file_sha256": report.file_sha256,
            "kind": kind,
            "imported_at": _iso(at),
        }
        with self._locked():
            index = self._index()
            new_certs: dict[str, Certificate] = {}
            new_crls: dict[str, CRL] = {}
            if kind in ("master_list", "ldif"):
                lists = [data] if kind == "master_list" else ldif_master_lists(data, name)
                accepted, refusals = [], []
                for one in lists:
                    try:
                        accepted.append(_checked_master_list(one, signer_cas, at))
                    except TrustImportError as exc:
                        if kind == "master_list":
                            raise
                        refusals.append(str(exc))
                if not accepted:
                    raise TrustImportError(f"{name}: none of its {len(lists)} master lists is signed under a "
                                           "pinned signer CA")  # fmt: skip
                report.warnings += [f"master list not imported: {r}" for r in sorted(set(refusals))]
                for ml in accepted:
                    self._take_master_list(ml, report, source, new_certs, at)
            elif kind == "certificates":
                certs = _load_certs(data, name)
                if fingerprint is not None:
                    wanted = fingerprint.replace(":", "").lower()
                    if len(certs) != 1 or certs[0].fingerprint != wanted:
                        raise TrustImportError(f"{name}: SHA-256 fingerprint does not match the one given")
                for cert in certs:
                    why = _unusable_csca(cert, at)
                    if why:
                        raise TrustImportError(f"{name}: {cert.subject}: {why}")
                    new_certs[cert.fingerprint] = cert
            else:
                crl = _load_crl(data, name)
                issuers = [*new_certs.values(), *(e.cert for e in self._entries(index))]
                if not any(crl.verified_by(c) for c in issuers):
                    raise TrustImportError(
                        f"{name}: no CSCA in the store verifies this CRL (import it first)"
                    )
                new_crls[hashlib.sha256(crl.der).hexdigest()] = crl
                if crl.is_stale(at):
                    report.warnings.append("CRL is past its nextUpdate (stale): fetch a current one")
            self._apply(index, report, source, new_certs, new_crls, dry_run)
        return report

    def remove(self, selectors: Iterable[str], *, country: str | None = None) -> list[str]:
        """Remove CSCAs or CRLs by fingerprint / CRL hash (a unique prefix of ≥ 8 hex digits), or every CSCA
        of ``country`` (with its CRLs).  Returns what was removed; raises when a selector matches nothing."""
        with self._locked():
            index = self._index()
            removed: list[str] = []
            for sel in selectors:
                s = sel.replace(":", "").lower()
                if len(s) < 8:
                    raise TrustImportError(f"{sel}: give at least 8 hex digits", malformed=True)
                hits = [k for k in [*index["cscas"], *index["crls"]] if k.startswith(s)]
                if len(hits) != 1:
                    raise TrustImportError(f"{sel}: matches {len(hits)} entries", malformed=True)
                removed.append(hits[0])
            entries = self._entries(index)  # every CSCA read once
            if country is not None:
                for entry in entries:
                    if country_of(entry.cert) == country.upper():
                        removed.append(entry.fingerprint)
                if not removed:
                    raise TrustImportError(f"no CSCA of country {country.upper()}", malformed=True)
            gone_certs = [e.cert for e in entries if e.fingerprint in removed]
            keep = [e.cert for e in entries if e.fingerprint not in removed]
            for h in list(index["crls"]):  # a CRL whose every issuer goes, goes too
                if h in removed:
                    continue
                crl = CRL.from_bytes((self.root / CRL_DIR / f"{h}.crl").read_bytes())
                if any(crl.verified_by(c) for c in gone_certs) and not any(crl.verified_by(c) for c in keep):
                    removed.append(h)

            def change(tmp: Path, idx: dict[str, Any]) -> None:
                for key in removed:
                    if idx["cscas"].pop(key, None) is not None:
                        (tmp / CSCA_DIR / f"{key}.der").unlink()
                    if idx["crls"].pop(key, None) is not None:
                        (tmp / CRL_DIR / f"{key}.crl").unlink()
                idx["imports"].append({"removed": removed, "at": _iso(datetime.now(UTC))})

            self._swap(index, change)
            return removed

    # --- internals ---

    @staticmethod
    def _take_master_list(ml: MasterList, report: ImportReport, source: dict[str, Any],
                          new_certs: dict[str, Certificate], at: datetime) -> None:  # fmt: skip
        signer = ml.signer.subject if ml.signer else None
        summary = ml.to_dict() | {"signer_not_after": _iso(ml.signer.not_after) if ml.signer else None}
        report.master_list = summary if report.master_list is None else report.master_list
        source.setdefault("ml_signers", []).append(signer)
        if ml.skipped:
            report.warnings.append(f"{ml.skipped} entries of a list are not certificates")
        for cert in ml.certificates:
            why = _unusable_csca(cert, at)
            if why:
                report.skipped.append(
                    {"fingerprint": cert.fingerprint, "subject": cert.subject, "reason": why}
                )
            else:
                new_certs[cert.fingerprint] = cert

    def _entry(self, fp: str) -> CSCAEntry:
        return CSCAEntry(Certificate.from_der((self.root / CSCA_DIR / f"{fp}.der").read_bytes()), ())

    def _entries(self, index: dict[str, Any]) -> list[CSCAEntry]:
        return [self._entry(fp) for fp in index["cscas"]]

    def _apply(self, index: dict[str, Any], report: ImportReport, source: dict[str, Any],
               certs: dict[str, Certificate], crls: dict[str, CRL], dry_run: bool) -> None:  # fmt: skip
        for fp in certs:
            (report.already_present if fp in index["cscas"] else report.added).append(fp)
        replaced: list[str] = []
        for h, crl in crls.items():
            if h in index["crls"]:
                report.already_present.append(h)
                continue
            for old_h in index["crls"]:
                old = CRL.from_bytes((self.root / CRL_DIR / f"{old_h}.crl").read_bytes())
                if old.issuer_name == crl.issuer_name:
                    if old.this_update > crl.this_update:
                        raise TrustImportError(f"{report.file}: the store holds a newer CRL of this CSCA")
                    replaced.append(old_h)
            report.added.append(h)
        report.replaced_crls = replaced
        sha = source["file_sha256"]
        new_source = [fp for fp in certs if sha not in _source_hashes(index, fp)]
        if dry_run or not (report.added or new_source):
            return  # nothing new: the same file imported again changes nothing

        def change(tmp: Path, idx: dict[str, Any]) -> None:
            for fp, cert in certs.items():
                meta = idx["cscas"].setdefault(fp, {"sources": []})
                if fp in new_source:  # a list seen before is not recorded twice
                    meta["sources"].append(source)
                if not (tmp / CSCA_DIR / f"{fp}.der").exists():
                    _write(tmp / CSCA_DIR / f"{fp}.der", cert.der)
            for old_h in replaced:
                idx["crls"].pop(old_h, None)
                (tmp / CRL_DIR / f"{old_h}.crl").unlink()
            for h, crl in crls.items():
                if h not in idx["crls"]:
                    idx["crls"][h] = {"source": source}
                    _write(tmp / CRL_DIR / f"{h}.crl", crl.der)
            idx["imports"].append(source | {"added": len(report.added), "skipped": len(report.skipped)})

        self._swap(index, change)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.parent.mkdir(parents=True, exist_ok=True)
        lock = self.root.parent / f".{self.root.name}.lock"
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            _recover(self.root)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _swap(self, index: dict[str, Any], change: Any) -> None:
        """Copy the store to a temporary sibling, apply ``change(tmp, index)``, then exchange the two."""
        tmp = Path(tempfile.mkdtemp(prefix=f".{self.root.name}.new-", dir=self.root.parent))
        try:
            if self.root.exists():
                shutil.copytree(self.root, tmp, dirs_exist_ok=True)
            for sub in (CSCA_DIR, CRL_DIR):
                (tmp / sub).mkdir(exist_ok=True)
            idx = json.loads(json.dumps(index))
            change(tmp, idx)
            _write(tmp / INDEX_FILE, json.dumps(idx, indent=1, ensure_ascii=False).encode())
            tmp.chmod(0o755)
            _fsync_dir(tmp)
            if self.root.exists():
                _exchange(tmp, self.root)
            else:
                os.rename(tmp, self.root)
            _fsync_dir(self.root.parent)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


# --- import rules ----------------------------------------------------------------------------------------


_LDIF_ML_ATTRIBUTE = "cscamasterlistdata"


def ldif_master_lists(data: bytes, name: str) -> list[bytes]:
    """The master lists of an ICAO PKD LDIF download (RFC 2849; collection "CSCA MasterList": one entry
    per list, attribute ``CscaMasterListData::`` holding the DER list in base64; folded lines)."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise TrustImportError(f"{name}: LDIF is not ASCII", malformed=True) from None
    unfolded: list[str] = []
    for line in text.splitlines():
        if line.startswith(" ") and unfolded:
            unfolded[-1] += line[1:]
        else:
            unfolded.append(line)
    out = []
    for line in unfolded:
        attr, sep, value = line.partition("::")
        if sep and attr.strip().lower() == _LDIF_ML_ATTRIBUTE:
            try:
                out.append(base64.b64decode(value.strip(), validate=True))
            except ValueError:
                raise TrustImportError(f"{name}: damaged base64 in the LDIF", malformed=True) from None
    if not out:
        raise TrustImportError(f"{name}: no CscaMasterListData entry in the LDIF", malformed=True)
    return out


def detect_kind(data: bytes, name: str) -> str:
    """``master_list``, ``ldif``, ``certificates`` or ``crl``, from the content (PEM label, LDIF
    attribute or DER structure)."""
    if not data:
        raise TrustImportError(f"{name}: empty file", malformed=True)
    if data.lstrip()[:4].lower() in (b"dn: ", b"vers") or b"\ncscamasterlistdata::" in data[:100_000].lower():
        return "ldif"
    if pem.detect(data):
        try:
            labels = {type_ for type_, _, _ in pem.unarmor(data, multiple=True)}
        except ASN1_ERRORS:
            raise TrustImportError(f"{name}: malformed PEM", malformed=True) from None
        if labels == {"X509 CRL"}:
            return "crl"
        if labels == {"CERTIFICATE"}:
            return "certificates"
        raise TrustImportError(
            f"{name}: PEM must hold only CERTIFICATE or only X509 CRL blocks", malformed=True
        )
    try:
        info = cms.ContentInfo.load(data, strict=True)
        if info["content_type"].native == "signed_data":
            return "master_list"
    except ASN1_ERRORS:
        pass
    try:
        Certificate.from_der(data)
        return "certificates"
    except PKIError:
        pass
    try:
        CRL.from_bytes(data)
        return "crl"
    except PKIError:
        pass
    raise TrustImportError(
        f"{name}: neither a master list, a certificate nor a CRL (truncated or damaged?)", malformed=True
    )


def _checked_master_list(data: bytes, signer_cas: Sequence[Certificate], at: datetime) -> MasterList:
    if not signer_cas:
        raise TrustImportError("a master list needs the pinned signer CA (--signer-ca FILE)")
    try:
        ml = parse_master_list(data)
    except PKIError as exc:
        malformed = not isinstance(exc, MasterListSignatureError)  # a bad signature is a refusal
        raise TrustImportError(f"master list refused: {exc}", malformed=malformed) from None
    if ml.signature is not MasterListSignature.VALID or ml.signer is None:
        raise TrustImportError(f"master list refused: signature {ml.signature.value}")
    signer = ml.signer
    if signer.validity_at(at) is not Validity.VALID:
        raise TrustImportError(
            f"master list refused: its signer's certificate is {signer.validity_at(at).value}"
        )
    for ca in signer_cas:
        if not signer.issued_by_name(ca):
            continue
        try:
            if signer.is_signed_by(ca) and ca.validity_at(at) is Validity.VALID:
                return ml
        except PKIError:
            continue
    raise TrustImportError(
        f"master list refused: its signer ({signer.subject}) is not issued by a pinned signer CA"
    )


def _unusable_csca(cert: Certificate, at: datetime) -> str | None:
    if cert.is_ca is not True:  # ICAO 9303-12 §7.1.1 profile: a CSCA carries basicConstraints cA TRUE
        return "not a CA certificate (no basicConstraints cA TRUE)"
    validity = cert.validity_at(at)
    if validity is Validity.EXPIRED:
        return "expired"
    if validity is Validity.NOT_YET_VALID:
        return "not yet valid"
    try:
        cert.public_key()
    except PKIError as exc:
        return f"key not usable ({exc})"
    return None


def _load_certs(data: bytes, name: str) -> list[Certificate]:
    try:
        return load_certificates(data)
    except PKIError as exc:
        raise TrustImportError(f"{name}: {exc}", malformed=True) from None


def _load_crl(data: bytes, name: str) -> CRL:
    try:
        return CRL.from_bytes(data)
    except PKIError as exc:
        raise TrustImportError(f"{name}: {exc}", malformed=True) from None


def _source_hashes(index: dict[str, Any], fp: str) -> set[str]:
    return {str(x.get("file_sha256")) for x in index["cscas"].get(fp, {}).get("sources", [])}


def load_signer_cas(paths: Iterable[str | Path]) -> list[Certificate]:
    """The pinned master-list signer CAs (PEM or DER files)."""
    out: list[Certificate] = []
    for p in paths:
        try:
            out += load_certificates(Path(p).read_bytes())
        except OSError as exc:
            raise TrustImportError(f"{Path(p).name}: cannot read ({exc.strerror})", malformed=True) from None
        except PKIError as exc:
            raise TrustImportError(f"{Path(p).name}: {exc}", malformed=True) from None
    return out


# --- status ------------------------------------------------------------------------------------------


def status(store: ManagedTrustStore, now: datetime, *, expiring_days: int = 180) -> dict[str, Any]:
    """What needs attention: expired / expiring CSCAs, stale CRLs, CRLs no CSCA verifies, countries."""
    cscas, crls = store.cscas(), store.crls()
    horizon = now + timedelta(days=expiring_days)
    expired = [e.to_dict(now) for e in cscas if e.cert.validity_at(now) is Validity.EXPIRED]
    expiring = [e.to_dict(now) for e in cscas if e.cert.validity_at(now) is Validity.VALID
                and e.cert.not_after <= horizon]  # fmt: skip
    stale = [c.to_dict(now) for c in crls if c.crl.is_stale(now)]
    # The first CSCA that verifies each CRL (None: no CSCA does), each signature checked once.
    issuers = [next((e for e in cscas if c.crl.verified_by(e.cert)), None) for c in crls]
    orphan = [c.to_dict(now) for c, issuer in zip(crls, issuers, strict=True) if issuer is None]
    countries: dict[str, dict[str, int]] = {}
    for e in cscas:
        row = countries.setdefault(country_of(e.cert), {"cscas": 0, "valid": 0, "crls": 0})
        row["cscas"] += 1
        row["valid"] += e.cert.validity_at(now) is Validity.VALID
    for issuer in issuers:
        if issuer is not None:
            countries[country_of(issuer.cert)]["crls"] += 1
    ok = not (expired or expiring or stale or orphan) and bool(cscas)
    return {
        "ok": ok, "at": _iso(now), "cscas": len(cscas), "crls": len(crls),
        "expiring_within_days": expiring_days,
        "expired": expired, "expiring": expiring, "stale_crls": stale, "crls_without_csca": orphan,
        "countries": dict(sorted(countries.items())),
        "vietnam": countries.get("VN", {"cscas": 0, "valid": 0, "crls": 0}),
    }  # fmt: skip


# --- atomic file-system operations -------------------------------------------------------------------


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> None:
    """Swap two directories atomically (Linux ``renameat2(RENAME_EXCHANGE)``); else two renames with a
    recoverable intermediate state (:func:`_recover`)."""
    libc_name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(libc_name, use_errno=True) if libc_name else None
    fn = getattr(libc, "renameat2", None) if libc is not None else None
    if fn is not None:
        res = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
        if res == 0:
            return
    old = b.with_name(f".{b.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    os.rename(b, old)
    os.rename(a, b)
    os.rename(old, a)  # ``a`` (the temporary folder) is removed by the caller


def _recover(root: Path) -> None:
    """After a crash between the two fallback renames: put the previous store back."""
    old = root.with_name(f".{root.name}.old")
    if not root.exists() and old.exists():
        os.rename(old, root)
    elif old.exists():
        shutil.rmtree(old, ignore_errors=True)

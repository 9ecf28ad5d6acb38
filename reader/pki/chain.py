"""The Document Signer → CSCA chain (ICAO 9303-11 §5.1.1 steps 2–3; ICAO 9303-12 §5; RFC 5280 §6.1).

ICAO's PKI has exactly two levels: a CSCA (trust anchor, possibly a link certificate) issues Document
Signer certificates.  :func:`check_chain` finds the trusted CSCA whose key verifies the DS certificate,
checks that it is a CA, checks its validity at the given time (the shell model: every certificate valid at
verification time), and consults that CSCA's verified CRLs.  "No trusted CSCA bears the issuer's name or
key identifier" is :attr:`ChainResult.UNKNOWN_CSCA`, distinct from a chain that exists but is broken.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from reader.pki.certs import Certificate, Validity
from reader.pki.errors import PKIError
from reader.pki.trust import CSCAStore


class ChainResult(enum.Enum):
    VALID = "valid"
    UNKNOWN_CSCA = "unknown_csca"
    INVALID = "invalid"
    NOT_CHECKED = "not_checked"  # no DS certificate to check


class CRLResult(enum.Enum):
    NOT_REVOKED = "not_revoked"
    REVOKED = "revoked"
    NO_CRL = "no_crl"
    NOT_CHECKED = "not_checked"  # no trusted CSCA whose CRLs could be verified


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """Outcome of the DS → CSCA checks.  ``reasons``: failure codes; ``notes``: facts that are not."""

    result: ChainResult
    anchor: Certificate | None
    csca_validity: Validity
    crl: CRLResult
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def check_chain(ds: Certificate, store: CSCAStore, at: datetime) -> ChainCheck:
    """Verify ``ds`` against the trust store at time ``at``."""
    candidates = store.issuers_of(ds)
    anchor, unsupported = None, False
    for csca in candidates:
        try:
            if ds.is_signed_by(csca):
                anchor = csca
                break
        except PKIError:
            unsupported = True
    if anchor is None:
        return _no_anchor(ds, candidates, unsupported)
    sanity = _ca_sanity(anchor)
    reasons = list(sanity)
    validity = anchor.validity_at(at)
    if validity is not Validity.VALID:
        reasons.append(f"CSCA_{validity.name}")
    crl, crl_reasons, notes = _revocation(ds, anchor, store, at)
    reasons += crl_reasons
    result = ChainResult.INVALID if sanity else ChainResult.VALID
    return ChainCheck(result, anchor, validity, crl, tuple(reasons), notes)


def _no_anchor(ds: Certificate, candidates: tuple[Certificate, ...], unsupported: bool) -> ChainCheck:
    aki = ds.authority_key_identifier
    key_matches = [c for c in candidates if aki is None or c.subject_key_identifier in (None, aki)]
    if not key_matches:  # the issuer's name is known, its key is not (e.g. a new CSCA key): unknown
        return ChainCheck(
            ChainResult.UNKNOWN_CSCA, None, Validity.NOT_CHECKED, CRLResult.NOT_CHECKED, ("CSCA_UNKNOWN",)
        )
    reason = "CSCA_ALGORITHM_UNSUPPORTED" if unsupported else "DS_CERTIFICATE_SIGNATURE_INVALID"
    return ChainCheck(ChainResult.INVALID, None, Validity.NOT_CHECKED, CRLResult.NOT_CHECKED, (reason,))


def _ca_sanity(csca: Certificate) -> tuple[str, ...]:
    """basicConstraints cA and keyUsage keyCertSign, when present (ICAO 9303-12 §7.1.1, Table 6)."""
    if csca.is_ca is False:
        return ("CSCA_NOT_A_CA",)
    if csca.key_usage is not None and "key_cert_sign" not in csca.key_usage:
        return ("CSCA_KEY_USAGE_INVALID",)
    return ()


def _revocation(
    ds: Certificate, csca: Certificate, store: CSCAStore, at: datetime
) -> tuple[CRLResult, tuple[str, ...], tuple[str, ...]]:
    crls = store.crls_for(csca)
    if not crls:
        return CRLResult.NO_CRL, (), ("NO_CRL",)
    if any(crl.revokes(ds) for crl in crls):
        return CRLResult.REVOKED, ("DS_REVOKED",), ()
    stale = all(crl.is_stale(at) for crl in crls)
    return CRLResult.NOT_REVOKED, (), (("CRL_STALE",) if stale else ())

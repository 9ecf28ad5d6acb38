"""Which modules each fuzz target instruments (imports nothing, so that ``python -m fuzz`` can read it
before the code under test is imported under :func:`atheris.instrument_imports`)."""

from __future__ import annotations

#: The code under test of each target: what ``python -m fuzz`` instruments for coverage (instrumenting all
#: of ``reader`` costs about a second and a half at every start).
INSTRUMENT: dict[str, tuple[str, ...]] = {
    "tlv": ("reader.tlv",),
    "apdu": ("reader.apdu",),
    "sm_unwrap": ("reader.sm", "reader.crypto", "reader.tlv", "reader.apdu"),
    "ef_com": ("reader.lds.com", "reader.tlv"),
    "card_access": ("reader.lds.cardaccess", "reader.lds.oids", "reader.access.params", "reader.tlv"),
    "dg1": ("reader.lds.dg1", "reader.lds.mrz", "reader.tlv"),
    "dg2": ("reader.lds.dg2", "reader.tlv"),
    "dg13": ("reader.lds.dg13", "reader.tlv"),
    "dg14": (
        "reader.lds.dg14",
        "reader.lds.cardaccess",
        "reader.lds.oids",
        "reader.access.params",
        "reader.tlv",
    ),
    "dg15": ("reader.lds.dg15", "reader.pki.keys", "reader.tlv"),
    # asn1crypto too: its lazy parsing decides which of our paths run (and where it raises)
    "sod": ("asn1crypto", "reader.lds.sod", "reader.pki.cms", "reader.pki.certs"),
    "cms": ("asn1crypto", "reader.pki.cms", "reader.pki.certs", "reader.pki.keys", "reader.pki.algorithms"),
    "master_list": (
        "asn1crypto",
        "reader.pki.masterlist",
        "reader.pki.cms",
        "reader.pki.certs",
        "reader.pki.keys",
    ),
    "crl": ("asn1crypto", "reader.pki.crl", "reader.pki.certs"),
    "mrz_text": ("kiosk.keyentry", "reader.lds.dg1", "reader.lds.mrz"),
    "qr_payload": ("kiosk.keyentry",),
    "pn532_frames": ("reader.transports.pn532_frames",),
    "full_read": ("reader",),
}

#: Modules of an instrumented package left uninstrumented for one target.  ``full_read``: the per-APDU
#: mechanics (secure messaging, its ciphers, APDU coding, the transport) run twenty-odd times per read the
#: same way whatever the fuzzed file holds (the card encrypts it; only its length shows), and their
#: instrumentation cost a fifth of every execution; ``sm_unwrap`` and ``apdu`` fuzz them directly.
#: (atheris excludes exact module names.)
EXCLUDE: dict[str, tuple[str, ...]] = {
    "full_read": ("reader.sm", "reader.crypto", "reader.apdu", "reader.transports", "reader.transports.base"),
}

"""What a kiosk takes from a bundle (hub/kioskbundle.py): profile, trust store, settings — anything it
cannot use refuses the whole bundle (no database needed)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from hub.bundle import BundleError, profile_text
from hub.kioskbundle import read_bundle
from sims.pki import TestPKI


def content(**changes: Any) -> dict[str, Any]:
    base = {"site_id": "s", "version": 4, "profile": {"name": "bank", "toml": profile_text("bank")},
            "trust_store": [], "settings": {}}  # fmt: skip
    return base | changes


def test_a_usable_bundle() -> None:
    pki = TestPKI.generate(csca_key="secp256r1", ds_key="secp256r1", with_crl=True, seed=b"kioskbundle")
    assert pki.crl is not None
    trust = [{"name": "csca", "kind": "csca", "der_b64": base64.b64encode(pki.csca_der).decode()},
             {"name": "crl", "kind": "crl", "der_b64": base64.b64encode(pki.crl).decode()}]  # fmt: skip
    b = read_bundle(content(trust_store=trust, settings={"language": "en"}), '"etag"')
    assert b.version == 4 and b.profile.name == "bank" and b.etag == '"etag"'
    assert b.trust is not None and len(b.trust) == 1 and len(b.trust.crls) == 1
    assert b.languages(("vi", "en")) == ("en", "vi")
    assert b.summary()["trust_store"] == {"certificates": 1, "crls": 1}
    plain = read_bundle(content())
    assert plain.trust is None and plain.languages(("vi", "en")) == ("vi", "en")  # the kiosk keeps its own


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"version": "4"}, "version"),
        ({"profile": {"name": "bank", "toml": "[profile\n"}}, "profile is not valid"),
        ({"trust_store": {}}, "not a list"),
        ({"trust_store": [{"name": "x", "kind": "key", "der_b64": ""}]}, "kind must be"),
        ({"trust_store": [{"name": "x", "kind": "csca", "der_b64": "MAA="}]}, "entry x (csca) is not usable"),
        ({"trust_store": [{"name": "x", "kind": "crl", "der_b64": "!!"}]}, "entry x (crl) is not usable"),
        ({"settings": {"languge": "en"}}, "languge are unknown"),
        ({"settings": {"language": "fr"}}, "language must be"),
        ({"settings": []}, "not an object"),
    ],
)
def test_an_unusable_bundle_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(BundleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_bundle(content(**changes))


"""Bank → the signed record, with the biometric evidence when the profile delivers it (SBV 2345).

The images travel base64-encoded next to the signed record, and their SHA-256 values are inside the
signed record (``biometric.image_sha256``), which binds them to it.  The kiosk deletes its sealed copy
when this delivery is acknowledged (2xx) — see :meth:`kiosk.storage.KioskStore.record_outcomes`.

``evidence_jws`` is the signed evidence object (kiosk.evidence, docs/evidence.md): each proof and its
strength, derived from the record and signed with the same device key.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from kiosk.connectors.base import DeliveryContext, DeliveryResult, HttpConnector
from kiosk.evidence import build_signed_evidence
from kiosk.profiles import EvidencePolicy
from kiosk.subject import subject_fields


class BankWebhookConnector(HttpConnector):
    def deliver(self, ctx: DeliveryContext) -> DeliveryResult:
        data: dict[str, Any] = {
            "subject": subject_fields(ctx.record),
            "evidence_jws": build_signed_evidence(ctx.record, self.signer.key()),
        }
        images = ctx.images
        if images is not None and self.profile.biometric_evidence is EvidencePolicy.DELIVER_THEN_DELETE:
            data["biometric_evidence"] = {
                "live_image": {"content_type": "image/jpeg",
                               "sha256": hashlib.sha256(images.live_jpeg).hexdigest(),
                               "data": base64.b64encode(images.live_jpeg).decode()},
                "chip_image": {"content_type": images.chip_image_type,
                               "sha256": hashlib.sha256(images.chip_image).hexdigest(),
                               "data": base64.b64encode(images.chip_image).decode()},
            }  # fmt: skip
        return self.post_envelope(ctx, "cccd.bank.ekyc", data)

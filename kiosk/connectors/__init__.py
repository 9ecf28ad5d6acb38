"""Connectors: one module per destination (integrations.md, "Who receives what")."""

from __future__ import annotations

from kiosk.connectors.bank import BankWebhookConnector
from kiosk.connectors.base import (
    Connector,
    ConnectorConfigError,
    DeliveryContext,
    DeliveryResult,
    HttpConnector,
    classify_status,
    resolve_secret,
)
from kiosk.connectors.fhir import FhirConnector
from kiosk.connectors.his import HisWebhookConnector
from kiosk.connectors.lodging import LodgingWebhookConnector
from kiosk.connectors.public_service import PublicServiceConnector
from kiosk.keys import RecordSigner
from kiosk.profiles import ConnectorSettings, Profile
from kiosk.subject import subject_fields

CONNECTOR_CLASSES: dict[str, type[HttpConnector]] = {
    "fhir": FhirConnector,
    "his_webhook": HisWebhookConnector,
    "bank_webhook": BankWebhookConnector,
    "lodging_webhook": LodgingWebhookConnector,
    "public_service_webhook": PublicServiceConnector,
}


def deliver_to_url(settings: ConnectorSettings, base: str) -> str:
    """Where a connector goes when every connector is pointed at one receiver (``--deliver-to``)."""
    base = base.rstrip("/")
    return f"{base}/fhir" if settings.kind == "fhir" else f"{base}/webhooks/{settings.name}"


def build_connector(settings: ConnectorSettings, profile: Profile, signer: RecordSigner,
                    deliver_to: str | None = None) -> Connector:  # fmt: skip
    cls = CONNECTOR_CLASSES[settings.kind]
    url = deliver_to_url(settings, deliver_to) if deliver_to else None
    connector: Connector = cls(settings, profile, signer, url)  # type: ignore[assignment]
    return connector


__all__ = [
    "CONNECTOR_CLASSES", "Connector", "ConnectorConfigError", "DeliveryContext", "DeliveryResult",
    "build_connector", "classify_status", "deliver_to_url", "resolve_secret", "subject_fields",
]  # fmt: skip

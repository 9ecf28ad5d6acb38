"""One-stop public-service desk → a form record prefilled from the chip, so nothing is typed twice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kiosk.connectors.base import DeliveryContext, DeliveryResult, HttpConnector
from kiosk.subject import subject_fields


def prefilled_form(subject: Mapping[str, Any], service: Mapping[str, str]) -> dict[str, Any]:
    return {
        "form_code": service.get("form_code"),
        "form_title": service.get("form_title"),
        "office_name": service.get("office_name"),
        "fields": dict(subject),
        "source": "cccd_chip",
    }


class PublicServiceConnector(HttpConnector):
    def deliver(self, ctx: DeliveryContext) -> DeliveryResult:
        form = prefilled_form(subject_fields(ctx.record), self.profile.service)
        form["service_request"] = dict(ctx.record.get("service") or {})
        return self.post_envelope(ctx, "cccd.public_service.form", {"form": form})

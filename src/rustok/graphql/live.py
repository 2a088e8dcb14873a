"""Live events: the `events` subscription (staff), read from the event history (outbox.events), not a
durable queue."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from ariadne import SubscriptionType

from rustok.graphql.access import require_permission
from rustok.graphql.db import fetch_all

subscription = SubscriptionType()

# Commits arrive out of occurred_at order, so each poll re-reads a window of overlap and skips ids
# already sent.
EVENT_POLL_SECONDS = 0.5
EVENT_OVERLAP = timedelta(seconds=10)


@subscription.source("events")
async def events_source(_, info, types: list[str] | None = None):
    ctx = info.context
    await require_permission(ctx, "events:read")
    since = datetime.now(timezone.utc) - EVENT_OVERLAP
    sent: dict = {}  # id -> occurred_at, pruned as the window moves
    while True:
        rows = await fetch_all(ctx, """
            select id, event_type, aggregate_type, aggregate_id, payload, occurred_at
            from outbox.events_since(%s, 1000) where %s::text[] is null or event_type = any(%s::text[])""",
            (since, types, types))
        for row in rows:
            if row["id"] not in sent:
                sent[row["id"]] = row["occurredAt"]
                yield row
        if rows:
            since = max(since, rows[-1]["occurredAt"] - EVENT_OVERLAP)
        sent = {k: v for k, v in sent.items() if v >= since}
        await asyncio.sleep(EVENT_POLL_SECONDS)


# outbox.events.payload keys (snake_case, written by the triggers) -> EventPayload fields
PAYLOAD_FIELDS = {
    "handle": "handle", "status": "status", "old_status": "oldStatus", "new_status": "newStatus", "kind": "kind",
    "reason": "reason", "source": "source", "scope": "scope", "display_id": "displayId", "total": "total",
    "currency_code": "currencyCode", "created_at": "createdAt", "email": "email", "user_id": "userId",
    "token_id": "tokenId", "variant_id": "variantId", "deleted": "deleted", "inventory_item_id": "inventoryItemId",
    "location_id": "locationId", "old_quantity": "oldQuantity", "new_quantity": "newQuantity",
    "old_available": "oldAvailable", "new_available": "newAvailable", "changed_levels": "changedLevels",
    "remaining": "remaining", "threshold": "threshold", "order_id": "orderId", "tag_id": "tagId",
    "target_type": "targetType", "target_id": "targetId", "import_run_id": "importRunId",
}
_SCALAR = (str, int, float, bool)


def event_payload(payload) -> dict:
    """An event's JSON payload as the typed EventPayload: known keys to their fields (only scalar values: a
    structure where a scalar belongs is left out and named in otherKeys), the rest named in otherKeys."""
    out: dict = {field: None for field in PAYLOAD_FIELDS.values()}
    other = []
    for key, value in (payload or {}).items() if isinstance(payload, dict) else ():
        field = PAYLOAD_FIELDS.get(key)
        if field is None or not (value is None or isinstance(value, _SCALAR)):
            other.append(key)
        else:
            out[field] = value
    out["otherKeys"] = sorted(other)
    return out


@subscription.field("events")
def events_resolver(event, info, types=None):
    return {**event, "payload": event_payload(event["payload"])}


bindables = [subscription]

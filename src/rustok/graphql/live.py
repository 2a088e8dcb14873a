"""Live events: the `events` subscription (staff), read from the event history (outbox.events), not a
durable queue."""

from __future__ import annotations

import asyncio
import json
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


@subscription.field("events")
def events_resolver(event, info, types=None):
    return {**event, "payload": json.dumps(event["payload"], separators=(",", ":"))}


bindables = [subscription]

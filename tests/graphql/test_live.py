"""Read-your-writes position and live events over a websocket (graphql-transport-ws)."""

import psycopg

from tests.graphql.test_content_api import _post


def test_index_caught_up_follows_the_index_queue(gql, shop, api_db):
    slug, staff, _ = shop
    result = gql('mutation { createNode(input: {kind: page, title: "About"}) { position } }', tenant=slug, token=staff)
    position = result["data"]["createNode"]["position"]
    q = "query($p: ID!) { indexCaughtUp(position: $p) }"
    assert gql(q, {"p": position}, tenant=slug)["data"]["indexCaughtUp"] is False
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    assert gql(q, {"p": position}, tenant=slug)["data"]["indexCaughtUp"] is True


def test_events_subscription_pushes_new_events(client, gql, shop):
    slug, staff, buyer = shop
    headers = {"X-Tenant": slug, "Authorization": f"Bearer {staff}"}
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], headers=headers) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {
            "query": 'subscription { events(types: ["NodeCreated"]) { eventType aggregateType aggregateId } }'}})
        node = _post(gql, slug, staff, title="Live one")
        msg = ws.receive_json()
        assert msg["type"] == "next", msg
        assert msg["payload"]["data"]["events"] == {"eventType": "NodeCreated", "aggregateType": "node",
                                                   "aggregateId": node["id"]}
        ws.send_json({"id": "1", "type": "complete"})


def test_events_subscription_is_staff_only(client, shop):
    slug, _, buyer = shop
    headers = {"X-Tenant": slug, "Authorization": f"Bearer {buyer}"}
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], headers=headers) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": "subscription { events { eventType } }"}})
        msg = ws.receive_json()
        assert msg["type"] in ("error", "next")
        errors = msg["payload"] if msg["type"] == "error" else msg["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"

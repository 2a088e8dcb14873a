// Operations: the tenant's outbox backlog and lag per consumer, dead letters with retry, index verify and a
// reindex with progress, and the installation's health checks (ops.health()).
import { gql, mutate } from "../api.js";
import { PAGE_ARGS, PAGE_INFO, PAGE_VARS, badge, guard, h, notify, page, pager, when } from "../ui.js";

const STATUS = "{ opsStatus { consumer enabled pending dead oldestPendingAt lagSeconds lastError } }";
const DEAD = `query(${PAGE_VARS}) { deadLetters(${PAGE_ARGS}) { ${PAGE_INFO}
  nodes { consumer eventId eventType aggregateType aggregateId attempts lastError lastErrorAt } } }`;
const VERIFY = `query(${PAGE_VARS}) { verifyIndex(${PAGE_ARGS}) { ${PAGE_INFO} nodes { aggregateType aggregateId problem columns } } }`;

function backlogTable(rows) {
  return h("table", { "data-testid": "backlog" }, h("thead", {}, h("tr", {}, ["Consumer", "Pending", "Dead", "Lag", "Latest error"].map((x) => h("th", {}, x)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, h("td", {}, r.consumer, r.enabled ? null : h("span", { class: "muted" }, " (paused)")),
      h("td", {}, String(r.pending)), h("td", {}, String(r.dead)), h("td", {}, r.pending ? `${r.lagSeconds.toFixed(1)} s` : "—"),
      h("td", {}, r.lastError || "—")))));
}

// deadPaging: { first, after } or { last, before } of the dead letters connection (50 a page)
export async function dashboard(deadPaging = { first: 50 }) {
  const [status, dead] = await Promise.all([gql(STATUS), gql(DEAD, deadPaging)]);
  const backlog = h("div", {}, backlogTable(status.opsStatus));
  const progress = h("div", { "aria-live": "polite" });
  const verifyOut = h("div", { "aria-live": "polite" });
  const healthOut = h("div", {});
  const retry = (ids) => guard(async () => {
    const out = await mutate("mutation($ids: [ID!]) { retryDeadLetters(eventIds: $ids) { count position userErrors { field code message } } }",
      { ids }, "retryDeadLetters");
    if (out.userErrors.length) { notify(out.userErrors[0].message, true); return; }
    await dashboard();
    notify(`${out.count} event(s) back in the queue`);
  });
  const reindex = () => guard(async () => {
    const out = await mutate("mutation { reindexTenant { count position userErrors { field code message } } }", {}, "reindexTenant");
    if (out.userErrors.length) { notify(out.userErrors[0].message, true); return; }
    const bar = h("progress", { max: "100", value: "0", "aria-label": "Reindex progress" });
    const label = h("span", {}, " requested");
    progress.replaceChildren(bar, label);
    let peak = 1;
    for (let i = 0; i < 600; i += 1) {
      const s = await gql(STATUS, {}, { position: null });
      const pending = s.opsStatus.filter((r) => r.consumer === "index").reduce((a, r) => a + r.pending, 0);
      peak = Math.max(peak, pending);
      bar.value = Math.round(100 * (1 - pending / peak));
      label.textContent = pending ? ` ${pending} event(s) of this shop still queued for the index` : " done: the read model is rebuilt";
      backlog.replaceChildren(backlogTable(s.opsStatus));
      if (!pending) { bar.value = 100; break; }
      await new Promise((r) => setTimeout(r, 500));
    }
  });
  const verify = (paging = { first: 50 }) => guard(async () => {
    verifyOut.replaceChildren(h("p", {}, "Checking…"));
    const conn = (await gql(VERIFY, paging)).verifyIndex;
    const rows = conn.nodes;
    verifyOut.replaceChildren(rows.length
      ? h("div", {}, pager(conn, verify, "drifted row(s)"), h("table", {}, h("thead", {}, h("tr", {}, ["Type", "Id", "Problem", "Columns"].map((x) => h("th", {}, x)))),
        h("tbody", {}, rows.map((r) => h("tr", {}, h("td", {}, r.aggregateType), h("td", {}, r.aggregateId), h("td", {}, r.problem),
          h("td", {}, (r.columns || []).join(", ")))))))
      : h("p", { "data-testid": "verify-ok" }, "The read model matches the write tables."));
  });
  const health = () => guard(async () => {
    healthOut.replaceChildren(h("p", {}, "Running the checks…"));
    const data = await gql("{ opsHealth { checkName status figure advice } }");
    healthOut.replaceChildren(h("table", { "data-testid": "health" }, h("thead", {}, h("tr", {}, ["Check", "Status", "Figure", "Advice"].map((x) => h("th", {}, x)))),
      h("tbody", {}, data.opsHealth.map((r) => h("tr", {}, h("td", {}, r.checkName), h("td", {}, badge(r.status)), h("td", {}, r.figure || ""),
        h("td", {}, r.advice || ""))))));
  });
  const deadRows = dead.deadLetters.nodes;
  page("Operations",
    h("section", { class: "card" }, h("h2", {}, "Outbox backlog of this shop"), backlog,
      h("div", { class: "toolbar" }, h("button", { type: "button", class: "secondary", onclick: () => guard(dashboard) }, "Refresh"))),
    h("section", { class: "card" }, h("h2", {}, `Dead letters (${dead.deadLetters.totalCount}${dead.deadLetters.totalCountCapped ? "+" : ""})`),
      deadRows.length ? [pager(dead.deadLetters, dashboard, "dead letter(s)"), h("table", {}, h("thead", {}, h("tr", {}, ["Consumer", "Event", "Of", "Attempts", "Error", ""].map((x) => h("th", {}, x)))),
        h("tbody", {}, deadRows.map((d) => h("tr", {}, h("td", {}, d.consumer), h("td", {}, d.eventType), h("td", {}, `${d.aggregateType} ${d.aggregateId}`),
          h("td", {}, String(d.attempts)), h("td", {}, d.lastError || "", h("div", { class: "muted" }, when(d.lastErrorAt))),
          h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => retry([d.eventId]) }, "Retry")))))),
      h("button", { type: "button", onclick: () => retry(null) }, "Retry all")] : h("p", {}, "None.")),
    h("section", { class: "card" }, h("h2", {}, "Read model"),
      h("div", { class: "toolbar" }, h("button", { type: "button", onclick: () => verify() }, "Verify the index"),
        h("button", { type: "button", class: "secondary", onclick: reindex }, "Reindex this shop")), progress, verifyOut),
    h("section", { class: "card" }, h("h2", {}, "Health checks"), h("button", { type: "button", onclick: health }, "Run ops.health()"), healthOut));
}

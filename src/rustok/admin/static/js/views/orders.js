// Orders: list with filters (status, customer email, number, date range), detail, status changes and
// cancellation with a reason.
import { can, gql, mutate } from "../api.js";
import { badge, field, formError, guard, h, input, money, notify, page, showErrors, when } from "../ui.js";

const ERR = "userErrors { field code message }";
const STATUSES = ["pending", "paid", "fulfilled", "completed", "cancelled"];
const NEXT = { pending: "paid", paid: "fulfilled", fulfilled: "completed" };

const LIST = `query($f: OrderFilter, $first: Int, $after: String, $last: Int, $before: String) {
  staffOrders(filter: $f, first: $first, after: $after, last: $last, before: $before) {
    totalCount totalCountCapped pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id displayId status email total { amount currencyCode } itemCount createdAt } } }`;

export async function list() {
  const boxes = STATUSES.map((s) => [s, h("input", { type: "checkbox", value: s })]);
  const email = input({ type: "search", placeholder: "part of the email" });
  const number = input({ type: "number", min: "1" });
  const from = input({ type: "date" }), to = input({ type: "date" });
  const form = h("form", { class: "inline", role: "search", "aria-label": "Filter orders" }, formError(),
    h("fieldset", {}, h("legend", {}, "Status"), boxes.map(([s, b]) => field(s, `status.${s}`, b))),
    field("Customer email", "email", email), field("Order number", "number", number),
    field("Placed from", "createdFrom", from), field("Placed before", "createdTo", to),
    h("button", { type: "submit" }, "Apply"));
  const results = h("div", {});
  const load = async (paging = { first: 20 }) => {
    const f = {};
    const statuses = boxes.filter(([, b]) => b.checked).map(([s]) => s);
    if (statuses.length) f.status = statuses;
    if (email.value.trim()) f.email = email.value.trim();
    if (number.value) f.number = Number(number.value);
    if (from.value) f.createdFrom = new Date(`${from.value}T00:00:00`).toISOString();
    if (to.value) {
      const end = new Date(`${to.value}T00:00:00`);
      end.setDate(end.getDate() + 1);
      f.createdTo = end.toISOString();
    }
    const data = await gql(LIST, { f, ...paging });
    const conn = data.staffOrders;
    results.replaceChildren(
      h("p", { class: "muted" }, `${conn.totalCount}${conn.totalCountCapped ? "+" : ""} orders`),
      h("table", {}, h("thead", {}, h("tr", {}, ["Number", "Placed", "Customer", "Status", "Items", "Total"].map((x) => h("th", {}, x)))),
        h("tbody", {}, conn.nodes.map((o) => h("tr", { "data-order": String(o.displayId) },
          h("td", {}, h("a", { href: `#/orders/${o.id}` }, `#${o.displayId}`)), h("td", {}, when(o.createdAt)),
          h("td", {}, o.email || "—"), h("td", {}, badge(o.status)), h("td", {}, String(o.itemCount)), h("td", {}, money(o.total)))))),
      h("div", { class: "pager" },
        h("button", { type: "button", class: "secondary", disabled: !conn.pageInfo.hasPreviousPage,
          onclick: () => guard(() => load({ last: 20, before: conn.pageInfo.startCursor })) }, "Previous page"),
        h("button", { type: "button", class: "secondary", disabled: !conn.pageInfo.hasNextPage,
          onclick: () => guard(() => load({ first: 20, after: conn.pageInfo.endCursor })) }, "Next page")));
  };
  form.addEventListener("submit", (ev) => { ev.preventDefault(); guard(() => load(), form); });
  page("Orders", form, results);
  await load();
}

const ORDER = `query($id: ID!) { order(id: $id) { id displayId status email currencyCode createdAt paidAt fulfilledAt completedAt cancelledAt
  subtotal { amount currencyCode } discountTotal { amount currencyCode } shippingTotal { amount currencyCode }
  taxTotal { amount currencyCode } total { amount currencyCode }
  lines { title sku quantity unitPrice { amount currencyCode } total { amount currencyCode } }
  shippingAddress { firstName lastName company address1 address2 city postalCode province countryCode phone } } }`;

function address(a) {
  if (!a) return h("p", { class: "muted" }, "none");
  return h("address", {}, [[a.firstName, a.lastName].filter(Boolean).join(" "), a.company, a.address1, a.address2,
    [a.postalCode, a.city].filter(Boolean).join(" "), a.province, a.countryCode, a.phone].filter(Boolean).map((l) => h("div", {}, l)));
}

export async function detail(id) {
  const data = await gql(ORDER, { id });
  const o = data.order;
  if (!o) { page("Order not found", h("a", { href: "#/orders" }, "← Orders")); return; }
  const reload = () => detail(id);
  const actions = h("div", { class: "toolbar" });
  const cancelForm = h("form", { novalidate: true, "aria-label": "Cancel the order" }, formError());
  if (can("orders:write")) {
    const next = NEXT[o.status];
    if (next) {
      actions.append(h("button", { type: "button", onclick: () => guard(async () => {
        const out = await mutate(`mutation($id: ID!, $s: OrderStatus!) { setOrderStatus(id: $id, status: $s) { position ${ERR} } }`,
          { id: o.id, s: next }, "setOrderStatus");
        if (out.userErrors.length) { notify(out.userErrors[0].message, true); return; }
        await reload();
        notify(`Order #${o.displayId} is now ${next}`);
      }) }, `Mark ${next}`));
    }
    if (o.status === "pending" || o.status === "paid") {
      const reason = h("textarea", { rows: "2", style: "min-height:3rem" });
      cancelForm.append(field("Reason for the cancellation", "reason", reason), h("button", { type: "submit", class: "danger" }, "Cancel order"));
      cancelForm.addEventListener("submit", (ev) => {
        ev.preventDefault();
        guard(async () => {
          const out = await mutate(`mutation($id: ID!, $r: String!) { cancelOrder(id: $id, reason: $r) { position ${ERR} } }`,
            { id: o.id, r: reason.value }, "cancelOrder");
          if (showErrors(cancelForm, out.userErrors)) return;
          await reload();
          notify(`Order #${o.displayId} cancelled`);
        }, cancelForm);
      });
    }
  }
  page(`Order #${o.displayId}`,
    h("p", {}, h("a", { href: "#/orders" }, "← Orders"), " · ", badge(o.status), " · placed ", when(o.createdAt), " · ", o.email || "no email"),
    actions,
    h("table", {}, h("thead", {}, h("tr", {}, ["Item", "SKU", "Quantity", "Unit price", "Total"].map((x) => h("th", {}, x)))),
      h("tbody", {}, o.lines.map((l) => h("tr", {}, h("td", {}, l.title), h("td", {}, l.sku || "—"), h("td", {}, String(l.quantity)),
        h("td", {}, money(l.unitPrice)), h("td", {}, money(l.total)))))),
    h("div", { class: "grid2" },
      h("section", { class: "card" }, h("h2", {}, "Totals"), h("dl", {},
        ["subtotal", "discountTotal", "shippingTotal", "taxTotal", "total"].flatMap((k) => [h("dt", {}, k.replace("Total", "")), h("dd", {}, money(o[k]))]))),
      h("section", { class: "card" }, h("h2", {}, "Shipping address"), address(o.shippingAddress))),
    h("section", { class: "card" }, h("h2", {}, "History"), h("ul", {},
      [["placed", o.createdAt], ["paid", o.paidAt], ["fulfilled", o.fulfilledAt], ["completed", o.completedAt], ["cancelled", o.cancelledAt]]
        .filter(([, t]) => t).map(([k, t]) => h("li", {}, `${k}: ${when(t)}`)))),
    cancelForm.children.length > 1 ? h("section", { class: "card" }, h("h2", {}, "Cancel"), cancelForm) : null);
}

// Platform: the platform operator's tenants (permission platform:manage, held by users an operator flagged with
// ops.grant_platform_admin; no tenant role has it): list and search, create (with an invited first admin), rename,
// suspend and reactivate, and each tenant's host names.
import { currentSession, gql, mutate } from "../api.js";
import { PAGE_ARGS, PAGE_INFO, PAGE_VARS, badge, field, formError, guard, h, input, notify, page, pager, showErrors, when } from "../ui.js";

const ERR = "userErrors { field code message }";
const TENANT = "id name slug isActive domains userCount createdAt";

const TENANTS = `query($s: String, ${PAGE_VARS}) { platformTenants(search: $s, ${PAGE_ARGS}) { ${PAGE_INFO} nodes { ${TENANT} } } }`;

// paging: { first, after } or { last, before } of the tenants connection (50 a page)
export async function list(search = "", paging = { first: 50 }) {
  const data = await gql(TENANTS, { s: search || null, ...paging });
  const again = () => list(search, paging);
  const mine = currentSession().tenant;
  const q = input({ type: "search", value: search });
  const filter = h("form", { class: "inline", role: "search", "aria-label": "Find tenants" },
    field("Search slug or name", "search", q), h("button", { type: "submit" }, "Search"));
  filter.addEventListener("submit", (ev) => { ev.preventDefault(); guard(() => list(q.value.trim())); });

  const rows = data.platformTenants.nodes.map((t) => {
    const name = input({ value: t.name, "aria-label": `Name of ${t.slug}` });
    const form = h("form", { class: "inline", novalidate: true, "aria-label": `Change ${t.slug}` }, formError(),
      field("Name", "name", name), h("button", { type: "submit", class: "secondary" }, "Rename"),
      t.slug === mine ? null : h("button", { type: "button", class: t.isActive ? "danger" : "secondary",
        onclick: () => guard(async () => {
          if (t.isActive && !confirm(`Suspend ${t.slug}? Its shop and API stop answering until it is reactivated.`)) return;
          const op = t.isActive ? "suspendTenant" : "reactivateTenant";
          const out = await mutate(`mutation($i: ID!) { ${op}(id: $i) { tenant { isActive } ${ERR} } }`, { i: t.id }, op);
          if (showErrors(form, out.userErrors)) return;
          await again();
          notify(`${t.slug} ${t.isActive ? "suspended" : "reactivated"}`);
        }, form) }, t.isActive ? "Suspend" : "Reactivate"));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      guard(async () => {
        const out = await mutate(`mutation($i: ID!, $n: String!) { updateTenant(id: $i, input: {name: $n}) { tenant { name } ${ERR} } }`,
          { i: t.id, n: name.value }, "updateTenant");
        if (showErrors(form, out.userErrors)) return;
        await again();
        notify(`${t.slug} renamed`);
      }, form);
    });
    const host = input({ "aria-label": `New host name for ${t.slug}`, placeholder: "shop.example" });
    const domains = h("form", { class: "inline", novalidate: true, "aria-label": `Host names of ${t.slug}` }, formError(),
      h("ul", { class: "plain" }, t.domains.map((d) => h("li", {}, d, " ", h("button", { type: "button", class: "secondary",
        "aria-label": `Remove ${d}`, onclick: (ev) => guard(async () => {
          const out = await mutate(`mutation($t: ID!, $h: String!) { removePlatformTenantDomain(tenantId: $t, host: $h) { tenant { domains } ${ERR} } }`,
            { t: t.id, h: d }, "removePlatformTenantDomain");
          if (showErrors(domains, out.userErrors)) return;
          await again();
          notify(`${d} removed from ${t.slug}`);
        }, domains) }, "Remove")))),
      field("Host", "host", host), h("button", { type: "submit", class: "secondary" }, "Add host"));
    domains.addEventListener("submit", (ev) => {
      ev.preventDefault();
      guard(async () => {
        const out = await mutate(`mutation($t: ID!, $h: String!) { addPlatformTenantDomain(tenantId: $t, host: $h) { tenant { domains } ${ERR} } }`,
          { t: t.id, h: host.value.trim() }, "addPlatformTenantDomain");
        if (showErrors(domains, out.userErrors)) return;
        await again();
        notify(`${t.slug} also answers on ${host.value.trim()}`);
      }, domains);
    });
    return h("tr", { "data-tenant": t.slug }, h("td", {}, h("a", { href: `/t/${t.slug}/` }, t.slug),
      t.slug === mine ? h("span", { class: "muted" }, " (yours)") : null),
      h("td", {}, form), h("td", {}, badge(t.isActive ? "active" : "suspended")), h("td", {}, String(t.userCount)),
      h("td", {}, when(t.createdAt)), h("td", {}, domains));
  });

  const name = input({ required: true }), slug = input({ required: true, placeholder: "acme" });
  const language = input({ placeholder: "english" }), admin = input({ type: "email" });
  const create = h("form", { novalidate: true, "aria-label": "New tenant" }, formError(),
    h("div", { class: "grid2" }, field("Name", "name", name), field("Slug", "slug", slug),
      field("Search language", "textSearchConfig", language), field("First admin's email (invited by mail)", "adminEmail", admin)),
    h("button", { type: "submit" }, "Create tenant"));
  create.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      const out = await mutate(`mutation($i: CreateTenantInput!) { createTenant(input: $i) { tenant { slug } ${ERR} } }`,
        { i: { name: name.value, slug: slug.value.trim(), textSearchConfig: language.value.trim() || null,
               adminEmail: admin.value.trim() || null } }, "createTenant");
      if (showErrors(create, out.userErrors)) return;
      await list(search);
      notify(`Tenant ${out.tenant.slug} created`);
    }, create);
  });

  page("Platform: tenants", filter, pager(data.platformTenants, (p) => list(search, p), "tenant(s)"),
    h("table", {}, h("thead", {}, h("tr", {}, ["Slug", "Name", "Status", "Users", "Created", "Host names"].map((x) => h("th", {}, x)))),
      h("tbody", {}, rows)),
    h("section", { class: "card" }, h("h2", {}, "New tenant"), create));
}

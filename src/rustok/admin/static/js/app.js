// The admin app: sign-in, the section navigation (only the sections the signed-in role may use) and a hash
// router (#/products, #/products/<id>, #/orders, ...). Each screen lives in views/.
import { ApiError, can, currentSession, gql, saveSession } from "./api.js";
import { field, formError, guard, h, input, page, showErrors } from "./ui.js";
import * as catalog from "./views/catalog.js";
import * as orders from "./views/orders.js";
import * as content from "./views/content.js";
import * as people from "./views/people.js";
import * as ops from "./views/ops.js";
import * as platform from "./views/platform.js";
import * as tags from "./views/tags.js";

const SECTIONS = [
  { path: "products", label: "Catalog", permission: "catalog:write" },
  { path: "orders", label: "Orders", permission: "orders:read_all" },
  { path: "content", label: "Content", permission: "content:write_own" },
  { path: "comments", label: "Comments", permission: "content:moderate" },
  { path: "tags", label: "Tags", permission: "tags:manage" },
  { path: "people", label: "People", permission: ["users:manage", "modules:manage"] },
  { path: "operations", label: "Operations", permission: "ops:manage" },
  { path: "platform", label: "Platform", permission: "platform:manage" },
];

const ROUTES = [
  [/^products$/, () => catalog.list()],
  [/^products\/new$/, () => catalog.create()],
  [/^products\/([^/]+)$/, (m) => catalog.edit(m[1])],
  [/^categories$/, () => catalog.categories()],
  [/^orders$/, () => orders.list()],
  [/^orders\/([^/]+)$/, (m) => orders.detail(m[1])],
  [/^content$/, () => content.list()],
  [/^content\/new\/(page|post)$/, (m) => content.create(m[1])],
  [/^content\/([^/]+)$/, (m) => content.edit(m[1])],
  [/^content-categories$/, () => content.categories()],
  [/^comments$/, () => content.moderation()],
  [/^tags$/, () => tags.list()],
  [/^people$/, () => people.list()],
  [/^operations$/, () => ops.dashboard()],
  [/^platform$/, () => platform.list()],
];

function allowed(section) {
  const need = Array.isArray(section.permission) ? section.permission : [section.permission];
  return need.some((p) => can(p));
}

function renderChrome() {
  const s = currentSession();
  const top = document.getElementById("top");
  top.hidden = !s;
  if (!s) return;
  const nav = document.getElementById("nav");
  const here = location.hash.replace(/^#\/?/, "").split("/")[0];
  nav.replaceChildren(...SECTIONS.filter(allowed).map((sec) => h("li", {},
    h("a", { href: `#/${sec.path}`, "aria-current": here === sec.path ? "page" : null }, sec.label))));
  document.getElementById("who").textContent = `${s.email} · ${s.role} · ${s.tenant}`;
}

function home() {
  const first = SECTIONS.find(allowed);
  if (first) { location.hash = `#/${first.path}`; return; }
  page("Nothing to manage", h("p", {}, "Your role has no admin permissions. Ask a tenant administrator for a staff role."));
}

function signIn() {
  document.getElementById("top").hidden = true;
  const tenant = input({ autocomplete: "organization", required: true, value: localStorage.getItem("rustok.admin.tenant") || "" });
  const email = input({ type: "email", autocomplete: "username", required: true });
  const password = input({ type: "password", autocomplete: "current-password", required: true });
  const form = h("form", { class: "login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Sign in to the admin"),
    formError(),
    field("Shop (tenant slug)", "tenant", tenant),
    field("Email", "email", email),
    field("Password", "password", password),
    h("button", { type: "submit" }, "Sign in"),
    h("p", {}, h("a", { href: "#", id: "forgot-password", onclick: (ev) => {
      // the shop's own page mails a reset link (the same accounts sign in here)
      ev.preventDefault();
      const slug = tenant.value.trim();
      if (!slug) { showErrors(form, [{ field: "tenant", message: "Enter your shop first" }]); tenant.focus(); return; }
      location.href = `/t/${encodeURIComponent(slug)}/account/forgot-password`;
    } }, "Forgot password?")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showErrors(form, []);
    await guard(async () => {
      const slug = tenant.value.trim();
      const data = await gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
          token user { email role displayName permissions } } }`, { e: email.value.trim(), p: password.value },
        { tenant: slug, token: null, position: null });
      const u = data.login.user;
      saveSession({ tenant: slug, token: data.login.token, email: u.email, role: u.role, permissions: u.permissions });
      localStorage.setItem("rustok.admin.tenant", slug);
      renderChrome();
      if (location.hash === "") location.hash = "#/"; else route();
    }, form);
  });
  document.getElementById("main").replaceChildren(form);
  document.title = "Sign in · RusToK admin";
  (tenant.value ? email : tenant).focus();
}

async function signOut() {
  try { await gql("mutation { logout }", {}, { position: null }); } catch (err) { /* signed out anyway */ }
  saveSession(null);
  location.hash = "";
  route();
}

// Navigations run one after the other, so a slow screen that finishes late cannot paint over the next one.
let inflight = Promise.resolve();
function route() {
  inflight = inflight.then(render, render);
  return inflight;
}

async function render() {
  if (!currentSession()) { signIn(); return; }
  renderChrome();
  const path = location.hash.replace(/^#\/?/, "");
  if (!path) { home(); return; }
  for (const [pattern, view] of ROUTES) {
    const m = pattern.exec(path);
    if (m) {
      try { await view(m); } catch (err) {
        if (err instanceof ApiError && err.code === "UNAUTHENTICATED") { signIn(); return; }
        page("Something went wrong", h("p", { class: "error", role: "alert" }, err.message));
      }
      document.getElementById("main").focus({ preventScroll: true });
      return;
    }
  }
  page("Not found", h("p", {}, "No such screen. ", h("a", { href: "#/" }, "Back to the start")));
}

document.getElementById("sign-out").addEventListener("click", signOut);
// The skip link moves the focus to the main region (its #main would otherwise be taken for a route).
document.querySelector(".skip").addEventListener("click", (ev) => {
  ev.preventDefault();
  document.getElementById("main").focus();
});
window.addEventListener("hashchange", route);
window.addEventListener("rustok:signed-out", () => signIn());
route();

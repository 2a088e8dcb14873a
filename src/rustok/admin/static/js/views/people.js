// People: the tenant's users (search, role changes, deactivation, invitations) and module toggles.
import { can, currentSession, gql, mutate } from "../api.js";
import { PAGE_ARGS, PAGE_INFO, PAGE_VARS, badge, field, formError, guard, h, input, notify, page, pager, select, showErrors, when } from "../ui.js";

const ERR = "userErrors { field code message }";
const ROLES = ["admin", "manager", "editor", "author", "customer"];

const USERS = `query($s: String, ${PAGE_VARS}) { users(search: $s, ${PAGE_ARGS}) { ${PAGE_INFO}
  nodes { id email displayName role status createdAt lastLoginAt } } }`;

// paging: { first, after } or { last, before } of the users connection (50 a page)
export async function list(search = "", paging = { first: 50 }) {
  const parts = [];
  if (can("users:manage")) parts.push(...await usersSection(search, paging));
  if (can("modules:manage")) parts.push(await modulesSection());
  page("People and modules", ...parts);
}

async function usersSection(search, paging) {
  const data = await gql(USERS, { s: search || null, ...paging });
  const again = () => list(search, paging);
  const me = currentSession().email;
  const q = input({ type: "search", value: search });
  const filter = h("form", { class: "inline", role: "search", "aria-label": "Find people" }, field("Search email or name", "search", q),
    h("button", { type: "submit" }, "Search"));
  filter.addEventListener("submit", (ev) => { ev.preventDefault(); guard(() => list(q.value.trim())); });
  const rows = data.users.nodes.map((u) => {
    const role = select(ROLES, u.role, { "aria-label": `Role of ${u.email}` });
    const form = h("form", { class: "inline", novalidate: true, "aria-label": `Change ${u.email}` }, formError(),
      field("Role", "role", role), h("button", { type: "submit", class: "secondary" }, "Change role"),
      u.status === "active" ? h("button", { type: "button", class: "danger", onclick: () => guard(async () => {
        if (!confirm(`Deactivate ${u.email}? Their sessions end.`)) return;
        const out = await mutate(`mutation($u: ID!) { deactivateUser(userId: $u) { position ${ERR} } }`, { u: u.id }, "deactivateUser");
        if (showErrors(form, out.userErrors)) return;
        await again();
        notify(`${u.email} deactivated`);
      }, form) }, "Deactivate") : null);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      guard(async () => {
        const out = await mutate(`mutation($u: ID!, $r: UserRole!) { changeUserRole(userId: $u, role: $r) { position ${ERR} } }`,
          { u: u.id, r: role.value }, "changeUserRole");
        if (showErrors(form, out.userErrors)) return;
        await again();
        notify(`${u.email} is now ${role.value}`);
      }, form);
    });
    const newPassword = input({ type: "password", autocomplete: "new-password" });
    const reset = h("details", {}, h("summary", {}, "New password"),
      h("form", { class: "inline", novalidate: true, "aria-label": `New password for ${u.email}`, onsubmit: (ev) => {
        ev.preventDefault();
        const f = ev.currentTarget;
        guard(async () => {
          const out = await mutate(`mutation($u: ID!, $p: String!) { resetUserPassword(userId: $u, password: $p) { position ${ERR} } }`,
            { u: u.id, p: newPassword.value }, "resetUserPassword");
          if (showErrors(f, out.userErrors)) return;
          newPassword.value = "";
          notify(`${u.email} has a new password; their sessions ended`);
        }, f);
      } }, formError(), field("New password (at least 8 characters)", "password", newPassword),
      h("button", { type: "submit", class: "secondary" }, "Set password")));
    const resend = u.status === "invited" ? h("button", { type: "button", class: "secondary", onclick: (ev) => guard(async () => {
      const out = await mutate(`mutation($u: ID!) { resendInvitation(userId: $u) { position ${ERR} } }`, { u: u.id }, "resendInvitation");
      if (showErrors(form, out.userErrors)) return;
      notify(`A new invitation is on its way to ${u.email}; the earlier link no longer works`);
    }, form) }, "Resend invitation") : null;
    return h("tr", { "data-user": u.email }, h("td", {}, u.email, u.email === me ? h("span", { class: "muted" }, " (you)") : null),
      h("td", {}, u.displayName || "—"), h("td", {}, badge(u.status)), h("td", {}, when(u.lastLoginAt)),
      h("td", {}, u.email === me ? u.role : form), h("td", {}, u.email === me ? "" : (resend || reset)));
  });
  const email = input({ type: "email" }), name = input(), role = select(ROLES, "author");
  const password = input({ type: "password", autocomplete: "new-password" });
  const invite = h("form", { novalidate: true, "aria-label": "Invite a person" }, formError(),
    h("div", { class: "grid2" }, field("Email", "email", email), field("Name", "displayName", name),
      field("Role", "role", role), field("First password (optional; at least 8 characters)", "password", password)),
    h("p", { class: "muted" }, "Without a password, an invitation link is mailed: the person chooses their own password."),
    h("button", { type: "submit" }, "Invite"));
  invite.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      const out = await mutate(`mutation($input: InviteUserInput!) { inviteUser(input: $input) { user { email status } position ${ERR} } }`,
        { input: { email: email.value.trim(), displayName: name.value || null, role: role.value, password: password.value || null } }, "inviteUser");
      if (showErrors(invite, out.userErrors)) return;
      await list(search);
      notify(out.user.status === "invited" ? `Invitation mailed to ${out.user.email}` : `${out.user.email} can now sign in`);
    }, invite);
  });
  return [h("h2", {}, "Users"), filter, pager(data.users, (p) => list(search, p), "account(s)"),
    h("table", {}, h("thead", {}, h("tr", {}, ["Email", "Name", "Status", "Last sign-in", "Role", "Password"].map((x) => h("th", {}, x)))), h("tbody", {}, rows)),
    h("section", { class: "card" }, h("h2", {}, "Invite a person"), invite)];
}

async function modulesSection() {
  const data = await gql("{ modules { module enabled } }");
  const boxes = data.modules.map((m) => [m, h("input", { type: "checkbox", checked: m.enabled })]);
  const form = h("form", { novalidate: true, "aria-label": "Modules" }, formError(),
    h("div", { class: "toolbar" }, boxes.map(([m, b]) => field(m.module, `module.${m.module}`, b))),
    h("button", { type: "submit" }, "Save modules"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      for (const [m, b] of boxes) {
        if (b.checked === m.enabled) continue;
        const out = await mutate(`mutation($m: String!, $e: Boolean!) { setModuleEnabled(module: $m, enabled: $e) { position ${ERR} } }`,
          { m: m.module, e: b.checked }, "setModuleEnabled");
        if (showErrors(form, out.userErrors.map((e) => ({ ...e, field: `module.${m.module}` })))) return;
      }
      await list();
      notify("Modules saved");
    }, form);
  });
  return h("section", { class: "card" }, h("h2", {}, "Modules"),
    h("p", { class: "muted" }, "A module that is off refuses its reads and writes (MODULE_DISABLED) until it is on again."), form);
}

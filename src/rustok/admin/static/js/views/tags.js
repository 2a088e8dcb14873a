// Tags: the shop's tags (one list for products and pages/posts) with their uses; rename, merge, delete.
// Needs tags:manage (the section is shown only with it; the server checks it again on every call).
import { can, gql, mutate } from "../api.js";
import { field, formError, guard, h, input, notify, page, select, showErrors } from "../ui.js";

const ERR = "userErrors { field code message }";
const PAGE = 50;
const LIST = `query($s: String, $first: Int, $after: String, $last: Int, $before: String) {
  staffTags(search: $s, first: $first, after: $after, last: $last, before: $before) {
    totalCount totalCountCapped
    nodes { id name slug productCount contentCount uses }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

export async function list(state = { search: "" }) {
  if (!can("tags:manage")) {
    page("Tags", h("p", { class: "error", role: "alert" }, "Your role may not manage tags (permission tags:manage)."));
    return;
  }
  const vars = { s: state.search || null };
  if (state.before) Object.assign(vars, { last: PAGE, before: state.before });
  else Object.assign(vars, { first: PAGE, after: state.after || null });
  const data = (await gql(LIST, vars)).staffTags;
  const again = () => list(state);

  const q = input({ type: "search", value: state.search || "" });
  const search = h("form", { class: "inline", role: "search", "aria-label": "Find tags" },
    field("Search name or slug", "search", q), h("button", { type: "submit" }, "Search"));
  search.addEventListener("submit", (ev) => { ev.preventDefault(); guard(() => list({ search: q.value.trim() })); });

  const picks = [];
  const rows = data.nodes.map((t) => {
    const pick = h("input", { type: "checkbox", value: t.id, "aria-label": `Select ${t.name} for merging` });
    picks.push([t, pick]);
    const name = input({ value: t.name, required: true }), slug = input({ value: t.slug });
    const rename = h("form", { class: "inline", novalidate: true, "aria-label": `Rename ${t.name}` }, formError(),
      field("Name", "name", name), field("Slug", "slug", slug), h("button", { type: "submit", class: "secondary" }, "Rename"));
    rename.addEventListener("submit", (ev) => {
      ev.preventDefault();
      guard(async () => {
        const out = await mutate(`mutation($id: ID!, $n: String!, $s: String) { renameTag(id: $id, name: $n, slug: $s) {
            tag { name slug } position ${ERR} } }`, { id: t.id, n: name.value, s: slug.value.trim() || null }, "renameTag");
        if (showErrors(rename, out.userErrors)) return;
        await again();
        notify(`Renamed to ${out.tag.name}`);
      }, rename);
    });
    const remove = h("button", { type: "button", class: "danger", onclick: () => guard(async () => {
      if (!confirm(`Delete the tag ${t.name}? It is removed from ${t.uses} item(s).`)) return;
      const out = await mutate(`mutation($id: ID!) { deleteTag(id: $id) { deleted position ${ERR} } }`, { id: t.id }, "deleteTag");
      if (out.userErrors.length) { notify(out.userErrors[0].message, true); return; }
      await again();
      notify(`${t.name} deleted`);
    }) }, "Delete");
    return h("tr", { "data-tag": t.slug }, h("td", {}, pick), h("td", {}, h("strong", {}, t.name)), h("td", {}, t.slug),
      h("td", { "data-count": "products" }, String(t.productCount)), h("td", { "data-count": "content" }, String(t.contentCount)),
      h("td", {}, h("details", {}, h("summary", {}, "Rename"), rename)), h("td", {}, remove));
  });

  const target = select([["", "Choose the tag to keep"], ...data.nodes.map((t) => [t.id, `${t.name} (${t.slug})`])], "");
  const merge = h("form", { class: "inline", novalidate: true, "aria-label": "Merge tags" }, formError(),
    field("Merge the selected tags into", "targetId", target), h("button", { type: "submit" }, "Merge"));
  merge.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const sources = picks.filter(([, b]) => b.checked).map(([t]) => t.id).filter((id) => id !== target.value);
    if (!target.value) { showErrors(merge, [{ field: "targetId", message: "targetId: choose the tag to keep" }]); return; }
    if (!sources.length) { showErrors(merge, [{ field: null, message: "Select at least one other tag to merge (the checkboxes in the list)." }]); return; }
    guard(async () => {
      const out = await mutate(`mutation($s: [ID!]!, $t: ID!) { mergeTags(sourceIds: $s, targetId: $t) {
          tag { name uses } position ${ERR} } }`, { s: sources, t: target.value }, "mergeTags");
      if (showErrors(merge, out.userErrors)) return;
      await again();
      notify(`Merged into ${out.tag.name} (${out.tag.uses} uses)`);
    }, merge);
  });

  const info = data.pageInfo;
  const pager = h("div", { class: "pager" },
    h("span", { class: "muted", "data-total": "" }, `${data.totalCount}${data.totalCountCapped ? "+" : ""} tag(s)`),
    info.hasPreviousPage ? h("button", { type: "button", class: "secondary",
      onclick: () => guard(() => list({ search: state.search, before: info.startCursor })) }, "Previous page") : null,
    info.hasNextPage ? h("button", { type: "button", class: "secondary",
      onclick: () => guard(() => list({ search: state.search, after: info.endCursor })) }, "Next page") : null);

  page("Tags",
    h("p", { class: "muted" }, "One list of tags for products and pages/posts. Renaming, merging or deleting a tag changes every item that carries it."),
    search, pager,
    data.nodes.length ? h("table", {}, h("caption", { class: "muted" }, "Tags and their uses"),
      h("thead", {}, h("tr", {}, ["Select", "Name", "Slug", "Products", "Pages & posts", "Rename", "Delete"].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows)) : h("p", {}, state.search ? "No tag matches." : "No tags yet: they are made when you tag a product or a post."),
    data.nodes.length > 1 ? h("section", { class: "card" }, h("h2", {}, "Merge tags"),
      h("p", { class: "muted" }, "Everything that carries a selected tag carries the kept tag instead; the selected tags are deleted."),
      merge) : null);
}

// Content: pages and posts (Markdown editor with preview, publish, schedule, archive, delete, revisions with
// diff and restore, category, tags, SEO), content categories, and the comment moderation queue.
import { can, gql, mutate } from "../api.js";
import { diffLines } from "../diff.js";
import { renderMarkdown } from "../markdown.js";
import {
  badge, field, formError, guard, h, input, isoToLocal, localToIso, notify, page, select, showErrors, when,
} from "../ui.js";
import { seoSection, slugify, tagsSection } from "./catalog.js";
import { imagesSection } from "./media.js";

const ERR = "userErrors { field code message }";

const LIST = `query($s: String, $k: NodeKind, $f: ContentFilter, $sort: ContentSort, $first: Int, $after: String, $last: Int, $before: String) {
  contents(search: $s, kind: $k, filter: $f, sort: $sort, first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id kind title slug status author { name } category { name } publishedAt updatedAt } } }`;

export async function list() {
  const kind = select([["", "pages and posts"], ["post", "posts"], ["page", "pages"]], "");
  const status = select([["", "any status"], "draft", "scheduled", "published", "archived"], "");
  const search = input({ type: "search" });
  const form = h("form", { class: "inline", role: "search", "aria-label": "Filter content" },
    field("Search", "search", search), field("Kind", "kind", kind), field("Status", "status", status), h("button", { type: "submit" }, "Apply"));
  const results = h("div", {});
  const load = async (paging = { first: 20 }) => {
    const f = status.value ? { status: [status.value] } : {};
    const s = search.value.trim() || null;
    const data = await gql(LIST, { s, k: kind.value || null, f, sort: s ? "relevance" : "newest", ...paging });
    let nodes = data.contents.nodes;
    if (!kind.value) nodes = nodes.filter((n) => n.kind !== "comment");
    results.replaceChildren(
      h("table", {}, h("thead", {}, h("tr", {}, ["Title", "Kind", "Status", "Author", "Category", "Published"].map((x) => h("th", {}, x)))),
        h("tbody", {}, nodes.map((n) => h("tr", { "data-slug": n.slug || "" },
          h("td", {}, h("a", { href: `#/content/${n.id}` }, n.title || "(untitled)"), h("div", { class: "muted" }, n.slug || "")),
          h("td", {}, n.kind), h("td", {}, badge(n.status)), h("td", {}, n.author?.name || "—"), h("td", {}, n.category?.name || "—"),
          h("td", {}, when(n.publishedAt)))))),
      h("div", { class: "pager" },
        h("button", { type: "button", class: "secondary", disabled: !data.contents.pageInfo.hasPreviousPage,
          onclick: () => guard(() => load({ last: 20, before: data.contents.pageInfo.startCursor })) }, "Previous page"),
        h("button", { type: "button", class: "secondary", disabled: !data.contents.pageInfo.hasNextPage,
          onclick: () => guard(() => load({ first: 20, after: data.contents.pageInfo.endCursor })) }, "Next page")));
  };
  form.addEventListener("submit", (ev) => { ev.preventDefault(); guard(() => load()); });
  page("Content",
    h("div", { class: "toolbar" }, h("a", { href: "#/content/new/post" }, "New post"), h("a", { href: "#/content/new/page" }, "New page"),
      can("content:write_all") ? h("a", { href: "#/content-categories" }, "Categories") : null),
    form, results);
  await load();
}

function editorForm(node, categories, onSubmit) {
  const title = input({ value: node.title || "" }), slug = input({ value: node.slug || "" });
  const excerpt = h("textarea", { rows: "2", style: "min-height:3rem" }, node.excerpt || "");
  const body = h("textarea", { rows: "18", spellcheck: "true" }, node.body || "");
  const format = select(["markdown", "html", "plain"], node.bodyFormat || "markdown");
  const category = select([["", "— none —"], ...categories.map((c) => [c.id, c.name])], node.category?.id || "");
  const preview = h("div", { class: "preview", "aria-live": "polite", "aria-label": "Preview", role: "region" });
  const refresh = () => {
    if (format.value === "markdown") preview.innerHTML = renderMarkdown(body.value);
    else preview.textContent = body.value;
  };
  body.addEventListener("input", refresh);
  format.addEventListener("change", refresh);
  refresh();
  let touched = !!node.slug;
  slug.addEventListener("input", () => { touched = true; });
  title.addEventListener("input", () => { if (!touched) slug.value = slugify(title.value); });
  const form = h("form", { novalidate: true, "aria-label": "Editor" }, formError(),
    h("div", { class: "grid2" }, field("Title", "title", title), field("Slug", "slug", slug)),
    field("Excerpt", "excerpt", excerpt),
    h("div", { class: "grid2" }, field("Format", "format", format), field("Category", "categoryId", category)),
    h("div", { class: "grid2" }, field("Body", "body", body), h("div", {}, h("strong", {}, "Preview"), preview)),
    h("button", { type: "submit" }, node.id ? "Save" : "Create"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(() => onSubmit(form, { title: title.value, slug: slug.value.trim() || null, excerpt: excerpt.value || null, body: body.value,
      format: format.value, categoryId: category.value || null }), form);
  });
  return form;
}

function flatten(tree, depth = 0, out = []) {
  for (const c of tree) { out.push({ ...c, name: `${"— ".repeat(depth)}${c.name}` }); flatten(c.children || [], depth + 1, out); }
  return out;
}

async function contentCategoryList() {
  const data = await gql("{ contentCategories { id name slug children { id name slug children { id name slug } } } }");
  return flatten(data.contentCategories);
}

export async function create(kind) {
  const categories = await contentCategoryList();
  const form = editorForm({ kind }, categories, async (f, values) => {
    const out = await mutate(`mutation($input: CreateNodeInput!) { createNode(input: $input) { node { id } position ${ERR} } }`,
      { input: { kind, ...values } }, "createNode");
    if (showErrors(f, out.userErrors)) return;
    notify(`${kind === "post" ? "Post" : "Page"} created as a draft`);
    location.hash = `#/content/${out.node.id}`;
  });
  page(kind === "post" ? "New post" : "New page", h("p", {}, h("a", { href: "#/content" }, "← Content")), form);
  form.querySelector("input").focus();
}

const NODE = `query($id: ID!) { content(id: $id) { id kind title slug excerpt body bodyFormat status publishedAt updatedAt
  category { id } tags { name } seo { title description canonicalUrl imageUrl robots } author { name }
  images { id url altText } revisions(first: 50) { totalCount nodes { id title excerpt body createdAt } } } }`;

export async function edit(id) {
  const [data, categories] = await Promise.all([gql(NODE, { id }), contentCategoryList()]);
  const n = data.content;
  if (!n) { page("Not found", h("a", { href: "#/content" }, "← Content")); return; }
  const reload = () => edit(id);
  const form = editorForm(n, categories, async (f, values) => {
    const out = await mutate(`mutation($id: ID!, $input: UpdateNodeInput!) { updateNode(id: $id, input: $input) { position ${ERR} } }`,
      { id, input: values }, "updateNode");
    if (showErrors(f, out.userErrors)) return;
    await reload();
    notify("Saved");
  });
  const publishing = h("section", { class: "card", "aria-labelledby": "sec-publish" }, h("h2", { id: "sec-publish" }, "Publishing"),
    h("p", {}, "Status: ", badge(n.status), n.publishedAt ? [" · ", n.status === "scheduled" ? "publishes " : "published ", when(n.publishedAt)] : null));
  if (can("content:publish")) {
    const batch = (mutation, label, extra = {}) => guard(async () => {
      const fieldName = /\{ (\w+)\(/.exec(mutation)[1];
      const out = await mutate(mutation, { ids: [id], ...extra }, fieldName);
      if (out.userErrors.length) { showErrors(schedule, out.userErrors); return; }
      await reload();
      notify(label);
    }, schedule);
    const at = input({ type: "datetime-local", step: "1", value: n.status === "scheduled" ? isoToLocal(n.publishedAt) : "" });
    const schedule = h("form", { class: "inline", novalidate: true, "aria-label": "Schedule" }, formError(),
      field("Publish at (your local time)", "at", at), h("button", { type: "submit" }, "Schedule"));
    schedule.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (!at.value) { showErrors(schedule, [{ field: "at", message: "choose a date and time" }]); return; }
      batch("mutation($ids: [ID!]!, $at: DateTime!) { scheduleNodes(ids: $ids, at: $at) { ids position userErrors { field code message } } }",
        `Scheduled for ${when(localToIso(at.value))}`, { at: localToIso(at.value) });
    });
    publishing.append(h("div", { class: "toolbar" },
      n.status !== "published" ? h("button", { type: "button", onclick: () => batch(
        "mutation($ids: [ID!]!) { publishNodes(ids: $ids) { ids position userErrors { field code message } } }", "Published") }, "Publish now") : null,
      n.status !== "archived" ? h("button", { type: "button", class: "secondary", onclick: () => batch(
        "mutation($ids: [ID!]!) { archiveNodes(ids: $ids) { ids position userErrors { field code message } } }", "Archived") }, "Archive") : null),
    schedule);
  } else {
    publishing.append(h("p", { class: "muted" }, "An editor publishes this (your role cannot publish)."));
  }
  const revisions = h("section", { class: "card", "aria-labelledby": "sec-revisions" }, h("h2", { id: "sec-revisions" }, "Revisions"));
  const diffBox = h("div", { "aria-live": "polite" });
  if (!n.revisions.nodes.length) revisions.append(h("p", { class: "muted" }, "No earlier revisions."));
  else {
    revisions.append(h("table", {}, h("thead", {}, h("tr", {}, ["Saved", "Title", ""].map((x) => h("th", {}, x)))),
      h("tbody", {}, n.revisions.nodes.map((r) => h("tr", {}, h("td", {}, when(r.createdAt)), h("td", {}, r.title || ""),
        h("td", {},
          h("button", { type: "button", class: "secondary", onclick: () => showDiff(r) }, "Compare with current"), " ",
          h("button", { type: "button", onclick: () => guard(async () => {
            const out = await mutate(`mutation($r: ID!) { restoreRevision(revisionId: $r) { position ${ERR} } }`, { r: r.id }, "restoreRevision");
            if (out.userErrors.length) { notify(out.userErrors[0].message, true); return; }
            await reload();
            notify("Revision restored (the replaced text is kept as a revision)");
          }) }, "Restore")))))), diffBox);
  }
  function showDiff(r) {
    const parts = [];
    if ((r.title || "") !== (n.title || "")) parts.push({ op: "del", text: `title: ${r.title || ""}` }, { op: "add", text: `title: ${n.title || ""}` });
    parts.push(...diffLines(r.body || "", n.body || ""));
    diffBox.replaceChildren(h("h3", {}, `Changes from the revision of ${when(r.createdAt)} to the current text`),
      h("div", { class: "diff", "data-testid": "diff" }, parts.map((p) => h(p.op === "add" ? "ins" : p.op === "del" ? "del" : "span", {}, p.text))));
  }
  const danger = h("section", { class: "card" }, h("h2", {}, "Delete"),
    h("button", { type: "button", class: "danger", onclick: () => guard(async () => {
      if (!confirm(`Delete “${n.title}” with its comments?`)) return;
      const out = await mutate(`mutation($id: ID!) { deleteNode(id: $id) { deleted position ${ERR} } }`, { id }, "deleteNode");
      if (out.userErrors.length) { notify(out.userErrors[0].message, true); return; }
      notify("Deleted");
      location.hash = "#/content";
    }) }, `Delete this ${n.kind}`));
  page(n.title || "(untitled)", h("p", {}, h("a", { href: "#/content" }, "← Content"), " · ", n.kind, " by ", n.author?.name || "—"),
    form, publishing, can("tags:manage") ? tagsSection(n, reload, "node") : null, seoSection("node", n, reload),
    imagesSection(n, reload, "node"), revisions, danger);
}

// ---------------------------------------------------------------- content categories

export async function categories() {
  const all = await contentCategoryList();
  const name = input(), slug = input(), parent = select([["", "— top level —"], ...all.map((c) => [c.id, c.name])], "");
  const form = h("form", { class: "inline", novalidate: true, "aria-label": "New content category" }, formError(),
    field("Name", "name", name), field("Slug", "slug", slug), field("Parent", "parentId", parent), h("button", { type: "submit" }, "Create category"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      const out = await mutate(`mutation($input: ContentCategoryInput!) { createContentCategory(input: $input) { position ${ERR} } }`,
        { input: { name: name.value, slug: slug.value.trim() || null, parentId: parent.value || null } }, "createContentCategory");
      if (showErrors(form, out.userErrors)) return;
      await categories();
      notify("Category created");
    }, form);
  });
  page("Content categories", h("p", {}, h("a", { href: "#/content" }, "← Content")), form,
    h("table", {}, h("thead", {}, h("tr", {}, ["Name", "Slug", ""].map((x) => h("th", {}, x)))),
      h("tbody", {}, all.map((c) => h("tr", {}, h("td", {}, c.name), h("td", {}, c.slug),
        h("td", {}, h("button", { type: "button", class: "danger", onclick: () => guard(async () => {
          if (!confirm(`Delete ${c.name}?`)) return;
          const out = await mutate(`mutation($id: ID!) { deleteContentCategory(id: $id) { deleted position ${ERR} } }`, { id: c.id }, "deleteContentCategory");
          if (out.userErrors.length) { notify(out.userErrors[0].message, true); return; }
          await categories();
        }) }, "Delete")))))));
}

// ---------------------------------------------------------------- comment moderation

const QUEUE = `query($f: ContentFilter) { contents(kind: comment, filter: $f, sort: newest, first: 50) {
  totalCount nodes { id bodyPreview status createdAt author { name } parent { id kind title slug } } } }`;

export async function moderation(statusFilter = "pending") {
  const status = select(["pending", "approved", "spam"], statusFilter);
  const form = h("form", { class: "inline", "aria-label": "Queue" }, field("Show", "status", status), h("button", { type: "submit" }, "Show"));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); guard(() => moderation(status.value)); });
  const data = await gql(QUEUE, { f: { status: [statusFilter] } });
  const act = (ids, to) => guard(async () => {
    const out = await mutate(`mutation($ids: [ID!]!, $s: CommentStatus!) { moderateComments(ids: $ids, status: $s) { ids position ${ERR} } }`,
      { ids, s: to }, "moderateComments");
    if (out.userErrors.length) { notify(out.userErrors[0].message, true); return; }
    await moderation(statusFilter);
    notify(to === "approved" ? "Approved: the comment is public" : to === "spam" ? "Rejected as spam" : "Back in the queue");
  });
  const nodes = data.contents.nodes;
  page("Comments",
    form, h("p", { class: "muted" }, `${data.contents.totalCount} ${statusFilter} comment(s)`),
    nodes.length ? h("table", {}, h("thead", {}, h("tr", {}, ["Comment", "By", "On", "Written", ""].map((x) => h("th", {}, x)))),
      h("tbody", {}, nodes.map((c) => h("tr", { "data-comment": c.id },
        h("td", {}, c.bodyPreview || ""), h("td", {}, c.author?.name || "—"),
        h("td", {}, c.parent ? h("a", { href: c.parent.kind === "comment" ? "#/comments" : `#/content/${c.parent.id}` }, c.parent.title || "a comment") : "—"),
        h("td", {}, when(c.createdAt)),
        h("td", {},
          statusFilter !== "approved" ? h("button", { type: "button", onclick: () => act([c.id], "approved") }, "Approve") : null, " ",
          statusFilter !== "spam" ? h("button", { type: "button", class: "danger", onclick: () => act([c.id], "spam") }, "Reject") : null, " ",
          statusFilter !== "pending" ? h("button", { type: "button", class: "secondary", onclick: () => act([c.id], "pending") }, "Back to queue") : null)))))
      : h("p", {}, "Nothing to moderate."));
}

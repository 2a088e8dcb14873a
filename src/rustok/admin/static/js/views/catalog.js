// Catalog: product list (search, filters, cursor pages, bulk publish), the product editor and categories.
import { can, gql, gqlAll, mutate } from "../api.js";
import {
  badge, field, formError, fromMinor, guard, h, input, isoToLocal, localToIso, money, notify, page, select, showErrors, toMinor,
} from "../ui.js";
import { imagesSection } from "./media.js";

const ERR = "userErrors { field code message }";
const CURRENCIES = ["EUR", "USD", "GBP", "JPY"];
const STATUSES = ["draft", "proposed", "published", "rejected"];

const LIST = `query($s: String, $f: ProductFilter, $sort: ProductSort, $after: String, $before: String, $first: Int, $last: Int) {
  products(search: $s, filter: $f, sort: $sort, currency: "EUR", first: $first, after: $after, last: $last, before: $before) {
    totalCount totalCountCapped pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id title handle status totalStock variantCount price { calculated { amount currencyCode } original { amount currencyCode } onSale } }
  } }`;

export async function list(state = {}) {
  const search = input({ type: "search", value: state.search || "", placeholder: "title, handle, sku…" });
  const status = select([["", "any status"], ...STATUSES], state.status || "");
  const inStock = h("input", { type: "checkbox", checked: !!state.inStock });
  const category = select([["", "any category"]], "");
  const filters = h("form", { class: "inline", role: "search", "aria-label": "Filter products" },
    field("Search", "search", search), field("Status", "status", status), field("Category", "category", category),
    field("In stock only", "inStock", inStock), h("button", { type: "submit" }, "Apply"));
  const results = h("div", {});
  const main = page("Products",
    h("div", { class: "toolbar" },
      can("catalog:write") ? h("a", { href: "#/products/new" }, "New product") : null,
      h("a", { href: "#/categories" }, "Categories")),
    filters, results);
  guard(async () => {
    const cats = await gqlAll(CATEGORY_PAGE("id name"), {}, "allCategories");
    for (const c of cats) category.append(h("option", { value: c.id, selected: c.id === state.category }, c.name));
  });
  const load = async (paging = { first: 20 }) => {
    const f = {};
    if (status.value) f.status = [status.value];
    if (inStock.checked) f.inStock = true;
    if (category.value) f.categoryIds = [category.value];
    const s = search.value.trim() || null;
    const data = await gql(LIST, { s, f, sort: s ? "relevance" : "newest", ...paging });
    renderList(results, data.products, load);
  };
  filters.addEventListener("submit", (ev) => { ev.preventDefault(); guard(() => load()); });
  await load();
  return main;
}

function renderList(target, conn, load) {
  const checks = [];
  const rows = conn.nodes.map((p) => {
    const box = h("input", { type: "checkbox", value: p.id, "aria-label": `Select ${p.title}` });
    checks.push(box);
    return h("tr", { "data-product": p.handle },
      h("td", {}, box),
      h("td", {}, h("a", { href: `#/products/${p.id}` }, p.title), h("div", { class: "muted" }, p.handle)),
      h("td", {}, badge(p.status)),
      h("td", {}, p.price ? [money(p.price.calculated), p.price.onSale ? h("s", { class: "muted" }, " ", money(p.price.original)) : null] : "—"),
      h("td", {}, String(p.variantCount)), h("td", {}, String(p.totalStock)));
  });
  const bulk = async (newStatus) => {
    const ids = checks.filter((c) => c.checked).map((c) => c.value);
    if (!ids.length) { notify("Select products first", true); return; }
    let failed = 0;
    for (const id of ids) {
      const out = await mutate(`mutation($id: ID!, $s: ProductStatus!) { updateProduct(id: $id, input: {status: $s}) { position ${ERR} } }`,
        { id, s: newStatus }, "updateProduct");
      if (out.userErrors.length) failed += 1;
    }
    await load();
    notify(failed ? `${ids.length - failed} changed, ${failed} refused` : `${ids.length} product(s) now ${newStatus}`, failed > 0);
  };
  const all = h("input", { type: "checkbox", "aria-label": "Select all on this page",
    onchange: (ev) => checks.forEach((c) => { c.checked = ev.target.checked; }) });
  target.replaceChildren(
    h("p", { class: "muted" }, `${conn.totalCount}${conn.totalCountCapped ? "+" : ""} products`),
    can("catalog:write") ? h("div", { class: "toolbar" },
      h("button", { type: "button", onclick: () => guard(() => bulk("published")) }, "Publish selected"),
      h("button", { type: "button", class: "secondary", onclick: () => guard(() => bulk("draft")) }, "Unpublish selected")) : null,
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, all), h("th", {}, "Product"), h("th", {}, "Status"),
      h("th", {}, "Price (EUR)"), h("th", {}, "Variants"), h("th", {}, "Stock"))), h("tbody", {}, rows)),
    h("div", { class: "pager" },
      h("button", { type: "button", class: "secondary", disabled: !conn.pageInfo.hasPreviousPage,
        onclick: () => guard(() => load({ last: 20, before: conn.pageInfo.startCursor })) }, "Previous page"),
      h("button", { type: "button", class: "secondary", disabled: !conn.pageInfo.hasNextPage,
        onclick: () => guard(() => load({ first: 20, after: conn.pageInfo.endCursor })) }, "Next page")));
}

// ---------------------------------------------------------------- new product

function variantRow(i, currency) {
  const title = input({ value: "" }), sku = input(), price = input({ inputmode: "decimal", placeholder: "12.50" });
  const stock = input({ type: "number", min: "0", value: "0" });
  const row = h("fieldset", { class: "grid3", "data-variant": String(i) }, h("legend", {}, `Variant ${i + 1}`),
    field("Title", `variants[${i}].title`, title), field("SKU", `variants[${i}].sku`, sku),
    field(`Price (${currency})`, `variants[${i}].prices[0].amount`, price), field("Opening stock", `variants[${i}].stock`, stock));
  row.read = () => ({ title: title.value.trim() || null, sku: sku.value.trim() || null, price: price.value, stock: stock.value });
  return row;
}

export async function create() {
  const title = input({ required: true }), handle = input(), subtitle = input();
  const description = h("textarea", { rows: "4" });
  const status = select(STATUSES, "draft");
  const currency = select(CURRENCIES, "EUR");
  let touched = false;
  handle.addEventListener("input", () => { touched = true; });
  title.addEventListener("input", () => { if (!touched) handle.value = slugify(title.value); });
  const variants = h("div", {});
  const addRow = () => variants.append(variantRow(variants.children.length, currency.value));
  addRow();
  const form = h("form", { novalidate: true, "aria-label": "New product" }, formError(),
    h("div", { class: "grid2" }, field("Title", "title", title), field("Handle", "handle", handle, { hint: "the URL part: blue-tee" })),
    field("Subtitle", "subtitle", subtitle), field("Description", "description", description),
    h("div", { class: "grid2" }, field("Status", "status", status), field("Currency of the prices", "currency", currency)),
    h("h2", {}, "Variants"), variants,
    h("div", { class: "toolbar" }, h("button", { type: "button", class: "secondary", onclick: addRow }, "Add variant")),
    h("button", { type: "submit" }, "Create product"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      const cur = currency.value;
      const local = [];
      const vs = [...variants.children].map((row, i) => {
        const v = row.read();
        const amount = toMinor(v.price, cur);
        if (Number.isNaN(amount)) local.push({ field: `variants[${i}].prices[0].amount`, message: "enter an amount like 12.50" });
        const stockN = v.stock === "" ? null : Number(v.stock);
        return { title: v.title, sku: v.sku, prices: amount === null || Number.isNaN(amount) ? [] : [{ amount, currencyCode: cur }],
          stock: stockN };
      });
      if (local.length) { showErrors(form, local); return; }
      const out = await mutate(`mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } position ${ERR} } }`,
        { input: { title: title.value, handle: handle.value.trim(), subtitle: subtitle.value || null,
          description: description.value || null, status: status.value, variants: vs } }, "createProduct");
      // a refused sku or barcode names the column only: put it at the variant whose value the message quotes
      const errors = out.userErrors.map((e) => {
        if (e.field !== "sku" && e.field !== "barcode") return e;
        const i = vs.findIndex((v) => v[e.field] && e.message.includes(v[e.field]));
        return { ...e, field: `variants[${Math.max(i, 0)}].${e.field}` };
      });
      if (showErrors(form, errors)) return;
      notify("Product created");
      location.hash = `#/products/${out.product.id}`;
    }, form);
  });
  page("New product", h("p", {}, h("a", { href: "#/products" }, "← Products")), form);
  title.focus();
}

export function slugify(text) {
  return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 100);
}

// ---------------------------------------------------------------- product editor

const PRODUCT = `query($id: ID!) {
  product(id: $id) { id title handle subtitle description status discountable
    variants { id title sku position prices { amount currencyCode }
               stock { location { id name } stocked reserved available } selectedOptions { name value } }
    options { id title values } categories { id } tags { name } seo { title description canonicalUrl imageUrl robots }
    images { id url altText }
    price(currency: "EUR") { calculated { amount currencyCode } original { amount currencyCode } onSale } } }`;
// every catalog category (a connection: gqlAll walks its pages), with `fields`
const CATEGORY_PAGE = (fields, vars = "") => `query($first: Int, $after: String${vars}) {
  allCategories(first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${fields} } } }`;
// every price list, each with its prices of this product's variants (at most 100 a list: variants x currencies x tiers)
const PRICE_LISTS = `query($first: Int, $after: String, $variants: [ID!]!) { priceLists(first: $first, after: $after) {
  pageInfo { hasNextPage endCursor } nodes { id title type status startsAt endsAt
    prices(variantIds: $variants, first: 100) { nodes { variantId amount currencyCode } } } } }`;

export async function edit(id) {
  const [data, allCategories] = await Promise.all([gql(PRODUCT, { id }),
    gqlAll(CATEGORY_PAGE("id name hasProduct(productId: $id)", ", $id: ID!"), { id }, "allCategories")]);
  const p = data.product;
  if (!p) { page("Product not found", h("p", {}, h("a", { href: "#/products" }, "← Products"))); return; }
  const priceLists = (await gqlAll(PRICE_LISTS, { variants: p.variants.map((v) => v.id) }, "priceLists"))
    .map((l) => ({ ...l, prices: l.prices.nodes }));
  const reload = () => edit(id);
  page(p.title,
    h("p", {}, h("a", { href: "#/products" }, "← Products"), " · ", badge(p.status),
      p.price ? [" · ", money(p.price.calculated), p.price.onSale ? [" (was ", money(p.price.original), ")"] : null] : null),
    detailsSection(p, reload), variantsSection(p, reload), optionsSection(p, reload),
    priceListsSection(p, priceLists, reload), categoriesSection(p, allCategories, reload),
    tagsSection(p, reload, "product"), seoSection("product", p, reload), imagesSection(p, reload), dangerSection(p));
}

function detailsSection(p, reload) {
  const title = input({ value: p.title }), handle = input({ value: p.handle }), subtitle = input({ value: p.subtitle || "" });
  const description = h("textarea", { rows: "4" }, p.description || "");
  const status = select(STATUSES, p.status);
  const discountable = h("input", { type: "checkbox", checked: p.discountable });
  const form = h("form", { novalidate: true, "aria-label": "Product details" }, formError(),
    h("div", { class: "grid2" }, field("Title", "title", title), field("Handle", "handle", handle)),
    field("Subtitle", "subtitle", subtitle), field("Description", "description", description),
    h("div", { class: "grid2" }, field("Status", "status", status), field("Discountable", "discountable", discountable)),
    h("div", { class: "toolbar" }, h("button", { type: "submit" }, "Save details"),
      p.status !== "published" ? h("button", { type: "button", class: "secondary", onclick: () => setStatus("published") }, "Publish")
        : h("button", { type: "button", class: "secondary", onclick: () => setStatus("draft") }, "Unpublish")));
  const save = (input) => guard(async () => {
    const out = await mutate(`mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { position ${ERR} } }`,
      { id: p.id, input }, "updateProduct");
    if (showErrors(form, out.userErrors)) return;
    await reload();
    notify("Saved");
  }, form);
  const setStatus = (s) => save({ status: s });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    save({ title: title.value, handle: handle.value.trim(), subtitle: subtitle.value || null, description: description.value || null,
      status: status.value, discountable: discountable.checked });
  });
  return h("section", { class: "card", "aria-labelledby": "sec-details" }, h("h2", { id: "sec-details" }, "Details"), form);
}

function variantsSection(p, reload) {
  const currencies = [...new Set(["EUR", ...p.variants.flatMap((v) => v.prices.map((x) => x.currencyCode))])];
  const forms = p.variants.map((v) => {
    const title = input({ value: v.title }), sku = input({ value: v.sku || "" });
    const prices = Object.fromEntries(currencies.map((c) => {
      const current = v.prices.find((x) => x.currencyCode === c);
      return [c, input({ inputmode: "decimal", value: current ? fromMinor(current.amount, c) : "", "data-old": current ? current.amount : "" })];
    }));
    const stocks = v.stock.map((s) => [s, input({ type: "number", min: "0", value: String(s.stocked) })]);
    const form = h("form", { novalidate: true, class: "card", "aria-label": `Variant ${v.title}`, "data-variant-id": v.id }, formError(),
      h("div", { class: "grid3" }, field("Title", "title", title), field("SKU", "sku", sku),
        ...currencies.map((c) => field(`Price ${c}`, `price.${c}`, prices[c])),
        ...stocks.map(([s, el]) => field(`Stocked at ${s.location.name} (reserved ${s.reserved})`, `stock.${s.location.id}`, el))),
      h("div", { class: "toolbar" }, h("button", { type: "submit" }, "Save variant"),
        h("button", { type: "button", class: "danger", onclick: () => remove() }, "Delete variant")));
    const remove = () => guard(async () => {
      if (!confirm(`Delete variant ${v.title}?`)) return;
      const out = await mutate(`mutation($id: ID!) { deleteVariant(id: $id) { position ${ERR} } }`, { id: v.id }, "deleteVariant");
      if (showErrors(form, out.userErrors)) return;
      await reload();
      notify("Variant deleted");
    }, form);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      guard(async () => {
        let out = await mutate(`mutation($id: ID!, $input: VariantPatch!) { updateVariant(id: $id, input: $input) { position ${ERR} } }`,
          { id: v.id, input: { title: title.value, sku: sku.value.trim() || null } }, "updateVariant");
        if (showErrors(form, out.userErrors)) return;
        for (const c of currencies) {
          const amount = toMinor(prices[c].value, c);
          if (amount === null || String(amount) === String(prices[c].dataset.old)) continue;
          if (Number.isNaN(amount)) { showErrors(form, [{ field: `price.${c}`, message: "enter an amount like 12.50" }]); return; }
          out = await mutate(`mutation($v: ID!, $c: String!, $a: BigInt!) { setVariantPrice(variantId: $v, currencyCode: $c, amount: $a) { position ${ERR} } }`,
            { v: v.id, c, a: amount }, "setVariantPrice");
          if (showErrors(form, out.userErrors.map((e) => ({ ...e, field: e.field === "amount" ? `price.${c}` : e.field })))) return;
        }
        for (const [s, el] of stocks) {
          if (Number(el.value) === s.stocked) continue;
          out = await mutate(`mutation($v: ID!, $n: Int!, $l: ID) { setVariantStock(variantId: $v, stocked: $n, locationId: $l) { position ${ERR} } }`,
            { v: v.id, n: Number(el.value), l: s.location.id }, "setVariantStock");
          if (showErrors(form, out.userErrors.map((e) => ({ ...e, field: e.field === "stocked" ? `stock.${s.location.id}` : e.field })))) return;
        }
        await reload();
        notify("Variant saved");
      }, form);
    });
    form.append(adjustForm(v, reload));
    return form;
  });
  // add a variant
  const title = input(), sku = input(), price = input({ inputmode: "decimal", placeholder: "12.50" });
  const stock = input({ type: "number", min: "0", value: "0" });
  const add = h("form", { novalidate: true, "aria-label": "Add a variant" }, formError(),
    h("div", { class: "grid3" }, field("Title", "title", title), field("SKU", "sku", sku), field("Price EUR", "prices[0].amount", price),
      field("Opening stock", "stock", stock)),
    h("button", { type: "submit" }, "Add variant"));
  add.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      const amount = toMinor(price.value);
      if (Number.isNaN(amount)) { showErrors(add, [{ field: "prices[0].amount", message: "enter an amount like 12.50" }]); return; }
      const out = await mutate(`mutation($p: ID!, $input: VariantInput!) { addVariant(productId: $p, input: $input) { position ${ERR} } }`,
        { p: p.id, input: { title: title.value || null, sku: sku.value.trim() || null,
          prices: amount === null ? [] : [{ amount, currencyCode: "EUR" }], stock: stock.value === "" ? null : Number(stock.value) } }, "addVariant");
      if (showErrors(add, out.userErrors)) return;
      if (stock.value && Number(stock.value) > 0) {
        // addVariant takes no opening stock: set it at the first location
        const fresh = await gql(`query($id: ID!) { product(id: $id) { variants { id sku title } } }`, { id: p.id });
        const created = fresh.product.variants.find((x) => (sku.value.trim() && x.sku === sku.value.trim()));
        if (created) await mutate(`mutation($v: ID!, $n: Int!) { setVariantStock(variantId: $v, stocked: $n) { position ${ERR} } }`,
          { v: created.id, n: Number(stock.value) }, "setVariantStock");
      }
      await reload();
      notify("Variant added");
    }, add);
  });
  const location = input();
  const newLocation = h("form", { class: "inline", novalidate: true, "aria-label": "New stock location" }, formError(),
    field("New stock location", "name", location), h("button", { type: "submit", class: "secondary" }, "Create location"));
  newLocation.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      const out = await mutate(`mutation($n: String!) { createStockLocation(name: $n) { position ${ERR} } }`, { n: location.value }, "createStockLocation");
      if (showErrors(newLocation, out.userErrors)) return;
      await reload();
      notify("Stock location created");
    }, newLocation);
  });
  return h("section", { class: "card", "aria-labelledby": "sec-variants" }, h("h2", { id: "sec-variants" }, "Variants, prices and stock"),
    ...forms, h("h2", {}, "Add a variant"), add, newLocation);
}

// Stock changes with a reason (logged in commerce.inventory_adjustments): its own small form inside the variant's.
function adjustForm(v, reload) {
  if (!v.stock.length) return h("span", {});
  const location = select(v.stock.map((s) => [s.location.id, s.location.name]), v.stock[0].location.id);
  const delta = input({ type: "number", placeholder: "+5 or -2" }), reason = input({ placeholder: "recount, damaged, return…" });
  const box = h("fieldset", { class: "inline", "aria-label": `Adjust stock of ${v.title}` }, h("legend", {}, "Adjust stock with a reason"),
    formError(), h("div", { class: "grid3" }, field("Location", "locationId", location), field("Change", "delta", delta),
      field("Reason", "reason", reason)),
    h("button", { type: "button", class: "secondary", onclick: () => guard(async () => {
      const n = Number(delta.value);
      if (!delta.value || !Number.isInteger(n)) { showErrors(box, [{ field: "delta", message: "enter a whole number, e.g. 5 or -2" }]); return; }
      const out = await mutate(`mutation($v: ID!, $l: ID, $d: Int!, $r: String!) { adjustInventory(variantId: $v, locationId: $l, delta: $d, reason: $r) { position ${ERR} } }`,
        { v: v.id, l: location.value, d: n, r: reason.value }, "adjustInventory");
      if (showErrors(box, out.userErrors)) return;
      await reload();
      notify("Stock adjusted");
    }, box) }, "Adjust"));
  return box;
}

function optionsSection(p, reload) {
  const rows = h("div", {});
  const addRow = (title = "", values = []) => {
    const i = rows.children.length;
    const t = input({ value: title }), v = input({ value: values.join(", ") });
    const row = h("div", { class: "grid2" }, field("Option", `options[${i}].title`, t),
      field("Values (comma separated)", `options[${i}].values`, v));
    row.read = () => ({ title: t.value.trim(), values: v.value.split(",").map((x) => x.trim()).filter(Boolean) });
    rows.append(row);
  };
  p.options.forEach((o) => addRow(o.title, o.values));
  if (!p.options.length) addRow();
  const form = h("form", { novalidate: true, "aria-label": "Options" }, formError(), rows,
    h("div", { class: "toolbar" }, h("button", { type: "button", class: "secondary", onclick: () => addRow() }, "Add option"),
      h("button", { type: "submit" }, "Save options")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      const options = [...rows.children].map((r) => r.read()).filter((o) => o.title || o.values.length);
      const out = await mutate(`mutation($p: ID!, $o: [ProductOptionInput!]!) { setProductOptions(productId: $p, options: $o) { position ${ERR} } }`,
        { p: p.id, o: options }, "setProductOptions");
      if (showErrors(form, out.userErrors)) return;
      await reload();
      notify("Options saved");
    }, form);
  });
  const choices = p.options.length ? p.variants.map((v) => {
    const selects = p.options.map((o) => {
      const current = v.selectedOptions.find((s) => s.name === o.title);
      return [o, select([["", "—"], ...o.values], current ? current.value : "")];
    });
    const f = h("form", { class: "inline", novalidate: true, "aria-label": `Option values of ${v.title}` }, formError(),
      h("strong", {}, v.title), ...selects.map(([o, s]) => field(o.title, `option.${o.title}`, s)),
      h("button", { type: "submit", class: "secondary" }, "Set"));
    f.addEventListener("submit", (ev) => {
      ev.preventDefault();
      guard(async () => {
        const opts = selects.filter(([, s]) => s.value).map(([o, s]) => ({ name: o.title, value: s.value }));
        const out = await mutate(`mutation($v: ID!, $o: [SelectedOptionInput!]!) { setVariantOptions(variantId: $v, options: $o) { position ${ERR} } }`,
          { v: v.id, o: opts }, "setVariantOptions");
        if (showErrors(f, out.userErrors)) return;
        await reload();
        notify("Option values saved");
      }, f);
    });
    return f;
  }) : [];
  return h("section", { class: "card", "aria-labelledby": "sec-options" }, h("h2", { id: "sec-options" }, "Options"), form, ...choices);
}

function priceListsSection(p, lists, reload) {
  const ids = new Set(p.variants.map((v) => v.id));
  const mine = lists.filter((l) => l.prices.some((x) => ids.has(x.variantId)));
  const table = mine.length ? h("table", {}, h("thead", {}, h("tr", {}, ["List", "Type", "Status", "Window", "Prices", ""].map((x) => h("th", {}, x)))),
    h("tbody", {}, mine.map((l) => h("tr", {},
      h("td", {}, l.title), h("td", {}, l.type), h("td", {}, badge(l.status)),
      h("td", {}, `${l.startsAt ? new Date(l.startsAt).toLocaleString() : "now"} → ${l.endsAt ? new Date(l.endsAt).toLocaleString() : "open"}`),
      h("td", {}, l.prices.filter((x) => ids.has(x.variantId)).map((x) => {
        const v = p.variants.find((vv) => vv.id === x.variantId);
        return h("div", {}, `${v ? v.title : "?"}: `, money({ amount: x.amount, currencyCode: x.currencyCode }));
      })),
      h("td", {},
        h("button", { type: "button", class: "secondary", onclick: () => guard(async () => {
          const out = await mutate(`mutation($id: ID!, $s: PriceListStatus!) { updatePriceList(id: $id, input: {status: $s}) { position ${ERR} } }`,
            { id: l.id, s: l.status === "active" ? "draft" : "active" }, "updatePriceList");
          if (out.userErrors.length) { notify(out.userErrors[0].message, true); return; }
          await reload();
        }) }, l.status === "active" ? "Deactivate" : "Activate"), " ",
        h("button", { type: "button", class: "danger", onclick: () => guard(async () => {
          if (!confirm(`Delete price list ${l.title}?`)) return;
          await mutate(`mutation($id: ID!) { deletePriceList(id: $id) { position ${ERR} } }`, { id: l.id }, "deletePriceList");
          await reload();
        }) }, "Delete")))))) : h("p", { class: "muted" }, "No price list sets a price for this product.");
  const editors = mine.map((l) => priceListEditor(p, l, ids, reload));
  const title = input({ value: "Sale" });
  const type = select(["sale", "override"], "sale");
  const currency = select(CURRENCIES, "EUR");
  const starts = input({ type: "datetime-local" }), ends = input({ type: "datetime-local" });
  const amounts = p.variants.map((v, i) => [v, input({ inputmode: "decimal", placeholder: "9.99" }), i]);
  const form = h("form", { novalidate: true, "aria-label": "New sale price" }, formError(),
    h("div", { class: "grid3" }, field("Title", "title", title), field("Type", "type", type), field("Currency", "currency", currency),
      field("Starts", "startsAt", starts), field("Ends", "endsAt", ends)),
    h("div", { class: "grid3" }, amounts.map(([v, el, i]) => field(`${v.title} (${v.sku || "no sku"})`, `prices[${i}].amount`, el))),
    h("button", { type: "submit" }, "Create price list"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      const prices = [];
      const local = [];
      amounts.forEach(([v, el], i) => {
        const a = toMinor(el.value, currency.value);
        if (Number.isNaN(a)) local.push({ field: `prices[${i}].amount`, message: "enter an amount like 9.99" });
        else if (a !== null) prices.push({ variantId: v.id, amount: a, currencyCode: currency.value });
      });
      if (local.length) { showErrors(form, local); return; }
      if (!prices.length) { showErrors(form, [{ field: "prices[0].amount", message: "give at least one price" }]); return; }
      const out = await mutate(`mutation($input: PriceListInput!) { createPriceList(input: $input) { position ${ERR} } }`,
        { input: { title: title.value, type: type.value, status: "active", startsAt: localToIso(starts.value), endsAt: localToIso(ends.value), prices } },
        "createPriceList");
      if (showErrors(form, out.userErrors)) return;
      await reload();
      notify("Price list created");
    }, form);
  });
  return h("section", { class: "card", "aria-labelledby": "sec-prices" }, h("h2", { id: "sec-prices" }, "Sale and override prices (price lists)"),
    table, ...editors, h("h2", {}, "New price list"), form);
}

// Change a list's window and this product's prices in it (the list's prices of other products are kept).
function priceListEditor(p, l, ids, reload) {
  const currency = (l.prices.find((x) => ids.has(x.variantId)) || {}).currencyCode || "EUR";
  const starts = input({ type: "datetime-local", value: isoToLocal(l.startsAt) }), ends = input({ type: "datetime-local", value: isoToLocal(l.endsAt) });
  const amounts = p.variants.map((v, i) => {
    const cur = l.prices.find((x) => x.variantId === v.id && x.currencyCode === currency);
    return [v, input({ inputmode: "decimal", value: cur ? fromMinor(cur.amount, currency) : "" }), i];
  });
  const form = h("form", { novalidate: true, "aria-label": `Edit ${l.title}` }, formError(),
    h("div", { class: "grid3" }, field("Starts", "startsAt", starts), field("Ends", "endsAt", ends),
      amounts.map(([v, el, i]) => field(`${v.title} (${currency})`, `prices[${i}].amount`, el))),
    h("button", { type: "submit", class: "secondary" }, `Save ${l.title}`));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      const local = [];
      // only this product's prices are replaced (variantIds); its prices in other currencies are kept
      const prices = l.prices.filter((x) => x.currencyCode !== currency)
        .map((x) => ({ variantId: x.variantId, amount: x.amount, currencyCode: x.currencyCode }));
      amounts.forEach(([v, el], i) => {
        const a = toMinor(el.value, currency);
        if (Number.isNaN(a)) local.push({ field: `prices[${i}].amount`, message: "enter an amount like 9.99" });
        else if (a !== null) prices.push({ variantId: v.id, amount: a, currencyCode: currency });
      });
      if (showErrors(form, local)) return;
      const out = await mutate(`mutation($id: ID!, $input: PriceListPatch!) { updatePriceList(id: $id, input: $input) { position ${ERR} } }`,
        { id: l.id, input: { startsAt: localToIso(starts.value), endsAt: localToIso(ends.value), variantIds: [...ids], prices } },
        "updatePriceList");
      if (showErrors(form, out.userErrors)) return;
      await reload();
      notify(`${l.title} saved`);
    }, form);
  });
  return h("details", {}, h("summary", {}, `Edit ${l.title}`), form);
}

function categoriesSection(p, all, reload) {
  const boxes = all.map((c) => [c, h("input", { type: "checkbox", checked: c.hasProduct })]);
  const form = h("form", { novalidate: true, "aria-label": "Categories" }, formError(),
    boxes.length ? h("div", { class: "toolbar" }, boxes.map(([c, b]) => field(c.name, `category.${c.id}`, b)))
      : h("p", { class: "muted" }, "No categories yet. ", h("a", { href: "#/categories" }, "Create one")),
    h("button", { type: "submit" }, "Save categories"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      const out = await mutate(`mutation($p: ID!, $c: [ID!]!) { setProductCategories(productId: $p, categoryIds: $c) { position ${ERR} } }`,
        { p: p.id, c: boxes.filter(([, b]) => b.checked).map(([c]) => c.id) }, "setProductCategories");
      if (showErrors(form, out.userErrors)) return;
      await reload();
      notify("Categories saved");
    }, form);
  });
  return h("section", { class: "card", "aria-labelledby": "sec-cats" }, h("h2", { id: "sec-cats" }, "Categories"), form);
}

export function tagsSection(target, reload, targetType = "product") {
  const names = input({ value: target.tags.map((t) => t.name).join(", ") });
  const form = h("form", { class: "inline", novalidate: true, "aria-label": "Tags" }, formError(),
    field("Tags (comma separated)", "names", names), h("button", { type: "submit" }, "Save tags"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      const list = names.value.split(",").map((x) => x.trim()).filter(Boolean);
      const out = await mutate(`mutation($t: TagTarget!, $id: ID!, $n: [String!]!) { setTags(targetType: $t, targetId: $id, names: $n) { position ${ERR} } }`,
        { t: targetType, id: target.id, n: list }, "setTags");
      if (showErrors(form, out.userErrors)) return;
      await reload();
      notify("Tags saved");
    }, form);
  });
  return h("section", { class: "card" }, h("h2", {}, "Tags"), form);
}

export function seoSection(targetType, target, reload) {
  const seo = target.seo || {};
  const title = input({ value: seo.title || "" }), description = h("textarea", { rows: "2", style: "min-height:3rem" }, seo.description || "");
  const canonical = input({ value: seo.canonicalUrl || "" }), image = input({ value: seo.imageUrl || "" });
  const robots = input({ value: seo.robots || "", placeholder: "index, follow" });
  const form = h("form", { novalidate: true, "aria-label": "SEO" }, formError(),
    h("div", { class: "grid2" }, field("SEO title", "title", title), field("Canonical URL", "canonicalUrl", canonical)),
    field("Meta description", "description", description),
    h("div", { class: "grid2" }, field("Share image URL", "imageUrl", image), field("Robots", "robots", robots)),
    h("button", { type: "submit" }, "Save SEO"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      const out = await mutate(`mutation($t: SeoTarget!, $id: ID!, $input: SeoInput!) { setSeo(targetType: $t, targetId: $id, input: $input) { position ${ERR} } }`,
        { t: targetType, id: target.id, input: { title: title.value || null, description: description.value || null,
          canonicalUrl: canonical.value || null, imageUrl: image.value || null, robots: robots.value || null } }, "setSeo");
      if (showErrors(form, out.userErrors)) return;
      await reload();
      notify("SEO saved");
    }, form);
  });
  return h("section", { class: "card" }, h("h2", {}, "SEO"), form);
}

function dangerSection(p) {
  return h("section", { class: "card" }, h("h2", {}, "Delete"),
    h("button", { type: "button", class: "danger", onclick: () => guard(async () => {
      if (!confirm(`Delete ${p.title} with its variants and prices?`)) return;
      const out = await mutate(`mutation($id: ID!) { deleteProduct(id: $id) { deleted position ${ERR} } }`, { id: p.id }, "deleteProduct");
      if (out.userErrors.length) { notify(out.userErrors[0].message, true); return; }
      notify("Product deleted");
      location.hash = "#/products";
    }) }, "Delete product"));
}

// ---------------------------------------------------------------- categories

export async function categories() {
  const all = await gqlAll(CATEGORY_PAGE("id name handle parentId isActive isInternal rank productCount"), {}, "allCategories");
  const byId = Object.fromEntries(all.map((c) => [c.id, c]));
  const name = input(), handle = input(), parent = select([["", "— top level —"], ...all.map((c) => [c.id, c.name])], "");
  const form = h("form", { novalidate: true, class: "inline", "aria-label": "New category" }, formError(),
    field("Name", "name", name), field("Handle", "handle", handle), field("Parent", "parentId", parent),
    h("button", { type: "submit" }, "Create category"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      const out = await mutate(`mutation($input: CategoryInput!) { createCategory(input: $input) { position ${ERR} } }`,
        { input: { name: name.value, handle: handle.value.trim() || slugify(name.value), parentId: parent.value || null } }, "createCategory");
      if (showErrors(form, out.userErrors)) return;
      await categories();
      notify("Category created");
    }, form);
  });
  page("Categories", h("p", {}, h("a", { href: "#/products" }, "← Products")), form,
    h("table", {}, h("thead", {}, h("tr", {}, ["Name", "Handle", "Parent", "Products", "Active", ""].map((x) => h("th", {}, x)))),
      h("tbody", {}, all.map((c) => h("tr", {}, h("td", {}, c.name), h("td", {}, c.handle), h("td", {}, c.parentId ? byId[c.parentId]?.name : "—"),
        h("td", {}, String(c.productCount)), h("td", {}, c.isActive ? "yes" : "no"),
        h("td", {}, h("button", { type: "button", class: "danger", onclick: () => guard(async () => {
          if (!confirm(`Delete category ${c.name}?`)) return;
          const out = await mutate(`mutation($id: ID!) { deleteCategory(id: $id) { deleted position ${ERR} } }`, { id: c.id }, "deleteCategory");
          if (out.userErrors.length) { notify(out.userErrors[0].message, true); return; }
          await categories();
        }) }, "Delete")))))));
}

export { isoToLocal };

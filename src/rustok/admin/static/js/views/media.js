// Product images: upload (POST /media with the session's token), order, remove.
import { currentSession, mutate } from "../api.js";
import { field, formError, guard, h, input, notify, showErrors } from "../ui.js";

const ERR = "userErrors { field code message }";

export async function uploadFile(file, alt) {
  const s = currentSession();
  const response = await fetch(`/media${alt ? `?alt=${encodeURIComponent(alt)}` : ""}`, {
    method: "POST", body: file,
    headers: { "Content-Type": file.type || "application/octet-stream", "X-Tenant": s.tenant, Authorization: `Bearer ${s.token}` },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.errors?.[0]?.message || `upload refused (${response.status})`);
  return body;
}

export function imagesSection(p, reload) {
  const images = p.images || [];
  const setImages = (ids, form) => guard(async () => {
    const out = await mutate(`mutation($p: ID!, $m: [ID!]!) { setProductImages(productId: $p, mediaIds: $m) { position ${ERR} } }`,
      { p: p.id, m: ids }, "setProductImages");
    if (form ? showErrors(form, out.userErrors) : out.userErrors.length) { if (!form) notify(out.userErrors[0].message, true); return; }
    await reload();
    notify("Images saved");
  }, form);
  const ids = images.map((m) => m.id);
  const thumbs = h("div", { class: "thumbs" }, images.map((m, i) => h("figure", {},
    h("img", { src: m.url, alt: m.altText || `Image ${i + 1} of ${p.title}` }),
    h("figcaption", {}, i === 0 ? "main" : `#${i + 1}`, " ",
      i > 0 ? h("button", { type: "button", class: "link", "aria-label": `Move image ${i + 1} first`,
        onclick: () => setImages([ids[i], ...ids.filter((_, j) => j !== i)]) }, "make main") : null, " ",
      h("button", { type: "button", class: "link", "aria-label": `Remove image ${i + 1}`,
        onclick: () => setImages(ids.filter((_, j) => j !== i)) }, "remove")))));
  const file = h("input", { type: "file", accept: "image/png,image/jpeg,image/gif,image/webp" });
  const alt = input();
  const form = h("form", { class: "inline", novalidate: true, "aria-label": "Upload an image" }, formError(),
    field("Image file (PNG, JPEG, GIF, WebP; up to 5 MB)", "file", file), field("Alternative text", "altText", alt),
    h("button", { type: "submit" }, "Upload"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      if (!file.files.length) { showErrors(form, [{ field: "file", message: "choose a file first" }]); return; }
      let media;
      try { media = await uploadFile(file.files[0], alt.value.trim()); } catch (err) {
        showErrors(form, [{ field: "file", message: err.message }]);
        return;
      }
      await setImages([...ids, media.id], form);
    }, form);
  });
  return h("section", { class: "card", "aria-labelledby": "sec-images" }, h("h2", { id: "sec-images" }, "Images"),
    images.length ? thumbs : h("p", { class: "muted" }, "No images yet."), form);
}

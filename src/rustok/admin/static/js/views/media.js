// Images of a product or of a page/post: upload (the multipart mutation uploadMedia, with progress), order, remove.
import { mutate, upload } from "../api.js";
import { field, formError, guard, h, input, notify, showErrors } from "../ui.js";

const ERR = "userErrors { field code message }";
const UPLOAD = `mutation($file: Upload!, $alt: String) { uploadMedia(file: $file, alt: $alt) { media { id url } ${ERR} position } }`;
const TYPES = "image/png,image/jpeg,image/gif,image/webp";

// Upload one file; progress(sent, total) while it goes. Answers the payload (media, userErrors).
export function uploadFile(file, alt, progress) {
  return upload(UPLOAD, { alt: alt || null }, [["file", file]], "uploadMedia", progress);
}

// kind: "product" (setProductImages) or "node" (setNodeImages, a page or post).
export function imagesSection(owner, reload, kind = "product") {
  const images = owner.images || [];
  const [mutation, arg] = kind === "product" ? ["setProductImages", "productId"] : ["setNodeImages", "nodeId"];
  const name = owner.title || "this item";
  const setImages = (ids, form) => guard(async () => {
    const out = await mutate(`mutation($p: ID!, $m: [ID!]!) { ${mutation}(${arg}: $p, mediaIds: $m) { position ${ERR} } }`,
      { p: owner.id, m: ids }, mutation);
    if (form ? showErrors(form, out.userErrors) : out.userErrors.length) { if (!form) notify(out.userErrors[0].message, true); return; }
    await reload();
    notify("Images saved");
  }, form);
  const ids = images.map((m) => m.id);
  const thumbs = h("div", { class: "thumbs" }, images.map((m, i) => h("figure", {},
    h("img", { src: m.url, alt: m.altText || `Image ${i + 1} of ${name}` }),
    h("figcaption", {}, i === 0 ? "main" : `#${i + 1}`, " ",
      i > 0 ? h("button", { type: "button", class: "link", "aria-label": `Move image ${i + 1} first`,
        onclick: () => setImages([ids[i], ...ids.filter((_, j) => j !== i)]) }, "make main") : null, " ",
      h("button", { type: "button", class: "link", "aria-label": `Remove image ${i + 1}`,
        onclick: () => setImages(ids.filter((_, j) => j !== i)) }, "remove")))));
  const file = h("input", { type: "file", accept: TYPES });
  const alt = input();
  const bar = h("progress", { max: 1, value: 0, hidden: true, "aria-label": "Upload progress" });
  const said = h("span", { class: "muted", role: "status", "data-upload-status": "" });
  const button = h("button", { type: "submit" }, "Upload");
  const form = h("form", { class: "inline", novalidate: true, "aria-label": "Upload an image" }, formError(),
    field("Image file (PNG, JPEG, GIF, WebP; up to 5 MB)", "file", file), field("Alternative text", "alt", alt),
    button, h("div", { class: "field" }, bar, said));
  const progress = (sent, total) => {
    bar.hidden = false;
    if (total) { bar.max = total; bar.value = sent; said.textContent = `Uploading… ${Math.round((100 * sent) / total)}%`; }
    else said.textContent = "Uploading…";
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(async () => {
      showErrors(form, []);
      if (!file.files.length) { showErrors(form, [{ field: "file", message: "choose a file first" }]); return; }
      button.disabled = true;
      try {
        const out = await uploadFile(file.files[0], alt.value.trim(), progress);
        const errors = out.userErrors.map((e) => (e.field === "altText" ? { ...e, field: "alt" } : e));
        if (showErrors(form, errors)) { said.textContent = "Upload refused"; return; }
        said.textContent = "Uploaded";
        await setImages([...ids, out.media.id], form);
      } catch (err) {
        said.textContent = "Upload failed";
        showErrors(form, [{ field: "file", message: err.message }]);
      } finally {
        button.disabled = false;
        bar.hidden = true;
      }
    }, form);
  });
  return h("section", { class: "card", "aria-labelledby": `sec-images-${kind}` }, h("h2", { id: `sec-images-${kind}` }, "Images"),
    images.length ? thumbs : h("p", { class: "muted" }, "No images yet."), form);
}

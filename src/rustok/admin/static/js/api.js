// The GraphQL client: every call is a POST to /graphql with the tenant (X-Tenant) and the staff member's
// bearer token; after a mutation, the next queries carry its position (X-Index-Position) so the screens read
// their own writes from the read model.

const KEY = "rustok.admin.session";
let session = JSON.parse(sessionStorage.getItem(KEY) || "null");
let lastPosition = null;

export class ApiError extends Error {
  constructor(message, code, extensions = {}) { super(message); this.code = code; this.extensions = extensions; }
}

export function currentSession() { return session; }

export function saveSession(value) {
  session = value;
  if (value) sessionStorage.setItem(KEY, JSON.stringify(value)); else sessionStorage.removeItem(KEY);
}

export function can(permission) {
  return !!session && (session.permissions || []).includes(permission);
}

export async function gql(query, variables = {}, { tenant, token, position } = {}) {
  const headers = { "content-type": "application/json", accept: "application/json" };
  const slug = tenant || session?.tenant;
  if (slug) headers["X-Tenant"] = slug;
  const bearer = token === undefined ? session?.token : token;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const readAfter = position === undefined ? lastPosition : position;
  if (readAfter) headers["X-Index-Position"] = readAfter;
  let response;
  try {
    response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch (err) {
    throw new ApiError("the server cannot be reached; check your connection and try again", "NETWORK");
  }
  let body;
  try { body = await response.json(); } catch (err) {
    throw new ApiError(`the server answered ${response.status} without a GraphQL body`, "INTERNAL");
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const code = first.extensions?.code || "INTERNAL";
    if (code === "UNAUTHENTICATED" && session) {
      saveSession(null);
      window.dispatchEvent(new Event("rustok:signed-out"));
    }
    if (code === "INDEX_NOT_CAUGHT_UP") lastPosition = null;
    throw new ApiError(first.message, code, first.extensions || {});
  }
  return body.data;
}

// A mutation: answers the payload (the field named `field`); remembers its position for the next reads.
export async function mutate(query, variables, field) {
  const data = await gql(query, variables, { position: null });
  const payload = data[field];
  if (payload && payload.position) lastPosition = payload.position;
  return payload;
}

export function forgetPosition() { lastPosition = null; }

// An upload: a GraphQL multipart request (the spec of github.com/jaydenseric/graphql-multipart-request-spec):
// `operations` with null where the files go, `map` from part names to variable paths, then the files.
// XMLHttpRequest rather than fetch for upload progress: onProgress(sent, total). X-Tenant (a header a form
// cannot send) makes it CSRF-safe; answers the payload `field` and remembers its position like mutate().
export function upload(query, variables, files, field, onProgress) {
  const form = new FormData();
  const map = {};
  const vars = { ...variables };
  files.forEach(([path, file], i) => {
    map[String(i)] = [`variables.${path}`];
    const keys = path.split(".");
    let target = vars;
    for (const k of keys.slice(0, -1)) target = target[k];
    target[keys[keys.length - 1]] = null;
  });
  form.append("operations", JSON.stringify({ query, variables: vars }));
  form.append("map", JSON.stringify(map));
  files.forEach(([, file], i) => form.append(String(i), file, file.name));
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/graphql");
    if (session?.tenant) xhr.setRequestHeader("X-Tenant", session.tenant);
    if (session?.token) xhr.setRequestHeader("Authorization", `Bearer ${session.token}`);
    xhr.setRequestHeader("Accept", "application/json");
    if (onProgress) xhr.upload.addEventListener("progress", (ev) => onProgress(ev.loaded, ev.lengthComputable ? ev.total : 0));
    xhr.addEventListener("error", () => reject(new ApiError("the server cannot be reached; check your connection and try again", "NETWORK")));
    xhr.addEventListener("load", () => {
      let body;
      try { body = JSON.parse(xhr.responseText); } catch (err) {
        reject(new ApiError(`the server answered ${xhr.status} without a GraphQL body`, "INTERNAL"));
        return;
      }
      if (body.errors && body.errors.length) {
        const first = body.errors[0];
        reject(new ApiError(first.message, first.extensions?.code || "INTERNAL", first.extensions || {}));
        return;
      }
      const payload = body.data[field];
      if (payload && payload.position) lastPosition = payload.position;
      resolve(payload);
    });
    xhr.send(form);
  });
}

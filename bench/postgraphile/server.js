// The peer of `rustok bench --scenario read`: PostGraphile v4 (one Node process) over views of the same read
// table, as the same application role with the same tenant setting (row-level security applies as for us).
// Usage: node server.js <database url (the migration owner)> <port> <tenant id>
const http = require("http");
const { postgraphile } = require("postgraphile");

const [url, port, tenant] = process.argv.slice(2);
const handler = postgraphile(url, "bench_pg", {
  pgSettings: { role: "rustok_app", "rustok.tenant_id": tenant },
  disableQueryLog: true,
  retryOnInitFail: false,
  dynamicJson: true,
  setofFunctionsContainNulls: false,
  ignoreRBAC: false,
  graphiql: false,
  enableQueryBatching: false,
});
http.createServer(handler).listen(Number(port), "127.0.0.1", () => console.log(`postgraphile on ${port}`));

// Line diff (longest common subsequence) for revisions: [{op: "same" | "add" | "del", text}].
export function diffLines(before, after) {
  const a = String(before ?? "").split("\n");
  const b = String(after ?? "").split("\n");
  const n = a.length, m = b.length;
  if (n * m > 4_000_000) return [...a.map((t) => ({ op: "del", text: t })), ...b.map((t) => ({ op: "add", text: t }))];
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push({ op: "same", text: a[i] }); i += 1; j += 1; }
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) { out.push({ op: "del", text: a[i] }); i += 1; }
    else { out.push({ op: "add", text: b[j] }); j += 1; }
  }
  while (i < n) { out.push({ op: "del", text: a[i] }); i += 1; }
  while (j < m) { out.push({ op: "add", text: b[j] }); j += 1; }
  return out;
}

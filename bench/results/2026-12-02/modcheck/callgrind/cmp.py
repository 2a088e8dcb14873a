import re, subprocess, sys, importlib.util
spec = importlib.util.spec_from_file_location("d", "/tmp/modcheck-diff.py")
def load(f):
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", f], capture_output=True, text=True).stdout
    d = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\S*?:(\S+)", line)
        if m:
            d[m.group(2)] = d.get(m.group(2), 0) + int(m.group(1).replace(",", ""))
    return d
def per(label, n):
    a, b = load(f"/tmp/modcheck-cg/{label}-{n}.out"), load(f"/tmp/modcheck-cg/{label}-{2*n}.out")
    return {k: (b.get(k, 0) - a.get(k, 0)) / n for k in set(a) | set(b)}
x, y, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
px, py = per(x, n), per(y, n)
rows = sorted(((py.get(k, 0) - px.get(k, 0)), k) for k in set(px) | set(py))
for r in rows[:30]:
    print(f"{r[0]:10,.0f}  {px.get(r[1],0):10,.0f} {py.get(r[1],0):10,.0f}  {r[1]}")
print("...")
for r in rows[-30:]:
    print(f"{r[0]:10,.0f}  {px.get(r[1],0):10,.0f} {py.get(r[1],0):10,.0f}  {r[1]}")

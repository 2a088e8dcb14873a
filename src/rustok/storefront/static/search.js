// Search as you type (progressive enhancement: the search form works without it). Asks the storefront's
// search.json for the first matches of what is typed and lists them under the field; arrow keys move,
// Enter opens, Escape closes.
(function () {
  "use strict";
  var form = document.querySelector("form.search[data-suggest]");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var list = form.querySelector(".suggestions");
  var timer = null, active = -1, seq = 0;

  function close() {
    list.hidden = true; list.innerHTML = ""; active = -1;
    input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant");
  }
  function mark(i) {
    var items = list.querySelectorAll("li");
    items.forEach(function (li, n) { li.setAttribute("aria-selected", n === i ? "true" : "false"); });
    active = i;
    if (items[i]) { if (!items[i].id) items[i].id = "suggestion-x" + i; input.setAttribute("aria-activedescendant", items[i].id); }
  }
  function show(data) {
    list.innerHTML = "";
    var items = data.products || [];
    if (data.correctedQuery) {
      var hint = document.createElement("li");
      hint.setAttribute("role", "option");
      var a0 = document.createElement("a");
      a0.href = form.action + "?q=" + encodeURIComponent(data.correctedQuery);
      a0.textContent = "Did you mean: " + data.correctedQuery;
      hint.appendChild(a0); list.appendChild(hint);
    }
    items.forEach(function (p, n) {
      var li = document.createElement("li");
      li.setAttribute("role", "option"); li.id = "suggestion-" + n;
      var a = document.createElement("a");
      a.href = p.url; a.textContent = p.title;
      li.appendChild(a); list.appendChild(li);
    });
    var any = list.children.length > 0;
    list.hidden = !any; input.setAttribute("aria-expanded", any ? "true" : "false"); active = -1;
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (!q) { close(); return; }
    timer = setTimeout(function () {
      var mine = ++seq;
      fetch(form.dataset.suggest + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { products: [] }; })
        .then(function (data) { if (mine === seq) show(data); })
        .catch(close);
    }, 150);
  });
  input.addEventListener("keydown", function (e) {
    var items = list.querySelectorAll("li");
    if (list.hidden || !items.length) return;
    if (e.key === "ArrowDown") { e.preventDefault(); mark((active + 1) % items.length); }
    else if (e.key === "ArrowUp") { e.preventDefault(); mark((active - 1 + items.length) % items.length); }
    else if (e.key === "Escape") { close(); }
    else if (e.key === "Enter" && active >= 0) { e.preventDefault(); items[active].querySelector("a").click(); }
  });
  document.addEventListener("click", function (e) { if (!form.contains(e.target)) close(); });
})();

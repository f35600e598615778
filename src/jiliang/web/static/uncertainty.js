// Jiliang uncertainty page: live model check, Compute without a page reload, examples, JSON export.
// Our own small script; the page also works without it (plain form posts).
(() => {
  "use strict";
  const form = document.getElementById("u-form");
  if (!form) return;
  const editor = document.getElementById("u-model");
  const live = document.getElementById("u-live");
  const result = document.getElementById("u-result");
  const select = document.getElementById("u-example");
  const S = JSON.parse(document.getElementById("u-strings").textContent);
  const EXAMPLES = JSON.parse(document.getElementById("u-examples").textContent);
  const lang = document.documentElement.lang === "en" ? "en" : "zh";
  const csrf = form.dataset.csrf || "";
  let seq = 0;
  let timer = null;

  document.querySelectorAll(".js-hide").forEach((el) => { el.hidden = true; });
  document.getElementById("u-json").hidden = false;

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    });
    children.forEach((c) => { if (c !== null && c !== undefined) node.append(c); });
    return node;
  };
  const show = (...nodes) => { live.replaceChildren(...nodes); };
  const num = (x, d = 4) => {
    if (x === null || x === undefined) return "∞";
    if (typeof x !== "number") return String(x);
    if (x === 0) return "0";
    return Number(x.toPrecision(d)).toString();
  };

  // Where a JSON syntax error is: V8 says "... at position N" (and newer: line/column).
  function jsonError(text, err) {
    const m = /position (\d+)/.exec(err.message);
    let where = "";
    let source = null;
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos).split("\n");
      const line = before.length;
      const col = before[before.length - 1].length + 1;
      where = `${S.line} ${line} · ${S.column} ${col}`;
      const lineText = text.split("\n")[line - 1] || "";
      source = lineText + "\n" + " ".repeat(col - 1) + "^";
    }
    return { message: `${S.json_error}: ${err.message}`, where, source };
  }

  function errorBox(e) {
    return el("div", { class: "alert", role: "alert", "data-testid": "live-error" },
      el("b", {}, S.error), "：" + e.message,
      e.where ? el("div", { class: "small" }, e.where) : null,
      e.source ? el("pre", { class: "u-caret" }, e.source) : null);
  }

  function currentDoc() {
    const text = editor.value;
    let doc;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      return { error: jsonError(text, err) };
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
      return { error: { message: S.not_object, where: "", source: null } };
    }
    const cov = parseFloat(document.getElementById("u-coverage").value);
    if (Number.isFinite(cov)) doc.coverage = cov;
    return { doc };
  }

  function apiError(body, doc) {
    const bits = [];
    if (body.field) bits.push(`${S.field} ${body.field}`);
    if (body.position) bits.push(`${S.position} ${body.position}`);
    if (body.token) bits.push(`${S.token} “${body.token}”`);
    let source = null;
    const m = /^equations\[(\d+)\]/.exec(body.field || "");
    if (m && body.position && Array.isArray(doc.equations) && typeof doc.equations[m[1]] === "string") {
      source = doc.equations[m[1]] + "\n" + " ".repeat(body.position - 1) + "^";
    }
    return { message: body.message || body.error || "?", where: bits.join(" · "), source };
  }

  function gumSummary(res) {
    const box = el("div", { class: "ok", "data-testid": "live-ok" }, el("b", {}, S.model_ok));
    Object.entries(res.outputs || {}).forEach(([name, o]) => {
      const g = o.gum || {};
      const unit = o.unit ? " " + o.unit : "";
      box.append(el("div", {},
        el("code", {}, name), ` = ${num(g.value, 8)}${unit}, u = ${num(g.std_uncertainty, 3)}, ` +
        `U = ${num(g.expanded_uncertainty, 3)} (k = ${num(g.coverage_factor, 3)})`));
    });
    return box;
  }

  async function check() {
    const mine = ++seq;
    const { doc, error } = currentDoc();
    if (error) { show(errorBox(error)); return; }
    doc.methods = ["gum"];
    show(el("p", { class: "muted" }, S.checking));
    let response;
    try {
      response = await fetch(`/api/v1/uncertainty/evaluate?lang=${lang}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": csrf },
        body: JSON.stringify(doc),
      });
    } catch (err) {
      if (mine === seq) show(errorBox({ message: String(err), where: "", source: null }));
      return;
    }
    let body = null;
    try { body = await response.json(); } catch (err) { body = { message: response.statusText }; }
    if (mine !== seq) return; // a newer keystroke has its own check running
    if (response.ok) show(gumSummary(body));
    else show(errorBox(apiError(body || {}, doc)));
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  }

  async function compute(action) {
    const button = document.getElementById("u-compute");
    button.disabled = true;
    result.classList.add("u-busy");
    result.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(action, {
        method: "POST",
        headers: { "x-fragment": "1", "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(new FormData(form)),
      });
      result.innerHTML = await response.text();
    } catch (err) {
      result.replaceChildren(errorBox({ message: String(err), where: "", source: null }));
    } finally {
      button.disabled = false;
      result.classList.remove("u-busy");
      result.removeAttribute("aria-busy");
    }
  }

  // JSON for the editor, like the server's: indented, short parts kept on one line.
  function inline(v) {
    if (Array.isArray(v)) return "[" + v.map(inline).join(", ") + "]";
    if (v !== null && typeof v === "object") {
      return "{" + Object.entries(v).map(([k, x]) => JSON.stringify(k) + ": " + inline(x)).join(", ") + "}";
    }
    return JSON.stringify(v);
  }
  function pretty(v, level = 0, prefix = 0, width = 92) {
    const flat = inline(v);
    const empty = v === null || typeof v !== "object" || Object.keys(v).length === 0;
    if (empty || prefix + flat.length <= width) return flat;
    const pad = "  ".repeat(level + 1);
    const close = "\n" + "  ".repeat(level);
    if (Array.isArray(v)) {
      return "[\n" + v.map((x) => pad + pretty(x, level + 1, pad.length, width)).join(",\n") + close + "]";
    }
    return "{\n" + Object.entries(v).map(([k, x]) => {
      const key = JSON.stringify(k);
      return pad + key + ": " + pretty(x, level + 1, pad.length + key.length + 2, width);
    }).join(",\n") + close + "}";
  }

  function loadExample(key) {
    const doc = EXAMPLES[key];
    if (!doc) return;
    editor.value = pretty(doc);
    document.getElementById("u-coverage").value = doc.coverage ?? 0.95;
    const mcm = doc.mcm || {};
    document.getElementById("u-trials").value = mcm.trials ?? 200000;
    document.getElementById("u-seed").value = mcm.seed ?? 1;
    form.querySelectorAll("input[name=methods]").forEach((box) => { box.checked = true; });
    const url = new URL(window.location.href);
    url.searchParams.set("example", key);
    window.history.replaceState(null, "", url);
    check();
    compute(form.action);
  }

  function downloadJson() {
    const { doc, error } = currentDoc();
    if (error) { show(errorBox(error)); return; }
    const methods = [...form.querySelectorAll("input[name=methods]:checked")].map((b) => b.value);
    if (methods.length) doc.methods = methods;
    const trials = document.getElementById("u-trials").value.trim();
    const seed = document.getElementById("u-seed").value.trim();
    doc.mcm = Object.assign({}, doc.mcm);
    if (trials) doc.mcm.trials = trials === "adaptive" ? "adaptive" : Number(trials);
    if (seed) doc.mcm.seed = Number(seed);
    const blob = new Blob([pretty(doc) + "\n"], { type: "application/json" });
    const link = el("a", { href: URL.createObjectURL(blob), download: (select.value || "uncertainty-model") + ".json" });
    document.body.append(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  editor.addEventListener("input", schedule);
  document.getElementById("u-coverage").addEventListener("input", schedule);
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      compute(form.action);
    }
  });
  form.addEventListener("submit", (event) => {
    const submitter = event.submitter;
    if (submitter && submitter.id === "u-pdf") return; // a normal post: the browser downloads the PDF
    event.preventDefault();
    compute(form.action);
  });
  select.addEventListener("change", () => loadExample(select.value));
  document.getElementById("u-example-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadExample(select.value);
  });
  document.getElementById("u-json").addEventListener("click", downloadJson);
  check();
})();

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
  document.getElementById("u-live-box").hidden = false;

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
    if (response.ok) { show(gumSummary(body)); markInvalid(null); }
    else { show(errorBox(apiError(body || {}, doc))); markInvalid((body || {}).field); }
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
  function pretty(v, level = 0, prefix = 0, width = 72) {
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

  // ---------------------------------------------------------------- form view
  // Equations, inputs and correlations as fields; every edit rewrites the JSON, which stays the
  // one thing posted.  Fields the form does not show (constants, ...) are kept as they are.
  const PARAMS = {
    normal: ["mean", "std"], rectangular: ["low", "high"], triangular: ["low", "high", "mode"],
    trapezoidal: ["low", "high", "beta"], ctrap: ["low", "high", "d"], arcsine: ["low", "high"],
    t: ["mean", "scale"], exponential: ["mean"], observations: ["observations"],
  };
  const ALIASES = {
    gaussian: "normal", uniform: "rectangular", rect: "rectangular", student: "t", student_t: "t",
    curvilinear_trapezoid: "ctrap", "u-shaped": "arcsine", u_shaped: "arcsine", trapezoid: "trapezoidal",
  };
  const KNOWN = new Set(["dist", "distribution", "unit", "dof", "std_uncertainty",
    ...Object.values(PARAMS).flat()]);
  const tabs = document.querySelector(".u-tabs");
  const jsonPane = document.getElementById("u-json-pane");
  const formPane = document.getElementById("u-form-pane");
  const eqBox = document.getElementById("u-equations");
  const corrBox = document.getElementById("u-correlations");
  const inputRows = formPane.querySelector("tbody");
  let base = {};

  const toValue = (text) => {
    const t = text.trim();
    if (t === "") return undefined;
    const n = Number(t);
    return Number.isFinite(n) ? n : t;
  };
  const fromValue = (v) => (v === undefined || v === null ? "" : String(v));

  function distOf(spec) {
    if (spec.observations !== undefined) return "observations";
    const kind = String(spec.dist || spec.distribution || "normal").toLowerCase();
    return ALIASES[kind] || kind;
  }

  function paramFields(row, kind, spec) {
    const box = row.querySelector(".u-params");
    box.replaceChildren();
    (PARAMS[kind] || []).forEach((p) => {
      let value = spec ? spec[p] : undefined;
      if (p === "std" && value === undefined && spec) value = spec.std_uncertainty;
      const input = el("input", { "data-param": p, "aria-label": p, class: p === "observations" ? "u-obs" : "" });
      input.value = Array.isArray(value) ? value.join(", ") : fromValue(value);
      if (p === "observations") input.placeholder = S.observations;
      box.append(el("label", {}, p === "observations" ? "" : p, input));
    });
  }

  function addRow(name, spec) {
    const kind = distOf(spec || {});
    const sel = el("select", { class: "u-dist", "aria-label": S.distribution });
    const kinds = S.dists.map(([k]) => k);
    S.dists.forEach(([k, label]) => sel.append(el("option", { value: k }, label)));
    if (!kinds.includes(kind)) sel.append(el("option", { value: kind }, kind));
    sel.value = kind;
    const nameInput = el("input", { class: "u-name", "aria-label": S.input });
    nameInput.value = name || "";
    const unit = el("input", { class: "u-unit", "aria-label": S.unit });
    unit.value = fromValue(spec && spec.unit);
    const dof = el("input", { class: "u-dof", "aria-label": S.dof, placeholder: "∞" });
    dof.value = fromValue(spec && spec.dof);
    const remove = el("button", { type: "button", class: "link", "aria-label": S.remove, title: S.remove }, "×");
    const row = el("tr", { "data-row": "" },
      el("td", {}, nameInput), el("td", {}, sel), el("td", {}, el("div", { class: "u-params" })),
      el("td", {}, unit), el("td", {}, dof), el("td", {}, remove));
    row.extras = {};
    Object.entries(spec || {}).forEach(([k, v]) => { if (!KNOWN.has(k)) row.extras[k] = v; });
    paramFields(row, kind, spec);
    sel.addEventListener("change", () => { paramFields(row, sel.value, null); formChanged(); });
    remove.addEventListener("click", () => { row.remove(); formChanged(); });
    inputRows.append(row);
    return row;
  }

  function renderForm(doc) {
    base = doc;
    const eqs = Array.isArray(doc.equations) ? doc.equations : [doc.equations ?? ""];
    eqBox.value = eqs.join("\n");
    eqBox.rows = Math.max(2, eqs.length + 1);
    inputRows.replaceChildren();
    Object.entries(doc.inputs && typeof doc.inputs === "object" ? doc.inputs : {})
      .forEach(([name, spec]) => addRow(name, spec));
    corrBox.value = (Array.isArray(doc.correlations) ? doc.correlations : [])
      .map((c) => (Array.isArray(c) ? c.join(" ") : JSON.stringify(c))).join("\n");
  }

  function docFromForm() {
    const doc = Object.assign({}, base);
    doc.equations = eqBox.value.split("\n").map((l) => l.trim()).filter(Boolean);
    const inputs = {};
    inputRows.querySelectorAll("tr[data-row]").forEach((row) => {
      const name = row.querySelector(".u-name").value.trim();
      if (!name) return;
      const kind = row.querySelector(".u-dist").value;
      const spec = Object.assign({}, row.extras);
      if (kind !== "observations") spec.dist = kind;
      row.querySelectorAll("[data-param]").forEach((input) => {
        const p = input.dataset.param;
        if (p === "observations") {
          spec.observations = input.value.split(/[,\s;]+/).filter(Boolean).map((x) => toValue(x));
        } else {
          const v = toValue(input.value);
          if (v !== undefined) spec[p] = v;
        }
      });
      const unit = row.querySelector(".u-unit").value.trim();
      if (unit) spec.unit = unit;
      const dof = toValue(row.querySelector(".u-dof").value);
      if (dof !== undefined) spec.dof = dof;
      inputs[name] = spec;
    });
    doc.inputs = inputs;
    const corr = corrBox.value.split("\n").map((l) => l.trim()).filter(Boolean)
      .map((l) => { const [a, b, r] = l.split(/[\s,;]+/); return [a, b, toValue(r || "")]; });
    if (corr.length) doc.correlations = corr; else delete doc.correlations;
    return doc;
  }

  function formChanged() {
    const doc = docFromForm();
    base = doc;
    editor.value = pretty(doc);
    schedule();
  }

  function markInvalid(field) {
    formPane.querySelectorAll(".invalid").forEach((x) => x.classList.remove("invalid"));
    if (!field || formPane.hidden) return;
    if (/^equations/.test(field)) { eqBox.classList.add("invalid"); return; }
    if (/^correlations/.test(field)) { corrBox.classList.add("invalid"); return; }
    const m = /^inputs\.([^.]+)(?:\.([^.[]+))?/.exec(field);
    if (!m) return;
    inputRows.querySelectorAll("tr[data-row]").forEach((row) => {
      if (row.querySelector(".u-name").value.trim() !== m[1]) return;
      const key = m[2] === "std_uncertainty" ? "std" : m[2];
      const target = (key && (row.querySelector(`[data-param="${key}"]`)
        || (key === "unit" && row.querySelector(".u-unit")) || (key === "dof" && row.querySelector(".u-dof"))))
        || row.querySelector(".u-name");
      target.classList.add("invalid");
    });
  }

  function showTab(which) {
    if (which === "form") {
      const { doc, error } = currentDoc();
      if (error) { show(errorBox(error)); return; }
      renderForm(doc);
    }
    const isForm = which === "form";
    formPane.hidden = !isForm;
    jsonPane.hidden = isForm;
    document.getElementById("u-tab-form").setAttribute("aria-selected", String(isForm));
    document.getElementById("u-tab-json").setAttribute("aria-selected", String(!isForm));
  }

  tabs.hidden = false;
  document.getElementById("u-tab-json").addEventListener("click", () => showTab("json"));
  document.getElementById("u-tab-form").addEventListener("click", () => showTab("form"));
  formPane.addEventListener("input", formChanged);
  document.getElementById("u-add-input").addEventListener("click", () => {
    const row = addRow("", { dist: "normal" });
    row.querySelector(".u-name").focus();
  });

  function loadExample(key) {
    const doc = EXAMPLES[key];
    if (!doc) return;
    editor.value = pretty(doc);
    if (!formPane.hidden) renderForm(JSON.parse(editor.value));
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

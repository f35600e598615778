// Jiliang record form: live computation of errors, U, TUR and verdicts through our own API.
// No third-party code; nothing is fetched from outside this server.
(function () {
  "use strict";
  const form = document.getElementById("record-form");
  if (!form) return;
  const en = form.dataset.lang === "en";
  const csrf = form.dataset.csrf;
  const recordId = form.dataset.recordId;
  const init = JSON.parse(document.getElementById("initial-record").textContent);
  const tbody = form.querySelector("table.points tbody");
  const errorBox = document.getElementById("form-error");
  const VERDICT = {pass: ["合格", "Pass"], conditional_pass: ["有条件合格", "Conditional pass"],
    conditional_fail: ["有条件不合格", "Conditional fail"], fail: ["不合格", "Fail"]};
  const COLS = ["nominal", "readings", "as_found", "as_left", "mpe_lower", "mpe_upper", "expanded_uncertainty", "coverage_factor"];
  const field = (name) => form.elements.namedItem(name);

  function fmt(x, digits) {
    if (x === null || x === undefined || !isFinite(x)) return "—";
    return Number(x.toPrecision(digits || 4)).toString();
  }
  function num(text) {
    const t = String(text || "").trim();
    if (t === "") return null;
    const x = Number(t);
    return isFinite(x) ? x : NaN;
  }
  function addRow(p) {
    p = p || {};
    const tr = document.createElement("tr");
    COLS.forEach((c) => {
      const td = document.createElement("td");
      const input = document.createElement("input");
      input.name = "p_" + c;
      input.setAttribute("inputmode", "decimal");
      input.size = c === "readings" ? 14 : 7;
      input.setAttribute("aria-label", c);
      let v = p[c];
      if (c === "readings") v = (v || []).join(" ");
      input.value = v === null || v === undefined ? "" : v;
      td.appendChild(input);
      tr.appendChild(td);
    });
    ["error", "u", "tur", "verdict"].forEach((c) => {
      const td = document.createElement("td");
      td.className = c === "verdict" ? "verdict-cell" : "num";
      td.dataset.out = c;
      td.textContent = "—";
      tr.appendChild(td);
    });
    const td = document.createElement("td");
    const del = document.createElement("button");
    del.type = "button";
    del.textContent = "×";
    del.title = en ? "Remove point" : "删除此点";
    del.addEventListener("click", () => { tr.remove(); schedule(); });
    td.appendChild(del);
    tr.appendChild(td);
    tbody.appendChild(tr);
    return tr;
  }
  function points() {
    return Array.from(tbody.rows).map((tr) => {
      const p = {};
      COLS.forEach((c) => {
        const raw = tr.querySelector("[name=p_" + c + "]").value;
        if (c === "readings") {
          const list = raw.split(/[\s,，;；]+/).filter(Boolean).map(Number);
          if (list.length) p.readings = list;
        } else {
          const x = num(raw);
          if (x !== null) p[c] = x;
        }
      });
      return p;
    }).filter((p) => p.nominal !== undefined);
  }
  function rule() {
    const r = {kind: field("rule_kind").value};
    const rv = num(field("rule_r").value), t = num(field("rule_target_pfa").value);
    if (rv !== null) r.r = rv;
    if (t !== null) r.target_pfa = t;
    if (field("rule_reference").value.trim()) r.reference = field("rule_reference").value.trim();
    return r;
  }
  function model() {
    const text = field("uncertainty_model").value.trim();
    if (!text) return null;
    return JSON.parse(text);
  }
  function ids(name) {
    return Array.from(form.querySelectorAll("input[name=" + name + "]:checked")).map((i) => Number(i.value));
  }
  function showError(msg) {
    errorBox.hidden = !msg;
    errorBox.textContent = msg || "";
  }
  async function api(method, url, body) {
    const r = await fetch(url, {method: method, credentials: "same-origin",
      headers: {"content-type": "application/json", "x-csrf-token": csrf, "accept-language": en ? "en" : "zh"},
      body: JSON.stringify(body)});
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    return {ok: r.ok, status: r.status, data: data};
  }
  let timer = null, seq = 0;
  function schedule() { clearTimeout(timer); timer = setTimeout(compute, 250); }
  async function compute() {
    let m;
    try { m = model(); } catch (e) { showError((en ? "Uncertainty model: not valid JSON: " : "不确定度模型不是有效的 JSON：") + e.message); return; }
    const pts = points();
    const rows = Array.from(tbody.rows).filter((tr) => num(tr.querySelector("[name=p_nominal]").value) !== null);
    const mine = ++seq;
    const res = await api("POST", "/api/v1/calibration/compute", {decision_rule: rule(), uncertainty_model: m, points: pts});
    if (mine !== seq) return;
    if (!res.ok) { showError(res.data && res.data.message ? res.data.message : "HTTP " + res.status); return; }
    showError("");
    res.data.points.forEach((p, i) => {
      const tr = rows[i];
      if (!tr) return;
      tr.querySelector("[data-out=error]").textContent = fmt(p.error);
      tr.querySelector("[data-out=u]").textContent = p.expanded_uncertainty === null ? "—" : fmt(p.expanded_uncertainty, 2) + " (k=" + fmt(p.coverage_factor, 3) + ")";
      tr.querySelector("[data-out=tur]").textContent = fmt(p.tur, 3);
      const v = tr.querySelector("[data-out=verdict]");
      v.textContent = p.verdict ? VERDICT[p.verdict][en ? 1 : 0] : "—";
      v.className = "verdict-cell " + (p.verdict || "");
    });
    const o = res.data.overall_verdict;
    document.getElementById("overall").textContent = o ? VERDICT[o][en ? 1 : 0] : "—";
    document.getElementById("rule-text").textContent = en ? res.data.rule_text_en : res.data.rule_text_zh;
  }
  function fill() {
    ["kind", "procedure_code", "procedure_title", "performed_on", "location", "unit", "temperature", "humidity"].forEach((n) => {
      const v = init[n];
      field(n).value = v === null || v === undefined ? "" : v;
    });
    const r = init.decision_rule || {kind: "simple"};
    field("rule_kind").value = r.kind || "simple";
    if (r.r !== undefined) field("rule_r").value = r.r;
    if (r.target_pfa !== undefined) field("rule_target_pfa").value = r.target_pfa;
    field("rule_reference").value = r.reference || "";
    field("uncertainty_model").value = init.uncertainty_model ? JSON.stringify(init.uncertainty_model, null, 1) : "";
    [["standards", "standard_ids"], ["devices", "device_ids"], ["materials", "material_ids"]].forEach(([n, key]) => {
      (init[key] || []).forEach((id) => {
        const box = form.querySelector("input[name=" + n + "][value='" + id + "']");
        if (box) box.checked = true;
      });
    });
    (init.points && init.points.length ? init.points : [{}]).forEach(addRow);
  }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  document.getElementById("add-point").addEventListener("click", () => { addRow({}).querySelector("input").focus(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let m;
    try { m = model(); } catch (e) { showError((en ? "Uncertainty model: not valid JSON: " : "不确定度模型不是有效的 JSON：") + e.message); return; }
    const body = {kind: field("kind").value, procedure_code: field("procedure_code").value.trim(),
      procedure_title: field("procedure_title").value.trim() || null, performed_on: field("performed_on").value || null,
      location: field("location").value.trim() || null, unit: field("unit").value.trim() || null,
      temperature: num(field("temperature").value), humidity: num(field("humidity").value),
      standard_ids: ids("standards"), device_ids: ids("devices"), material_ids: ids("materials"),
      decision_rule: rule(), uncertainty_model: m, points: points()};
    const reason = field("override_reason").value.trim();
    if (reason) body.override_reason = reason;
    if (!recordId) body.instrument_id = init.instrument_id;
    const res = recordId ? await api("PATCH", "/api/v1/calibration/records/" + recordId, body)
      : await api("POST", "/api/v1/calibration/records", body);
    if (!res.ok) { showError(res.data && res.data.message ? res.data.message : "HTTP " + res.status); return; }
    window.location.assign("/calibration/" + res.data.id + "?done=saved");
  });
  fill();
  compute();
})();

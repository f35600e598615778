// Jiliang: a little script of our own. Confirms destructive actions; nothing is fetched from outside.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.matches("[action$='/retire']") && !window.confirm(document.documentElement.lang === "en" ? "Retire this record?" : "确认注销此记录？")) {
    event.preventDefault();
  }
});

// Reference fields: type part of a name, pick a match; the field keeps the record's id.
document.querySelectorAll("input[data-lookup]").forEach((input) => {
  const list = document.getElementById(input.getAttribute("list"));
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q || /^\d+$/.test(q)) return;
    timer = setTimeout(async () => {
      const url = input.dataset.lookup + "?per_page=20&q=" + encodeURIComponent(q);
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) return;
      const body = await response.json();
      list.replaceChildren(...body.items.map((item) => {
        const option = document.createElement("option");
        option.value = item.id;
        option.label = item.name || item.display_name || item.username || String(item.id);
        option.textContent = option.label;
        return option;
      }));
    }, 250);
  });
});

// The menu's groups: one open at a time; a click elsewhere or Escape closes it.
document.addEventListener("click", (event) => {
  document.querySelectorAll(".main-nav details[open]").forEach((d) => {
    if (!d.contains(event.target)) d.removeAttribute("open");
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") document.querySelectorAll(".main-nav details[open]").forEach((d) => d.removeAttribute("open"));
});
document.querySelectorAll(".main-nav details").forEach((d) => d.addEventListener("toggle", () => {
  if (d.open) document.querySelectorAll(".main-nav details[open]").forEach((o) => { if (o !== d) o.removeAttribute("open"); });
}));

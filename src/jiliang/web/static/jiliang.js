// Jiliang: a little script of our own. Confirms destructive actions; nothing is fetched from outside.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.matches("[action$='/retire']") && !window.confirm(document.documentElement.lang === "en" ? "Retire this record?" : "确认注销此记录？")) {
    event.preventDefault();
  }
});

// A board's filters and time range live in the page's URL: a link reproduces the view, a reload keeps it.
// The filter bar is read from the URL once (a filter's select keeps the wanted value in data-wanted until the
// first snapshot brings its options), and WarroomRange.params(form) is what the live stream, each panel's
// CSV and SQL, and the URL itself are given. Custom from/to are in the board's time zone (as the server
// reads a time without an offset), applied with their button rather than at every keystroke.
const WarroomRange = {
  init(form) {
    const params = new URLSearchParams(location.search);
    for (const select of form.querySelectorAll("select[data-filter]")) {
      select.dataset.wanted = params.get(select.name) || "";
      select.addEventListener("change", () => { select.dataset.wanted = ""; });
    }
    const range = form.querySelector("select[data-range]");
    if (!range) return;
    if (params.get("from")) {
      range.value = "custom";
      form.elements.from.value = (params.get("from") || "").slice(0, 16);
      form.elements.to.value = (params.get("to") || "").slice(0, 16);
    } else if (params.get("range")) {
      range.value = params.get("range");
    }
    const toggle = () => { form.querySelector(".range-custom").hidden = range.value !== "custom"; };
    range.addEventListener("change", toggle);
    toggle();
  },

  params(form) {
    const params = new URLSearchParams();
    if (!form) return params;
    for (const select of form.querySelectorAll("select[data-filter]")) {
      const value = select.value || select.dataset.wanted;
      if (value) params.set(select.name, value);
    }
    const range = form.querySelector("select[data-range]");
    if (range && range.value === "custom") {
      if (form.elements.from.value) params.set("from", form.elements.from.value);
      if (form.elements.to.value) params.set("to", form.elements.to.value);
    } else if (range && range.value !== form.dataset.defaultRange) {
      params.set("range", range.value);
    }
    return params;
  },

  // A custom range the browser can already tell is wrong (its text), or not yet complete ("": wait for the
  // start); null when it may be sent. The server checks every range again (400 naming the parameter).
  problem(form, T) {
    const range = form && form.querySelector("select[data-range]");
    if (!range || range.value !== "custom") return null;
    const from = form.elements.from.value, to = form.elements.to.value;
    if (!from) return "";
    if (to && to <= from) return `${T.range_from} ${from.replace("T", " ")} ≥ ${T.range_to} ${to.replace("T", " ")}`;
    return null;
  },
};

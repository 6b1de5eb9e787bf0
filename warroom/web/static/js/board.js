// A live board: subscribe to /api/v1/live/<name> with the filter bar's values, and hand each panel its part
// of every snapshot. renderers: {panelKey: (chart, data, ctx) => void}; the panel's chart is an ECharts
// instance made once. A snapshot may carry `options: {filterKey: [values]}` to fill the filter bar.
const WarroomBoard = {
  start(name, renderers) {
    const ctx = {lang: document.body.dataset.lang, tz: document.body.dataset.tz, T: WARROOM_TEXT};
    const charts = {};
    for (const el of document.querySelectorAll("[data-panel]")) {
      const target = el.querySelector(".chart");
      if (target) charts[el.dataset.panel] = echarts.init(target);
    }
    const form = document.getElementById("filters");
    let source = null;

    const query = () => {
      if (!form) return "";
      const params = new URLSearchParams();
      for (const select of form.querySelectorAll("select")) if (select.value) params.set(select.name, select.value);
      const text = params.toString();
      return text ? "?" + text : "";
    };
    const fillOptions = (options) => {
      if (!form || !options) return;
      for (const [key, values] of Object.entries(options)) {
        const select = form.querySelector(`select[name="${key}"]`);
        if (!select || select.options.length > 1) continue;
        for (const value of values) select.add(new Option(value, value));
      }
    };
    const render = (snap) => {
      if (snap.now) document.getElementById("clock").textContent = WarroomFormat.dateTime(snap.now, ctx.tz);
      fillOptions(snap.options);
      for (const [key, renderer] of Object.entries(renderers)) {
        if (!(key in snap)) continue;
        try {
          renderer(charts[key], snap[key], ctx, snap);
        } catch (err) {
          console.error("panel", key, err);  // one bad panel must not blank the others
        }
      }
    };
    const connect = () => {
      if (source) source.close();
      source = WarroomLive.subscribe(`/api/v1/live/${name}${query()}`, render);
    };
    if (form) form.addEventListener("change", connect);
    window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
    connect();
  },
};

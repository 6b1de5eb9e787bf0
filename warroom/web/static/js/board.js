// A live board: subscribe to /api/v1/live/<name> with the filter bar's values and time range (range.js), and
// hand each panel its part of every snapshot. renderers: {panelKey: (chart, data, ctx) => void}; the panel's
// chart is an ECharts instance made once. A snapshot may carry `options: {filterKey: [values]}` to fill the
// filter bar. After each snapshot the annotations are drawn on the time charts (annotations.js) and the
// panel tools (panel_tools.js) follow the filters. WarroomBoard.setFilter(key, value) is the drill-down.
const WarroomBoard = {
  start(name, renderers) {
    const ctx = {lang: document.body.dataset.lang, tz: document.body.dataset.tz, T: WARROOM_TEXT};
    const tools = window.WARROOM_BOARD || {name, panels: {}, sql: false};
    const charts = {};
    for (const el of document.querySelectorAll("[data-panel]")) {
      const target = el.querySelector(".chart");
      if (target) charts[el.dataset.panel] = echarts.init(target);
    }
    ctx.charts = charts;
    const form = document.getElementById("filters");
    const error = document.getElementById("range-error");
    let source = null;

    const query = () => {
      const text = WarroomRange.params(form).toString();
      return text ? "?" + text : "";
    };
    const fillOptions = (options) => {
      if (!form || !options) return;
      for (const [key, values] of Object.entries(options)) {
        const select = form.querySelector(`select[name="${key}"]`);
        if (!select || select.options.length > 1) continue;
        for (const value of values) select.add(new Option(value, value));
        const wanted = select.dataset.wanted;
        if (wanted && ![...select.options].some((o) => o.value === wanted)) select.add(new Option(wanted, wanted));
        if (wanted) select.value = wanted;
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
      WarroomAnnotations.draw(charts);
    };
    const showError = (text) => {
      if (!error) return;
      error.textContent = text || "";
      error.hidden = !text;
    };
    const connect = async () => {
      const problem = WarroomRange.problem(form, ctx.T);
      if (problem !== null) return showError(problem);
      const q = query();
      if (new URLSearchParams(q).has("from")) {
        // A custom range the server refuses gets its 400 message shown, not a stream that never speaks.
        const check = await fetch(`/api/v1/boards/${name}/panels/${Object.keys(tools.panels)[0]}${q}`);
        if (!check.ok) return showError((await check.json()).error);
      }
      showError("");
      history.replaceState(null, "", location.pathname + q);
      WarroomPanelTools.follow(q);
      if (source) source.close();
      source = WarroomLive.subscribe(`/api/v1/live/${name}${q}`, render);
    };
    this.setFilter = (key, value) => {
      const select = form && form.querySelector(`select[name="${key}"]`);
      if (!select) return;
      if (![...select.options].some((o) => o.value === value)) select.add(new Option(value, value));
      select.value = value;
      select.dataset.wanted = "";
      connect();
    };
    if (form) {
      WarroomRange.init(form);
      form.addEventListener("change", (event) => {
        if (event.target.type !== "datetime-local") connect();
      });
      const apply = form.querySelector("[data-range-apply]");
      if (apply) apply.addEventListener("click", connect);
    }
    WarroomPanelTools.init(tools, ctx.T);
    WarroomAnnotations.init(name, charts, ctx);
    WarroomComments.init(name, ctx);
    window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
    connect();
  },
};

// Annotations (warroom/collab: a labelled point or range on a board's time axis) drawn on every time-series
// chart of the board whose x-range covers them: a point as an ECharts markLine, a range as a markArea, on the
// chart's first series. Reloaded every RELOAD_S and after one is added from the page's form (POST with the
// page's CSRF token in X-CSRF-Token, as collab.py asks of a browser session).
const WarroomAnnotations = {
  RELOAD_S: 30,
  items: [],

  init(name, charts, ctx) {
    this.name = name;
    this.charts = charts;
    this.load();
    setInterval(() => this.load(), this.RELOAD_S * 1000);
    const form = document.getElementById("annotate");
    if (form) form.addEventListener("submit", (event) => { event.preventDefault(); this.add(form, ctx); });
  },

  async load() {
    const response = await fetch(`/api/v1/boards/${this.name}/annotations`);
    if (!response.ok) return;
    this.items = (await response.json()).annotations;
    this.draw(this.charts);
  },

  // The x extent of a time chart's data, in ms; null for a chart that is not a time series.
  extent(chart) {
    const option = chart.getOption();
    if (!option || !option.xAxis || !option.xAxis.length || option.xAxis[0].type !== "time") return null;
    const axis = option.xAxis[0];
    if (typeof axis.min === "number" && typeof axis.max === "number") return [axis.min, axis.max];  // set by charts.js
    let lo = Infinity, hi = -Infinity;
    for (const series of option.series || []) {
      for (const point of series.data || []) {
        const t = +new Date(Array.isArray(point) ? point[0] : point.value[0]);
        if (t < lo) lo = t;
        if (t > hi) hi = t;
      }
    }
    return lo <= hi ? [lo, hi] : null;
  },

  // items: this board's annotations unless given (a user dashboard draws several boards' on their charts).
  draw(charts, items = this.items) {
    for (const chart of Object.values(charts || {})) {
      const span = this.extent(chart);
      if (!span) continue;
      const shown = items.filter((a) => {
        const from = +new Date(a.time_from), to = a.time_to ? +new Date(a.time_to) : from;
        return to >= span[0] && from <= span[1];
      });
      const label = (a) => ({show: true, formatter: a.label, color: "#ad6800", fontSize: 11});
      chart.setOption({series: [{
        markLine: {symbol: "none", silent: true, lineStyle: {color: "#fa8c16", type: "dashed"},
          data: shown.filter((a) => !a.time_to).map((a) => ({xAxis: +new Date(a.time_from), name: a.label, label: {...label(a), position: "insideEndTop"}}))},
        // A range is cut to the chart's own data: a week-long promotion must not stretch a day's axis.
        markArea: {silent: true, itemStyle: {color: "rgba(250, 140, 22, 0.12)"},
          data: shown.filter((a) => a.time_to).map((a) => [
            {xAxis: Math.max(+new Date(a.time_from), span[0]), name: a.label, label: {...label(a), position: "insideTop"}},
            {xAxis: Math.min(+new Date(a.time_to), span[1])}])},
      }]});
    }
  },

  // "2026-11-11T08:00" read in the board's time zone -> an ISO instant (the API wants an offset).
  zoned(local, tz) {
    const guess = new Date(local + ":00Z");
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {timeZone: tz, hourCycle: "h23", year: "numeric",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"}).formatToParts(guess).map((p) => [p.type, p.value]));
    const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
    return new Date(guess.getTime() - (wall - guess.getTime())).toISOString();
  },

  async add(form, ctx) {
    const status = form.querySelector("[data-annotate-status]");
    const body = {label: form.elements.label.value, time_from: this.zoned(form.elements.time_from.value, ctx.tz)};
    if (form.elements.time_to.value) body.time_to = this.zoned(form.elements.time_to.value, ctx.tz);
    const response = await fetch(`/api/v1/boards/${this.name}/annotations`, {
      method: "POST", headers: {"Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf},
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    status.textContent = response.ok ? ctx.T.annotation_saved : answer.error;
    if (response.ok) { form.reset(); this.load(); }
  },
};

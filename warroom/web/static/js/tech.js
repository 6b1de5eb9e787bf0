// The tech board's panels (warroom/web/boards/tech.py); Warroom's own health is polled from /api/v1/tech/health.
(() => {
  const T = WARROOM_TEXT;
  const lang = document.body.dataset.lang;
  const fmt = (v, d = 2) => WarroomFormat.compact(v, lang, d);
  const pct = (v, d = 2) => (v === null || v === undefined ? "–" : (v * 100).toFixed(d) + "%");
  const ms = (v) => (v === null || v === undefined ? "–" : v >= 1000 ? (v / 1000).toFixed(1) + " s" : v.toFixed(0) + " ms");
  const table = (name) => WarroomPanels.find(`[data-table="${name}"]`);
  const note = (name) => WarroomPanels.find(`[data-note="${name}"]`);
  const onPage = WarroomPanels.onBoardPage("tech");  // a user dashboard draws panels, with no drill or health
  // Drill down: a service (a capacity row, a line of the requests chart) sets the service filter, so the
  // endpoint table and every series show that service's endpoints.
  const drillable = (v) => `<a data-drill-service="${v}" title="${T.drill_service}">${v}</a>`;
  const drill = (service) => {
    if (!onPage) return;
    WarroomBoard.setFilter("service", service);
    document.querySelector('[data-panel="endpoints"]').scrollIntoView({behavior: "smooth", block: "center"});
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-drill-service]");
    if (link) drill(link.dataset.drillService);
  });
  const hhmm = (iso, tz) => new Date(iso).toLocaleTimeString("zh-CN", {timeZone: tz, hour: "2-digit", minute: "2-digit", hour12: false});

  let lastRefreshMs = null;
  const renderers = {
    took_ms(_chart, value) {
      lastRefreshMs = value;
    },
    rps(chart, series, ctx) {
      WarroomCharts.timeSeries(chart, series, ctx);
      if (!chart.drill) {
        chart.drill = true;
        chart.on("click", (p) => drill(p.seriesName));
      }
      // straight segments: a spline overshoots below 0 and above the peak between sparse sampled minutes
      chart.setOption({series: series.map(() => ({smooth: false}))});
    },
    latency(chart, data, ctx) {
      WarroomCharts.timeSeries(chart, data.series.map((s) => ({name: s.name.toUpperCase(), data: s.data})), ctx);
      chart.setOption({xAxis: {splitNumber: 4}, yAxis: {type: "log", min: 1, axisLabel: {formatter: (v) => ms(v)}},
        tooltip: {valueFormatter: (v) => ms(v)}});
      note("latency").textContent = data.exact ? "" : `${T.sketch_note} ${(data.bound * 100).toFixed(1)}%)`;
    },
    heatmap(chart, data, ctx) {
      const x = data.x.map((iso) => hhmm(iso, ctx.tz));
      const y = data.y.map((lo) => "≥ " + ms(lo));
      WarroomCharts.heatmap(chart, x, y, data.cells, ctx);
    },
    errors(chart, data, ctx) {
      WarroomCharts.timeSeries(chart, data.rate_5xx, ctx);
      chart.setOption({xAxis: {splitNumber: 4}, yAxis: {axisLabel: {formatter: (v) => pct(v, 0)}},
        tooltip: {valueFormatter: (v) => pct(v)}, series: data.rate_5xx.map(() => ({connectNulls: false, smooth: false}))});
      const rows = [...data.burn].sort((a, b) => (b.burn_rate || 0) - (a.burn_rate || 0)).slice(0, 8);
      WarroomCharts.table(table("burn"), [
        {key: "service", label: T.service},
        {key: "window_minutes", label: T.window, format: (v) => v + "m"},
        {key: "error_ratio", label: T.rate_5xx, align: "num", format: (v) => pct(v)},
        {key: "burn_rate", label: `${T.burn} (${T.slo} ${(data.slo * 100).toFixed(1)}%)`, align: "num",
         format: (v) => v === null ? "–" : (v > data.page_burn ? `<b class="bad">${v.toFixed(1)}×</b>` : v.toFixed(1) + "×")},
        {key: "paging", label: T.paging, format: (v) => v ? '<b class="bad">●</b>' : ""},
      ], rows);
    },
    endpoints(_chart, rows) {
      WarroomCharts.table(table("endpoints"), [
        {key: "service", label: T.service},
        {key: "endpoint", label: T.endpoint},
        {key: "latency_p99", label: "P99", align: "num", format: (v) => v > 1000 ? `<b class="bad">${ms(v)}</b>` : ms(v)},
        {key: "latency_p50", label: "P50", align: "num", format: ms},
        {key: "qps", label: T.qps, align: "num", format: (v) => fmt(v)},
        {key: "error_rate_5xx", label: T.rate_5xx, align: "num", format: (v) => v > 0.01 ? `<b class="bad">${pct(v)}</b>` : pct(v)},
        {key: "apdex", label: T.apdex, align: "num", format: (v) => v === null ? "–" : v < 0.7 ? `<b class="bad">${v.toFixed(2)}</b>` : v.toFixed(2)},
      ], rows);
    },
    hosts(_chart, data) {
      const hot = new Set(data.hot);
      note("hosts").innerHTML = hot.size
        ? `<b class="bad">${hot.size} ${T.near_saturation}: ${[...hot].join(", ")}</b>` : T.none_hot;
      WarroomCharts.table(table("hosts"), [
        {key: "host", label: T.host},
        {key: "host_role", label: T.role},
        {key: "host_cpu", label: T.cpu, align: "num", format: (v) => v === null ? "–" : v.toFixed(0) + "%"},
        {key: "host_mem", label: T.mem, align: "num", format: (v) => v === null ? "–" : v.toFixed(0) + "%"},
        {key: "host_net_in", label: T.net, align: "num", format: (v, r) => `${fmt(v, 0)} / ${fmt(r.host_net_out, 0)}`},
      ], data.rows);
      table("hosts").querySelectorAll("tbody tr").forEach((tr, i) => tr.classList.toggle("hot", hot.has(data.rows[i].host)));
    },
    capacity(chart, data, ctx) {
      WarroomCharts.timeSeries(chart, [
        {name: T.actual, data: data.recent},
        {name: T.forecast, data: data.forecast},
      ], ctx);
      chart.setOption({series: [{}, {lineStyle: {type: "dashed"}}]});
      WarroomCharts.table(table("capacity"), [
        {key: "service", label: T.service, format: drillable},
        {key: "hosts", label: T.hosts_n, align: "num"},
        {key: "capacity_qps", label: T.capacity_qps, align: "num", format: (v) => v === null ? T.not_configured : fmt(v)},
        {key: "peak_qps", label: T.peak_qps, align: "num", format: (v) => fmt(v)},
        {key: "headroom", label: T.headroom, align: "num",
         format: (v) => v === null ? "–" : v < 1 - data.target ? `<b class="bad">${pct(v, 0)}</b>` : pct(v, 0)},
        {key: "forecast_peak_qps", label: T.forecast_peak, align: "num", format: (v) => fmt(v)},
        {key: "hosts_to_add", label: T.hosts_to_add, align: "num", format: (v) => v ? `<b class="bad">+${v}</b>` : (v === 0 ? "0" : "–")},
      ], data.rows);
    },
  };

  WarroomPanels.register("tech", renderers);
  if (!onPage) return;

  // Warroom's own health: not part of the shared snapshot (it reads this server's runtime), polled.
  async function health() {
    try {
      const r = await fetch("/api/v1/tech/health");
      if (!r.ok) return;
      const h = await r.json();
      const lag = Math.max(...h.freshness.map((f) => f.lag_seconds ?? 0));
      const rejected = Object.values(h.rejected_rows).reduce((a, b) => a + b, 0);
      const cells = [
        [T.ingest_lag, lag.toFixed(0) + " " + T.seconds],
        [T.ingest_rate, fmt(h.ingest_rows_per_second, 0)],
        [T.rejected, fmt(rejected, 0)],
        [T.replay_lag, h.replay_lag_seconds === null ? "–" : h.replay_lag_seconds.toFixed(1) + " " + T.seconds],
        [T.query_ms, ms(h.query_ms)],
        [T.refresh_ms, ms(lastRefreshMs)],
        [T.rollup_backlog, fmt(Object.values(h.rollup_backlog_rows).reduce((a, b) => a + b, 0), 0)],
        [T.alert_eval_ms, h.alert_eval_seconds === null ? "–" : ms(h.alert_eval_seconds * 1000)],
        [T.live_viewers, fmt(h.live.viewers ?? 0, 0) + " / " + fmt(h.live.topics ?? 0, 0)],
      ];
      table("selfhealth").innerHTML = cells.map(([k, v]) => `<div><span>${k}</span><b>${v}</b></div>`).join("");
    } catch (err) {
      console.error("health", err);
    }
  }
  health();
  setInterval(health, 5000);
})();

// The data page (warroom/web/routes/data.py): one live stream; cells filled with textContent only, since
// quarantined rows are raw input from outside.
(() => {
  const D = window.WARROOM_DATA_TEXT;
  const ctx = {lang: document.body.dataset.lang, tz: document.body.dataset.tz};
  const fmt = (v, d = 0) => WarroomFormat.compact(v, ctx.lang, d);
  const stamp = (iso) => (iso ? WarroomFormat.dateTime(iso, ctx.tz) : "–");
  const seconds = (s) => (s === null || s === undefined ? "–" : s < 120 ? s.toFixed(0) + " s" : (s / 60).toFixed(0) + " min");
  const rowsChart = echarts.init(document.getElementById("rows-chart"));
  const quarantineChart = echarts.init(document.getElementById("quarantine-chart"));
  window.addEventListener("resize", () => { rowsChart.resize(); quarantineChart.resize(); });

  const cell = (text, cls) => {
    const td = document.createElement("td");
    td.textContent = text ?? "";
    if (cls) td.className = cls;
    return td;
  };
  const fill = (id, rows, cells) => {
    document.querySelector(`#${id} tbody`).replaceChildren(...rows.map((r) => {
      const tr = document.createElement("tr");
      tr.append(...cells(r));
      return tr;
    }));
  };
  const kpi = (key, text) => { document.querySelector(`[data-kpi=${key}] .kpi-value`).textContent = text; };

  const render = (snap) => {
    if (snap.now) document.getElementById("clock").textContent = stamp(snap.now);
    const p = snap.pipeline;
    const rejected = snap.tables.reduce((sum, t) => sum + t.rejected, 0);
    kpi("ingest_rate", p.ingest_rows_per_second === null ? "–" : fmt(p.ingest_rows_per_second, 1));
    kpi("replay_lag", seconds(p.replay_lag_seconds));
    kpi("rejected", fmt(rejected));
    kpi("query_ms", p.query_ms === null ? "–" : p.query_ms.toFixed(0) + " ms");

    WarroomCharts.ranked(rowsChart, snap.tables.filter((t) => t.rows > 0).map((t) => ({label: t.table, value: t.rows})), ctx, {name: D.rows});
    fill("tables", snap.tables, (t) => [cell(t.table), cell(fmt(t.rows), "num"), cell(fmt(t.rejected), "num"),
      cell(t.newest ? stamp(t.newest) : ""), cell(t.newest ? seconds(t.lag_seconds) : "", "num" + (t.lag_seconds > 300 ? " lag-bad" : ""))]);

    const q = snap.quarantine;
    document.getElementById("quarantine-empty").hidden = q.summary.length > 0;
    document.getElementById("quarantine-chart").style.visibility = q.summary.length ? "visible" : "hidden";
    WarroomCharts.ranked(quarantineChart, q.summary.slice(0, 12).map((s) => ({label: `${s.table} · ${s.column || s.rule}`, value: s.rows})), ctx, {name: D.rejected});
    fill("recent", q.recent, (e) => [cell(String(e.id)), cell(stamp(e.received)), cell(e.table), cell(e.source),
      cell(`${e.rule}${e.column ? " (" + e.column + ")" : ""}: ${e.message}`), cell(JSON.stringify(e.raw), "raw")]);

    document.getElementById("sources-empty").hidden = snap.sources.length > 0;
    fill("sources", snap.sources, (s) => [cell(`${s.name} (${s.kind})`), cell(s.url, "raw"), cell(`${s.from} → ${s.into}`),
      cell(s.watermark || "–"), cell(`${stamp(s.last_pull_at)} ${s.status || ""} ${s.message || ""}`, "pull-" + (s.status || ""))]);
  };
  WarroomLive.subscribe("/api/v1/data/live", render);
})();

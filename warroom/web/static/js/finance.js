// The finance board's panels (see warroom/web/boards/finance.py). A viewer without the finance role gets a
// 403 envelope from /api/v1/boards/finance: the page then says so instead of waiting for a stream.
(() => {
  const T = WARROOM_TEXT;
  const lang = document.body.dataset.lang;
  const money = (v) => WarroomFormat.money(v, lang);
  const pct = (v) => (v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%");
  const label = (s) => (lang === "zh" ? s.label_zh : s.label_en);

  // Waterfall: invisible base bars carry each step; subtotals stand on the axis.
  const waterfall = (chart, data, ctx) => {
    const names = [], base = [], up = [], down = [];
    let running = 0;
    for (const s of data.steps) {
      names.push(label(s));
      if (s.kind === "minus") {
        running -= s.amount;
        base.push(Math.min(running, running + s.amount)); down.push(Math.abs(s.amount)); up.push("-");
      } else {
        running = s.amount;
        base.push(Math.min(0, s.amount)); up.push(Math.abs(s.amount)); down.push("-");
      }
    }
    chart.setOption({
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"},
        formatter: (ps) => ps.filter((p) => p.seriesIndex > 0 && p.value !== "-")
          .map((p) => `${p.name}: ${p.seriesIndex === 2 ? "−" : ""}${money(p.value)}`).join("<br>")},
      grid: {left: 8, right: 16, top: 16, bottom: 8, containLabel: true},
      xAxis: {type: "category", data: names, axisLabel: {interval: 0, rotate: 30, fontSize: 11}},
      yAxis: WarroomCharts.axisValue(ctx, true),
      series: [
        {type: "bar", stack: "w", data: base, itemStyle: {color: "transparent"}, silent: true},
        {type: "bar", stack: "w", data: up, itemStyle: {color: "#1677ff"},
          label: {show: true, position: "top", fontSize: 11, formatter: (p) => money(p.value)}},
        {type: "bar", stack: "w", data: down, itemStyle: {color: "#e4393c"},
          label: {show: true, position: "bottom", fontSize: 11, formatter: (p) => "−" + money(p.value)}},
      ],
    }, true);
    const gap = chart.getDom().parentNode.querySelector(".gap");
    gap.hidden = !data.gaps.length;
    gap.textContent = data.gaps.length ? T.waterfall_gap + ": " + data.gaps.join("; ") : "";
  };

  // Margin rate today (colour) against the baseline day (grey), one bar pair per key.
  const marginBars = (chart, data, ctx) => {
    const sorted = [...data.rows].sort((a, b) => (a.gmv_paid || 0) - (b.gmv_paid || 0));
    chart.setOption({
      tooltip: {trigger: "axis", valueFormatter: pct},
      legend: {top: 0, right: 0, data: [T.today, `${T.baseline} ${data.baseline_date.slice(5)}`]},
      grid: {left: 8, right: 48, top: 28, bottom: 8, containLabel: true},
      xAxis: {type: "value", axisLabel: {formatter: pct}},
      yAxis: {type: "category", data: sorted.map((r) => r.key ?? T.no_promo)},
      series: [
        {name: `${T.baseline} ${data.baseline_date.slice(5)}`, type: "bar", data: sorted.map((r) => r.baseline_rate), itemStyle: {color: "#bfbfbf"}, barMaxWidth: 10},
        {name: T.today, type: "bar", barMaxWidth: 12, label: {show: true, position: "right", formatter: (p) => pct(p.value)},
          data: sorted.map((r) => ({value: r.rate, itemStyle: {color: r.rate < 0 ? "#e4393c" : "#1677ff"}}))},
      ],
    }, true);
  };

  const table = (chart, panel, columns, rows, empty) => {
    const el = WarroomPanels.find(`[data-panel=${panel}] .table-wrap`);
    if (!rows.length) { el.innerHTML = `<p class="note">${empty || "–"}</p>`; return; }
    WarroomCharts.table(el, columns, rows);
  };

  const negative = (chart, rows) => table(chart, "negative", [
    {key: "sku_name", label: T.col_sku, format: (v, r) => `${v || r.sku} <small>${r.sku}</small>`},
    {key: "category_l1", label: T.col_category},
    {key: "line_promo", label: T.col_promo},
    {key: "units", label: T.col_units, align: "num"},
    {key: "loss", label: T.col_loss, align: "num loss", format: money},
    {key: "stack", label: T.col_stack, format: (v) => v.map((s) => `${s.promo} ${money(s.amount)}`).join(" + ")},
  ], rows);

  const cashflow = (chart, data, ctx) => {
    const day = (d) => d.day.slice(5) + (d.forecast ? " " + T.forecast : "");
    const light = (d, color) => ({value: d, itemStyle: {color, opacity: 0.45}});
    chart.setOption({
      tooltip: {trigger: "axis", valueFormatter: money},
      legend: {top: 0, right: 0},
      grid: {left: 8, right: 16, top: 32, bottom: 8, containLabel: true},
      xAxis: {type: "category", data: data.days.map(day), axisLabel: {interval: 0, fontSize: 11}},
      yAxis: WarroomCharts.axisValue(ctx, true),
      series: [
        {name: T.inflow, type: "bar", itemStyle: {color: "#1677ff"},
          data: data.days.map((d) => (d.forecast ? light(d.inflow, "#1677ff") : d.inflow))},
        {name: T.outflow, type: "bar", itemStyle: {color: "#e4393c"},
          data: data.days.map((d) => (d.forecast ? light(-d.outflow, "#e4393c") : -d.outflow))},
        {name: T.net, type: "line", data: data.days.map((d) => d.net), itemStyle: {color: "#262626"},
          lineStyle: {width: 2}, symbolSize: 6},
      ],
    }, true);
    chart.getDom().parentNode.querySelector(".totals").innerHTML =
      `<span>${T.funding_need}<b class="${data.funding_need > 0 ? "bad" : ""}">${money(data.funding_need)}</b></span>` +
      `<span>${T.pending}<b>${money(data.pending)}</b></span>`;
  };

  const reconcile = (chart, data) => {
    const panel = WarroomPanels.find("[data-panel=reconcile]");
    panel.querySelector(".totals").innerHTML =
      `<span>${T.orders_paid}<b>${money(data.orders_paid)}</b></span>` +
      `<span>${T.payments_succeeded}<b>${money(data.payments_succeeded)}</b></span>` +
      `<span>${T.explained}<b>${money(data.explained)}</b></span>` +
      `<span class="${data.ties_out ? "ok" : "bad"}">${data.ties_out ? "✓ " + T.ties_out : "✗ " + T.not_tied}</span>`;
    table(chart, "reconcile", [
      {key: "reason", label: T.col_reason, format: (v) => data.reasons[v][lang === "zh" ? 0 : 1]},
      {key: "order_id", label: T.col_order},
      {key: "difference", label: T.col_difference, align: "num", format: money},
    ], data.mismatches, T.no_mismatch);
  };

  const anomalies = (chart, rows, ctx) => table(chart, "anomalies", [
    {key: "time", label: T.col_time, format: (v, r) => r.kind === "refunds"
      ? new Date(v).toLocaleDateString("zh-CN", {timeZone: ctx.tz}) : WarroomFormat.dateTime(v, ctx.tz).slice(0, -3)},
    {key: "kind", label: T.col_what, format: (v, r) => `${T["kind_" + v]} · ` +
      Object.values(r.key).filter((x) => x).join(" · ")},
    {key: "count", label: T.col_count, align: "num", format: (v, r) => `${v}/${r.total}`},
    {key: "rate", label: T.col_rate, align: "num loss", format: pct},
    {key: "upper", label: T.col_band, align: "num", format: (v) => "≤ " + pct(v)},
  ], rows, T.no_anomaly);

  const renderers = {
    waterfall,
    margins_category: marginBars,
    margins_channel: marginBars,
    margins_promo: marginBars,
    negative, cashflow, reconcile, anomalies,
  };

  WarroomPanels.register("finance", renderers, () => fetch("/api/v1/boards/finance" + window.location.search, {headers: {Accept: "application/json"}})
    .then(async (response) => {
      if (response.status === 403) {
        const body = await response.json().catch(() => ({}));
        const box = document.getElementById("forbidden");
        box.hidden = false;
        box.textContent = T.forbidden + (body.error ? " (" + body.error + ")" : "");
        document.querySelectorAll("[data-panel]").forEach((el) => { el.hidden = true; });
        return;
      }
      WarroomBoard.start("finance", renderers);
    }));
})();

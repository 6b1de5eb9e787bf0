// Chart options shared by the boards, so every panel reads the same way: one palette, compact numbers
// (万/亿 or K/M), times in the board's time zone.
const WarroomCharts = {
  palette: ["#e4393c", "#1677ff", "#fa8c16", "#13c2c2", "#722ed1", "#52c41a", "#eb2f96", "#8c8c8c"],

  axisValue(ctx, money = false) {
    return {type: "value", axisLabel: {formatter: (v) => (money ? "¥" : "") + WarroomFormat.axis(v, ctx.lang)}};
  },

  // series: [{name, data: [[isoTime, value], ...], type?: "line"|"bar", area?: bool}]
  timeSeries(chart, series, ctx, {money = false} = {}) {
    // One moment only (the first hour of a day): ECharts would stretch the axis over two days and draw the
    // bar hours wide; two hours either side keep it a bar at its hour.
    const times = new Set(series.flatMap((s) => s.data.map((p) => +new Date(p[0]))));
    const only = times.size === 1 ? [...times][0] : null;
    const around = only === null ? {} : {min: only - 7_200_000, max: only + 7_200_000};
    chart.setOption({
      color: this.palette,
      tooltip: {trigger: "axis", valueFormatter: (v) => (money ? "¥" : "") + WarroomFormat.compact(v, ctx.lang)},
      legend: {top: 0, right: 0, type: "scroll"},
      grid: {left: 64, right: 16, top: 32, bottom: 28},
      xAxis: {type: "time", ...around, axisLabel: {formatter: (v) => new Date(v).toLocaleTimeString("zh-CN",
        {timeZone: ctx.tz, hour: "2-digit", minute: "2-digit", hour12: false})}},
      yAxis: this.axisValue(ctx, money),
      series: series.map((s) => ({name: s.name, type: s.type || "line", data: s.data, showSymbol: only !== null,
        barMaxWidth: 48,
        smooth: true, stack: s.stack, areaStyle: s.area ? {opacity: 0.2} : undefined})),
    }, true);
  },

  // Ranked horizontal bars: rows [{label, value}], largest on top.
  ranked(chart, rows, ctx, {money = false, name = ""} = {}) {
    const sorted = [...rows].sort((a, b) => a.value - b.value);
    chart.setOption({
      color: this.palette,
      tooltip: {trigger: "axis", valueFormatter: (v) => (money ? "¥" : "") + WarroomFormat.compact(v, ctx.lang)},
      grid: {left: 8, right: 56, top: 8, bottom: 8, containLabel: true},
      xAxis: {...this.axisValue(ctx, money), splitLine: {show: false}},
      yAxis: {type: "category", data: sorted.map((r) => r.label)},
      series: [{name, type: "bar", data: sorted.map((r) => r.value), barMaxWidth: 18,
        label: {show: true, position: "right", formatter: (p) => WarroomFormat.compact(p.value, ctx.lang)}}],
    }, true);
  },

  // steps: [{label, value}] from the top of the funnel down; shows each step's share of the first.
  funnel(chart, steps, ctx) {
    const top = steps.length ? steps[0].value : 0;
    chart.setOption({
      color: this.palette,
      tooltip: {trigger: "item", formatter: (p) => `${p.name}: ${WarroomFormat.compact(p.value, ctx.lang)}`},
      series: [{type: "funnel", sort: "none", left: "10%", width: "80%", gap: 2, minSize: "8%",
        label: {position: "inside", formatter: (p) => `${p.name}  ${WarroomFormat.compact(p.value, ctx.lang)}` +
          (top ? `  (${(100 * p.value / top).toFixed(1)}%)` : "")},
        data: steps.map((s) => ({name: s.label, value: s.value}))}],
    }, true);
  },

  // x: labels, y: labels, cells: [[xIndex, yIndex, value]]
  heatmap(chart, x, y, cells, ctx) {
    const max = Math.max(1, ...cells.map((c) => c[2]));
    chart.setOption({
      tooltip: {position: "top", formatter: (p) => `${y[p.value[1]]} ${x[p.value[0]]}: ` +
        WarroomFormat.compact(p.value[2], ctx.lang)},
      grid: {left: 8, right: 16, top: 8, bottom: 56, containLabel: true},
      xAxis: {type: "category", data: x, splitArea: {show: true}},
      yAxis: {type: "category", data: y, splitArea: {show: true}},
      visualMap: {min: 0, max, calculable: true, orient: "horizontal", left: "center", bottom: 0,
        inRange: {color: ["#fff7f0", "#ffb38a", "#e4393c", "#820014"]}},
      series: [{type: "heatmap", data: cells, emphasis: {itemStyle: {shadowBlur: 6}}}],
    }, true);
  },

  // A plain table for what people read row by row (a list of problems, not a trend).
  table(el, columns, rows) {
    const head = columns.map((c) => `<th>${c.label}</th>`).join("");
    const body = rows.map((r) => "<tr>" + columns.map((c) => {
      const v = c.format ? c.format(r[c.key], r) : r[c.key];
      return `<td class="${c.align || ""}">${v ?? "–"}</td>`;
    }).join("") + "</tr>").join("");
    el.innerHTML = `<table class="grid-table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
  },
};

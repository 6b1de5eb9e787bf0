// The overview page: headline cards with a sparkline each, and today's hours against yesterday's.
(() => {
  const lang = document.body.dataset.lang;
  const tz = document.body.dataset.tz;
  const T = WARROOM_TEXT;
  const money = new Set(["gmv_paid", "aov"]);
  const hourly = echarts.init(document.getElementById("hourly"));
  const sparks = {};
  document.querySelectorAll(".kpi").forEach((card) => {
    sparks[card.dataset.metric] = echarts.init(card.querySelector("[data-field=spark]"));
  });

  const hours = Array.from({length: 24}, (_, h) => String(h).padStart(2, "0") + ":00");
  const fmt = (metric, v) => money.has(metric) ? WarroomFormat.money(v, lang) : WarroomFormat.compact(v, lang);

  function render(snap) {
    document.getElementById("clock").textContent = WarroomFormat.dateTime(snap.now, tz);
    for (const [metric, chart] of Object.entries(sparks)) {
      const card = document.querySelector(`.kpi[data-metric=${metric}]`);
      const now = snap.today[metric], before = snap.yesterday_same_time[metric];
      card.querySelector("[data-field=value]").textContent = fmt(metric, now);
      const change = WarroomFormat.percentChange(now, before);
      const delta = card.querySelector("[data-field=delta]");
      delta.dataset.sign = change === null ? "none" : change >= 0 ? "up" : "down";
      delta.querySelector("span").textContent = change === null ? "–"
        : (change >= 0 ? "▲ " : "▼ ") + Math.abs(change * 100).toFixed(1) + "%";
      if (metric === "gmv_paid") {
        chart.setOption({
          grid: {left: 0, right: 0, top: 4, bottom: 0},
          xAxis: {type: "category", show: false, data: hours}, yAxis: {type: "value", show: false},
          series: [{type: "line", data: snap.today_by_hour, showSymbol: false, smooth: true,
                    areaStyle: {opacity: 0.25}, lineStyle: {width: 2}}],
        });
      }
    }
    hourly.setOption({
      tooltip: {trigger: "axis", valueFormatter: (v) => WarroomFormat.money(v, lang)},
      legend: {data: [T.today, T.yesterday], top: 0, right: 0},
      grid: {left: 70, right: 20, top: 36, bottom: 30},
      xAxis: {type: "category", data: hours},
      yAxis: {type: "value", axisLabel: {formatter: (v) => WarroomFormat.axis(v, lang)}},
      series: [
        {name: T.yesterday, type: "line", data: snap.yesterday_by_hour, showSymbol: false,
         lineStyle: {type: "dashed", color: "#9aa4b2"}, itemStyle: {color: "#9aa4b2"}},
        {name: T.today, type: "bar", data: snap.today_by_hour, itemStyle: {color: "#e4393c"}},
      ],
    });
  }

  WarroomLive.subscribe("/api/v1/live/overview", render);
  window.addEventListener("resize", () => { hourly.resize(); Object.values(sparks).forEach((c) => c.resize()); });
})();

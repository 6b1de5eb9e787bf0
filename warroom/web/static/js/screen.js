// The big screen: lays out each snapshot of /api/v1/live/screen. Between snapshots the GMV counter runs
// from the value shown to the new one, and the room's clock (the replay's simulated clock in the demo) and
// the countdown to midnight advance at the pace the snapshots' clocks have been moving.
(() => {
  const lang = document.body.dataset.lang;
  const tz = document.body.dataset.tz;
  const T = WARROOM_TEXT;
  const F = WarroomFormat;
  const $ = (id) => document.getElementById(id);
  const ink = "#f2f5fc", muted = "#9fb0d0", line = "#1d3566", gold = "#ffd34d", red = "#ff4d4f";
  const charts = {};
  for (const id of ["categories", "funnel", "map", "trend"]) charts[id] = echarts.init($(id), null, {renderer: "canvas"});
  const rem = () => document.documentElement.clientWidth / 120;  // matches screen.css: 1rem = 1/120 of the width

  // ---- the GMV counter: animate from what is shown to the new value over about one refresh ----
  const counter = {shown: null, from: 0, to: 0, start: 0, duration: 1000};
  const showGmv = (v) => { counter.shown = v; $("gmv").textContent = "¥" + Math.floor(v).toLocaleString("en-US"); };
  const tick = (t) => {
    if (counter.shown !== counter.to) {
      const p = Math.min(1, (t - counter.start) / counter.duration);
      const eased = 1 - Math.pow(1 - p, 3);
      showGmv(p >= 1 ? counter.to : counter.from + (counter.to - counter.from) * eased);
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  const setGmv = (value, interval) => {
    const v = value ?? 0;
    if (counter.shown === null || v < counter.shown) {  // first value, or a new day began: no run backwards
      counter.from = counter.to = v;
      showGmv(v);
      return;
    }
    counter.from = counter.shown;
    counter.to = v;
    counter.start = performance.now();
    counter.duration = Math.max(300, Math.min(interval, 3000));
  };

  // ---- the room's clock, extrapolated between snapshots at the rate it has been running ----
  const clock = {sim: null, wall: 0, rate: 1, target: null, kind: "to_end", shown: null};
  const simNow = () => clock.sim === null ? null : clock.sim + (performance.now() - clock.wall) * clock.rate;
  const pad = (n) => String(n).padStart(2, "0");
  const hms = (ms) => {
    const s = Math.max(0, Math.floor(ms / 1000));
    return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
  };
  const drawClock = () => {
    const now = simNow();
    if (now === null) return;
    const shown = Math.max(now, clock.shown ?? now);  // never tick backwards when a snapshot comes in late
    clock.shown = shown;
    $("clock").textContent = F.dateTime(new Date(shown).toISOString(), tz);
    // Before the sale: time to its start; during it: time to its end; after it: time since it ended.
    const left = clock.kind === "ended" ? shown - clock.target : clock.target - shown;
    $("countdown").textContent = hms(left);
    $("countdown-box").toggleAttribute("data-final", clock.kind !== "ended" && left > 0 && left <= 60_000);
  };
  setInterval(drawClock, 200);

  const duration = (seconds) => {
    const s = Math.round(seconds), m = Math.floor(s / 60), r = s % 60;
    if (lang === "zh") return m ? `${m}分${pad(r)}秒` : `${s}秒`;
    return m ? `${m} min ${pad(r)} s` : `${s} s`;
  };

  // ---- panels ----
  const axisText = {color: muted, fontSize: 1.0 * rem()};
  const categories = (rows) => {
    const top = [...rows].reverse();  // ECharts draws a category axis bottom-up: the leader goes on top
    charts.categories.setOption({
      grid: {left: 8, right: 6 * rem(), top: 4, bottom: 4, containLabel: true},
      xAxis: {type: "value", show: false},
      yAxis: {type: "category", data: top.map((r) => r.name), axisLine: {show: false}, axisTick: {show: false},
              axisLabel: {color: ink, fontSize: 1.25 * rem()}},
      series: [{type: "bar", data: top.map((r) => r.gmv_paid), barWidth: "58%",
                itemStyle: {color: new echarts.graphic.LinearGradient(0, 0, 1, 0, [{offset: 0, color: "#a8071a"}, {offset: 1, color: red}]), borderRadius: [0, 4, 4, 0]},
                label: {show: true, position: "right", color: gold, fontSize: 1.2 * rem(), fontWeight: 700,
                        formatter: (p) => F.money(p.value, lang)}}],
    });
  };
  const funnel = (steps) => {
    const first = steps[0]?.value || 0;
    charts.funnel.setOption({
      series: [{type: "funnel", sort: "none", left: "4%", right: "4%", top: 6, bottom: 6, gap: 4, minSize: "28%",
                data: steps.map((s) => ({name: T[s.step], value: s.value ?? 0})),
                color: ["#2f54eb", "#722ed1", "#eb2f96", "#ff4d4f"],
                label: {show: true, position: "inside", color: "#fff", fontSize: 1.2 * rem(), fontWeight: 700,
                        formatter: (p) => `${p.name}  ${F.compact(p.value, lang, 1)}` +
                          (p.dataIndex && first ? `  ${(100 * p.value / first).toFixed(1)}%` : "")},
                itemStyle: {borderWidth: 0}}],
    });
  };
  const provinces = (rows) => {
    const max = Math.max(1, ...rows.map((r) => r.gmv_paid || 0));
    charts.map.setOption({
      visualMap: {min: 0, max, left: 8, bottom: 8, calculable: false, orient: "vertical", itemHeight: 8 * rem(),
                  text: [F.money(max, lang), "0"],
                  inRange: {color: ["#14306b", "#2f6fde", "#ffd34d", "#ff4d4f"]},
                  textStyle: axisText, formatter: (v) => F.axis(v, lang)},
      tooltip: {trigger: "item", formatter: (p) => `${p.name}: ${F.money(p.value, lang)}`},
      series: [{type: "map", map: "china", roam: false, zoom: 1.15, top: "12%",
                label: {show: false}, emphasis: {label: {show: true, color: "#fff"}},
                itemStyle: {areaColor: "#0f2350", borderColor: "#3a5a9a"},
                data: rows.map((r) => ({name: r.name, value: r.gmv_paid}))}],
    });
  };
  const trend = (rows) => {
    charts.trend.setOption({
      grid: {left: 8, right: 16, top: 16, bottom: 6, containLabel: true},
      xAxis: {type: "category", data: rows.map((r) => F.time(r.time, tz).slice(0, 5)), axisLabel: axisText,
              axisLine: {lineStyle: {color: line}}},
      yAxis: {type: "value", axisLabel: axisText, splitLine: {lineStyle: {color: line}}},
      series: [{type: "line", data: rows.map((r) => r.orders_per_second), showSymbol: false,
                lineStyle: {width: 3, color: red}, areaStyle: {color: "#ff4d4f33"}}],
    });
  };

  let lastSnapshotAt = null;
  const render = (snap) => {
    const wall = performance.now();
    const interval = lastSnapshotAt === null ? 1000 : wall - lastSnapshotAt;
    lastSnapshotAt = wall;
    const sim = Date.parse(snap.now);
    if (clock.sim !== null && wall > clock.wall && sim >= clock.sim) {
      const rate = (sim - clock.sim) / (wall - clock.wall);
      clock.rate = clock.rate === 1 && rate > 1 ? rate : 0.7 * clock.rate + 0.3 * rate;  // smooth the jitter
    }
    clock.sim = sim;
    clock.wall = wall;
    clock.target = Date.parse(snap.countdown.at);
    if (clock.kind !== snap.countdown.kind) {
      clock.kind = snap.countdown.kind;
      $("countdown-label").textContent = T["countdown_" + clock.kind];
    }
    drawClock();

    const h = snap.headline, r = snap.rate;
    setGmv(h.gmv_paid, interval);
    $("orders-per-second").textContent = r.orders_per_second === null ? "–" : r.orders_per_second.toFixed(2);
    $("gmv-per-second").textContent = F.money(r.gmv_per_second, lang);
    $("orders").textContent = F.compact(h.orders, lang);
    $("buyers").textContent = F.compact(h.buyers, lang);
    $("aov").textContent = F.money(h.aov, lang);
    $("last-update").textContent = F.dateTime(snap.now, tz);
    for (const [draw, data] of [[categories, snap.categories], [funnel, snap.funnel], [provinces, snap.provinces], [trend, snap.trend]]) {
      try {
        draw(data);
      } catch (err) {
        console.error("screen panel", err);  // one bad panel must not blank the others
      }
    }
  };

  // When data stops arriving the panels keep their last values; the band says since when.
  document.addEventListener("warroom:freshness", (event) => {
    const {stale, quietSeconds} = event.detail;
    document.body.classList.toggle("is-stale", stale);
    const band = $("stale-banner");
    band.hidden = !stale;
    if (stale) band.textContent = T.stale_banner.replace("{ago}", duration(quietSeconds));
  });

  // ---- the alerts ticker: the viewer's team's alerts from GET /api/v1/alerts (firing first) ----
  const ALERTS_SHOWN = 6;
  const alertItem = (a) => {
    const li = document.createElement("li");
    li.dataset.severity = a.severity;
    li.dataset.status = a.status;
    const since = a.fired_at || a.active_since;
    const when = since ? F.time(since, tz).slice(0, 5) + " " : "";
    li.textContent = `${when}${a.summary || a.rule_id}`;
    if (a.undelivered) li.textContent += " ⚠";
    return li;
  };
  const alerts = async () => {
    const list = $("alerts");
    try {
      const response = await fetch("/api/v1/alerts", {headers: {Accept: "application/json"}});
      if (response.status === 404) {  // a server without the alerts feed: say so rather than show calm
        list.replaceChildren(Object.assign(document.createElement("li"), {className: "s-muted", textContent: T.no_alerts_feed}));
        return;
      }
      if (!response.ok) return;  // keep what is shown; the next poll tries again
      const body = await response.json();
      const items = body.alerts.filter((a) => a.status !== "resolved").slice(0, ALERTS_SHOWN).map(alertItem);
      list.replaceChildren(...(items.length ? items
        : [Object.assign(document.createElement("li"), {className: "s-muted", textContent: T.no_alerts})]));
    } catch (err) {
      console.error("alerts", err);
    }
  };
  alerts();
  setInterval(alerts, 5000);  // alerts are evaluated on the minute; 5 s keeps the ticker within a refresh or two

  WarroomLive.subscribe("/api/v1/live/screen", render);
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
})();

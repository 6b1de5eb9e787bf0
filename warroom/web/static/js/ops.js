// The operations board's panels (warroom/web/boards/ops.py): one renderer per snapshot key, registered with
// panels.js (the board starts on its own page; a user dashboard draws the same panels with them).
(() => {
  const C = WarroomCharts;
  const F = WarroomFormat;
  const panel = (key) => WarroomPanels.find(`[data-panel="${key}"]`);
  const pct = (v) => (v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%");
  const signed = (v) => (v === null || v === undefined ? "–" : (v >= 0 ? "▲ " : "▼ ") + Math.abs(100 * v).toFixed(1) + "%");
  const points = (v) => (v === null || v === undefined ? "" : ` ${v >= 0 ? "+" : "−"}${Math.abs(100 * v).toFixed(1)}pt`);
  const hours = (v) => (v === null || v === undefined ? "∞" : v.toFixed(1));
  const promoName = (t, T) => T["promo_" + t] || t;
  const ignored = (key, data, T) => {
    const note = panel(key).querySelector(".ignored") || panel(key).appendChild(Object.assign(document.createElement("p"), {className: "note ignored"}));
    note.textContent = data.ignored_filters && data.ignored_filters.length ? T.ignored + " " + data.ignored_filters.join(", ") : "";
  };

  const funnel = (key) => (chart, data, ctx) => {
    const steps = data.groups.length ? data.groups[0].steps : [];
    C.funnel(chart, steps.map((s) => ({label: ctx.T["step_" + s.step], value: s.count || 0})), ctx);
    panel(key).querySelector(".drops").innerHTML = steps.slice(1).map((s) =>
      `<span class="drop" data-sign="${(s.rate_change || 0) >= 0 ? "up" : "down"}">${ctx.T["step_" + s.step]} ` +
      `${pct(s.rate)}<small>${points(s.rate_change)}</small></span>`).join("");
    ignored(key, data, ctx.T);
  };

  WarroomPanels.register("ops", {
    traffic(chart, data, ctx) {
      const byChannel = {};
      const baseline = {};
      for (const r of data.hourly) {
        (byChannel[r.channel] = byChannel[r.channel] || []).push([r.time, r.pv]);
        baseline[r.time] = (baseline[r.time] || 0) + (r.pv_baseline || 0);
      }
      const series = Object.entries(byChannel).map(([name, d]) => ({name, data: d, type: "bar", stack: "pv"}));
      series.push({name: ctx.T.yesterday_pv, data: Object.entries(baseline).sort(), type: "line"});
      C.timeSeries(chart, series, ctx);
      ignored("traffic", data, ctx.T);
    },
    mix(chart, data, ctx) {
      C.ranked(chart, data.mix.map((r) => ({label: r.channel + " " + pct(r.uv_share), value: r.uv})), ctx);
    },
    funnel_user: funnel("funnel_user"),
    funnel_session: funnel("funnel_session"),
    stockouts(_, rows, ctx) {
      C.table(panel("stockouts").querySelector(".table-wrap"), [
        {key: "sku_name", label: ctx.T.col_sku, format: (v, r) => `${v}<br><small>${r.sku_id}</small>`},
        {key: "on_hand", label: ctx.T.col_on_hand, align: "num"},
        {key: "rate_per_hour", label: ctx.T.col_rate, align: "num", format: (v) => v.toFixed(1)},
        {key: "hours_left", label: ctx.T.col_hours_left, align: "num", format: hours},
      ], rows);
    },
    leaders_sku(_, data, ctx) {
      C.table(panel("leaders_sku").querySelector(".table-wrap"), [
        {key: "sku_name", label: ctx.T.col_sku, format: (v, r) => `${v ?? r.sku} <small>${r.sku}</small>`},
        {key: "gmv_paid", label: ctx.T.col_gmv, align: "num", format: (v) => F.money(v, ctx.lang)},
        {key: "units", label: ctx.T.col_units, align: "num"},
        {key: "gmv_growth", label: ctx.T.col_growth, align: "num", format: signed},
        {key: "sell_through", label: ctx.T.col_sell_through, align: "num", format: pct},
        {key: "hours_left", label: ctx.T.col_hours_left, align: "num", format: hours},
      ], data.rows);
      ignored("leaders_sku", data, ctx.T);
    },
    leaders_category(chart, data, ctx) {
      C.ranked(chart, data.rows.map((r) => ({label: `${r.category_l1} ${signed(r.gmv_growth)}`, value: r.gmv_paid, key: r.category_l1})), ctx, {money: true});
      if (!chart.drill && WarroomPanels.onBoardPage("ops")) {
        // Drill down: a category's bar sets the category filter, so the SKU leaderboard shows its SKUs.
        chart.drill = true;
        chart.on("click", (p) => {
          const category = p.name.split(" ")[0];
          WarroomBoard.setFilter("category_l1", category);
          panel("leaders_sku").scrollIntoView({behavior: "smooth", block: "center"});
        });
        chart.getZr().setCursorStyle("pointer");
      }
    },
    leaders_brand(chart, data, ctx) {
      C.ranked(chart, data.rows.map((r) => ({label: `${r.brand} ${signed(r.gmv_growth)}`, value: r.gmv_paid})), ctx, {money: true});
    },
    roi(chart, data, ctx) {
      const byChannel = {};
      for (const r of data.series) if (r.roi !== null) (byChannel[r.channel] = byChannel[r.channel] || []).push([r.time, r.roi]);
      const falling = new Set(data.falling.map((f) => f.channel));
      C.timeSeries(chart, Object.entries(byChannel).map(([name, d]) => ({name: falling.has(name) ? "⚠ " + name : name, data: d})), ctx);
      C.table(panel("falling").querySelector(".table-wrap"), [
        {key: "channel", label: ctx.T.col_channel, format: (v) => `<b class="alarm">⚠ ${v}</b>`},
        {key: "roi_before", label: ctx.T.col_roi_before, align: "num", format: (v) => v.toFixed(1)},
        {key: "roi_recent", label: ctx.T.col_roi_recent, align: "num", format: (v) => v.toFixed(1)},
        {key: "change", label: "Δ", align: "num", format: signed},
      ], data.falling);
      if (!data.falling.length) panel("falling").querySelector(".table-wrap").textContent = ctx.T.none;
      ignored("roi", data, ctx.T);
    },
    heatmap(chart, data, ctx) {
      const x = data.hours.map((h) => String(h).padStart(2, "0"));
      const y = data.rows.map((r) => `${r[data.row]} (${ctx.T.peak} ${String(r.peak_hour).padStart(2, "0")}:00)`);
      const cells = [];
      data.rows.forEach((r, yi) => r.values.forEach((v, xi) => cells.push([xi, yi, v])));
      C.heatmap(chart, x, y, cells, ctx);
      ignored("heatmap", data, ctx.T);
    },
    segments(chart, data, ctx) {
      C.ranked(chart, data.sizes.map((r) => ({label: ctx.T["seg_" + r.segment] || r.segment, value: r.customers})), ctx);
      const m = data.buyer_mix;
      panel("segments").querySelector(".mix").textContent = `${ctx.T.buyers_today}: ${ctx.T.buyer_new} ${m.new} · ` +
        `${ctx.T.buyer_returning} ${m.returning} · ${ctx.T.buyer_reactivated} ${m.reactivated}`;
      ignored("segments", data, ctx.T);
    },
    churn(_, data, ctx) {
      const r = data.repurchase;
      panel("churn").querySelector(".kpi-line").innerHTML = `<b>${ctx.T.repurchase_rate} ${pct(r.rate)}</b> ` +
        `(${r.repeat_customers} / ${r.customers}) · ${ctx.T.computed_at} ${WarroomFormat.dateTime(data.computed_at, ctx.tz)}`;
      C.table(panel("churn").querySelector(".table-wrap"), [
        {key: "customer_id", label: ctx.T.col_customer},
        {key: "frequency", label: ctx.T.col_frequency, align: "num"},
        {key: "p_alive", label: ctx.T.col_p_alive, align: "num", format: pct},
        {key: "churn_risk", label: ctx.T.col_churn_risk, align: "num", format: pct},
        {key: "expected_purchases", label: ctx.T.col_expected, align: "num", format: (v) => v.toFixed(2)},
      ], data.at_risk);
      ignored("churn", data, ctx.T);
    },
    promotions(_, data, ctx) {
      C.table(panel("promotions").querySelector(".table-wrap"), [
        {key: "promo_type", label: ctx.T.col_type, format: (v) => promoName(v, ctx.T)},
        {key: "orders", label: ctx.T.col_orders, align: "num"},
        {key: "gmv_paid", label: ctx.T.col_gmv, align: "num", format: (v) => F.money(v, ctx.lang)},
        {key: "aov", label: ctx.T.col_aov, align: "num", format: (v) => F.money(v, ctx.lang)},
        {key: "discount_amount", label: ctx.T.col_discount, align: "num", format: (v) => F.money(v, ctx.lang)},
        {key: "conversion", label: ctx.T.col_conversion, align: "num", format: pct},
        {key: "uplift", label: ctx.T.col_uplift, align: "num", format: signed},
        {key: "cost_per_incremental_order", label: ctx.T.col_cost_incr, align: "num", format: (v) => (v === null || v === undefined ? "–" : F.money(v, ctx.lang))},
      ], data.rows);
      ignored("promotions", data, ctx.T);
    },
  });
})();

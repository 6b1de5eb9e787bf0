// A user-made dashboard: every slot fetches its panel from /api/v1/boards/<board>/panels/<key>?<its query>,
// under the viewer's own policy, and draws it with its board's renderer (panels.js). A 403 leaves the slot
// saying "not allowed" with the server's reason; annotations of each board are drawn on its time charts.
(() => {
  const REFRESH_S = 30;  // the board pages stream; a dashboard of many boards' panels polls each
  const T = WARROOM_TEXT;
  const ctx = {lang: document.body.dataset.lang, tz: document.body.dataset.tz, T};
  const slots = [...document.querySelectorAll("[data-slot]")].map((el) => {
    const article = el.querySelector("[data-panel]");
    const target = article && article.querySelector(".chart");
    const meta = Object.assign(document.createElement("p"), {className: "slot-meta",
      textContent: `${el.dataset.boardTitle} · ${el.dataset.query || T.all_filters}`});
    const status = Object.assign(document.createElement("p"), {className: "slot-status"});
    if (article) article.querySelector("h2").after(meta, status);
    return {el, article, status, board: el.dataset.board, key: el.dataset.key, query: el.dataset.query,
      chart: target ? echarts.init(target) : null};
  });
  const annotations = {};

  const load = async (slot) => {
    if (!slot.article) return;
    const url = `/api/v1/boards/${slot.board}/panels/${slot.key}` + (slot.query ? "?" + slot.query : "");
    const response = await fetch(url, {headers: {Accept: "application/json"}});
    const body = await response.json().catch(() => ({}));
    slot.article.classList.toggle("refused", response.status === 403);
    if (response.status === 401) return location.assign("/login");
    if (!response.ok) {
      slot.status.textContent = (response.status === 403 ? T.not_allowed : T.panel_failed) +
        (body.error ? ` (${body.error})` : "");
      return;
    }
    slot.status.textContent = "";
    try {
      WarroomPanels.draw(slot.board, slot.key, slot.article, slot.chart, body.data, ctx, body);
    } catch (err) {
      console.error("panel", slot.board, slot.key, err);  // one bad panel must not blank the others
    }
    if (slot.chart && annotations[slot.board]) WarroomAnnotations.draw({[slot.key]: slot.chart}, annotations[slot.board]);
  };

  const loadAnnotations = async () => {
    for (const board of new Set(slots.map((s) => s.board))) {
      const response = await fetch(`/api/v1/boards/${board}/annotations`);
      if (response.ok) annotations[board] = (await response.json()).annotations;
    }
  };

  const status = document.getElementById("live-status");
  const refresh = async () => {
    try {
      await loadAnnotations();
      await Promise.all(slots.map(load));
      if (status) status.dataset.state = "live";  // the header's dot: the server answered this round
    } catch (err) {
      if (status) status.dataset.state = "stale";
      console.error("dashboard refresh", err);
    }
    document.body.dataset.loaded = "true";  // for tests and screenshots: every slot has answered
  };
  window.addEventListener("resize", () => slots.forEach((s) => s.chart && s.chart.resize()));
  refresh();
  setInterval(refresh, REFRESH_S * 1000);
})();

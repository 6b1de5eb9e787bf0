// Each panel the board declares (WARROOM_BOARD.panels) gets a CSV link, a "+ dashboard" link, and an SQL button for the roles
// allowed to see it (WARROOM_BOARD.sql; the server refuses everyone else with 403 anyway). Both carry the
// page's filters and range, so the file holds what the panel shows. A panel that keeps its own window
// whatever the range says so under it.
const WarroomPanelTools = {
  board: null,
  query: "",

  init(board, T) {
    this.board = board;
    for (const [key, fixed] of Object.entries(board.panels)) {
      const el = document.querySelector(`[data-panel="${key}"]`);
      if (!el) continue;
      const tools = document.createElement("div");
      tools.className = "panel-tools";
      const csv = Object.assign(document.createElement("a"), {textContent: T.csv, title: T.csv_title});
      csv.dataset.csv = key;
      csv.setAttribute("download", "");
      tools.appendChild(csv);
      // "+ dashboard": the dashboards page with this panel ticked and the page's filters and range filled in.
      const pick = Object.assign(document.createElement("a"), {textContent: T.to_dashboard, title: T.to_dashboard_title});
      pick.dataset.pick = key;
      tools.appendChild(pick);
      if (board.sql) {
        const sql = Object.assign(document.createElement("button"), {type: "button", textContent: T.sql, title: T.sql_title});
        sql.dataset.sql = key;
        sql.addEventListener("click", () => this.showSql(key, el.querySelector("h2").textContent, T));
        tools.appendChild(sql);
      }
      el.appendChild(tools);
      if (fixed) el.appendChild(Object.assign(document.createElement("p"), {className: "fixed-note", textContent: fixed}));
    }
    this.follow("");
  },

  follow(query) {
    this.query = query;
    for (const a of document.querySelectorAll("[data-csv]")) {
      a.href = `/api/v1/boards/${this.board.name}/panels/${a.dataset.csv}.csv${query}`;
    }
    for (const a of document.querySelectorAll("[data-pick]")) {
      const pick = new URLSearchParams({add: `${this.board.name}/${a.dataset.pick}`, query: query.replace(/^\?/, "")});
      a.href = `/dashboards?${pick}`;
    }
  },

  async showSql(key, title, T) {
    const dialog = document.getElementById("sql-dialog");
    const list = dialog.querySelector(".sql-list");
    const response = await fetch(`/api/v1/boards/${this.board.name}/panels/${key}/sql${this.query}`);
    const body = await response.json();
    list.replaceChildren();
    if (!response.ok) {
      list.textContent = body.error;
    } else if (!body.statements.length) {
      list.textContent = T.sql_none;
    }
    for (const st of body.statements || []) {
      const pre = document.createElement("pre");
      const params = Object.keys(st.params).length ? "\n-- " + JSON.stringify(st.params) : "";
      pre.textContent = st.sql + params;  // text, never HTML: SQL holds < and >
      list.appendChild(pre);
    }
    dialog.querySelector("h3").textContent = `${title} · ${(body.statements || []).length} ${T.sql_statements}`;
    dialog.showModal();
  },
};

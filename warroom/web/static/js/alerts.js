// The alerts page (warroom/web/routes/alerts.py): everything from one live stream, rebuilt on each snapshot.
// Cells are filled with textContent only: alert labels and summaries carry data values (SKU names...).
(() => {
  const root = document.getElementById("alerts-root");
  if (!root) return;  // a role with no team: the page says so
  const A = window.WARROOM_ALERT_TEXT;
  const tz = document.body.dataset.tz;
  const csrf = root.dataset.csrf;
  const word = (w) => (w && A[w]) || w || "";
  const hhmm = (iso) => (iso ? new Date(iso).toLocaleTimeString("zh-CN", {timeZone: tz, hour12: false}) : "");
  const stamp = (iso) => (iso ? WarroomFormat.dateTime(iso, tz) : "");

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) node.append(child);
    return node;
  };
  const row = (...cells) => el("tr", {}, ...cells.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", {text: c ?? ""}))));
  const postForm = (action, fields) => {
    const form = el("form", {class: "inline-form", method: "post", action});
    form.append(el("input", {type: "hidden", name: "csrf", value: csrf}));
    for (const [name, value] of Object.entries(fields)) form.append(el("input", {type: "hidden", name, value}));
    return form;
  };

  const ackCell = (a) => {
    // A claim names the owner ("I own it"), an ack only says someone is on it: the page tells them apart.
    if (a.acked_by) {
      const how = a.ack_kind === "claim" ? A.claimed : A.acked;
      return el("span", {class: "ack-" + (a.ack_kind || "ack"), text: `${a.acked_by} ${how}` + (a.ack_comment ? " · " + a.ack_comment : "")});
    }
    if (a.status !== "firing") return el("span");
    const form = postForm("/alerts/ack", {rule_id: a.rule_id, labels_key: a.labels_key});
    form.append(el("input", {name: "comment", placeholder: A.comment}), el("button", {type: "submit", text: A.ack}));
    return form;
  };
  const ruleCell = (a) => {
    const cell = el("div", {}, el("b", {text: a.rule_id}));
    if (a.labels_key) cell.append(el("div", {class: "labels", text: a.labels_key}));
    return cell;
  };

  // An escalated alert says when it went to the second channel: the on-call person was paged.
  const statusCell = (a) => {
    const cell = el("div", {}, el("span", {class: "st-" + a.status, text: word(a.status) + (a.muted_by ? " 🔕" : "")}));
    if (a.escalated_at) cell.append(el("div", {class: "escalated", text: `⤴ ${A.escalated_at} ${hhmm(a.escalated_at)}`}));
    return cell;
  };

  const render = (snap) => {
    if (snap.now) document.getElementById("clock").textContent = stamp(snap.now);
    const alerts = snap.alerts || [];
    const firing = alerts.filter((a) => a.status === "firing");
    const counts = {
      critical: firing.filter((a) => a.severity === "critical").length,
      warning: firing.filter((a) => a.severity !== "critical").length,
      pending: alerts.filter((a) => a.status === "pending").length,
      undelivered: (snap.deliveries || []).filter((d) => d.status === "undelivered").length,
    };
    for (const [key, n] of Object.entries(counts)) root.querySelector(`[data-count=${key}] .kpi-value`).textContent = n;

    const open = document.querySelector("#open-alerts tbody");
    open.replaceChildren(...alerts.map((a) => {
      const tr = row(
        el("span", {class: "sev " + a.severity, text: word(a.severity)}), ruleCell(a), a.team,
        statusCell(a),
        hhmm(a.fired_at || a.active_since), a.summary,
        el("span", {class: "dl-" + (a.delivery || ""), text: word(a.delivery), title: (a.delivery_errors || []).join("\n")}),
        ackCell(a));
      tr.dataset.rule = a.rule_id;
      tr.dataset.status = a.status;
      return tr;
    }));
    document.getElementById("none-open").hidden = alerts.length > 0;
    // An empty list says so: under pressure, a blank box reads as "still loading" or "broken".
    for (const key of ["history", "silences", "deliveries"]) {
      document.getElementById("none-" + key).hidden = (snap[key] || []).length > 0;
    }

    document.getElementById("history").replaceChildren(...(snap.history || []).map((h) => el("li", {},
      el("time", {text: hhmm(h.at)}),
      el("span", {class: "st-" + (h.kind === "resolved" ? "resolved" : "firing"), text: word(h.kind)}),
      el("span", {text: `[${h.team}] ${h.summary || h.rule_id}`}))));

    document.querySelector("#silences tbody").replaceChildren(...(snap.silences || []).map((s) => {
      const end = postForm(`/alerts/silences/${s.id}/end`, {});
      end.append(el("button", {type: "submit", text: A.end}));
      return row(s.rule_id || A.any_rule, (s.matchers || []).join(", "),
        stamp(s.ends_at) + (s.active ? "" : ` (${A.planned})`), s.created_by + (s.comment ? " · " + s.comment : ""), end);
    }));

    document.querySelector("#deliveries tbody").replaceChildren(...(snap.deliveries || []).map((d) => {
      const tr = row(hhmm(d.created_at), d.team, d.channel, word(d.kind), d.rule_id,
        el("span", {class: "dl-" + d.status, text: word(d.status)}), String(d.attempts), d.last_error || "");
      tr.children[6].className = "num";
      return tr;
    }));
  };
  WarroomLive.subscribe("/api/v1/alerts/live", render);
})();

// Threaded comments on a board's panels (warroom/collab, /api/v1/boards/<name>/comments): each panel's
// tools get a "评论 n" button that opens its thread under the panel. A comment may be anchored to a moment or
// a range of the time axis, and may answer another one; @ops, @finance, @tech (or @运营, @财务, @技术)
// notify that team on its alert channels (the server does that). Posting sends the page's CSRF token in
// X-CSRF-Token, as collab.py asks of a browser session. Reloaded every RELOAD_S, like the annotations.
// The button is a word, not an emoji: the CJK font the war room screens use has no emoji glyphs.
const WarroomComments = {
  RELOAD_S: 30,
  byPanel: {},

  init(name, ctx) {
    this.name = name;
    this.ctx = ctx;
    this.csrf = (document.getElementById("annotate") || {dataset: {}}).dataset.csrf;
    for (const panel of document.querySelectorAll("[data-panel]")) {
      const tools = panel.querySelector(".panel-tools");
      if (!tools) continue;
      const button = Object.assign(document.createElement("button"), {type: "button", title: ctx.T.comments_title});
      button.dataset.comments = panel.dataset.panel;
      button.addEventListener("click", () => this.toggle(panel));
      tools.appendChild(button);
    }
    this.load();
    setInterval(() => this.load(), this.RELOAD_S * 1000);
  },

  async load() {
    const response = await fetch(`/api/v1/boards/${this.name}/comments`);
    if (!response.ok) return;
    this.byPanel = {};
    for (const c of (await response.json()).comments) (this.byPanel[c.panel] = this.byPanel[c.panel] || []).push(c);
    for (const button of document.querySelectorAll("[data-comments]")) {
      const n = (this.byPanel[button.dataset.comments] || []).length;
      button.textContent = `${this.ctx.T.comments} ${n || ""}`.trim();
    }
    for (const box of document.querySelectorAll(".comments[data-open]")) this.render(box);
  },

  toggle(panel) {
    let box = panel.querySelector(".comments");
    if (!box) {
      box = this.form(panel.dataset.panel);
      panel.appendChild(box);
    }
    box.toggleAttribute("data-open");
    box.hidden = !box.hasAttribute("data-open");
    if (!box.hidden) this.render(box);
  },

  form(key) {
    const T = this.ctx.T;
    const box = Object.assign(document.createElement("div"), {className: "comments", hidden: true});
    box.dataset.panel = key;
    box.innerHTML = `<ol class="thread"></ol>
      <form><input type="hidden" name="parent_id">
        <p class="replying" hidden></p>
        <textarea name="text" rows="2" maxlength="4000" required placeholder="${T.comment_hint}"></textarea>
        <label>${T.comment_at} <input type="datetime-local" name="time_from"></label>
        <button>${T.comment_send}</button> <span class="note" data-comment-status></span>
      </form>`;
    box.querySelector("form").addEventListener("submit", (event) => { event.preventDefault(); this.send(box); });
    return box;
  },

  // Oldest first, replies under the comment they answer.
  render(box) {
    const T = this.ctx.T;
    const all = [...(this.byPanel[box.dataset.panel] || [])].sort((a, b) => a.created_at.localeCompare(b.created_at));
    const list = box.querySelector(".thread");
    list.replaceChildren();
    const item = (c, depth) => {
      const li = document.createElement("li");
      li.style.marginLeft = `${depth * 18}px`;
      const when = c.time_from ? ` · ${T.comment_about} ${WarroomFormat.dateTime(c.time_from, this.ctx.tz)}` : "";
      const head = Object.assign(document.createElement("small"), {
        textContent: `${c.author} · ${WarroomFormat.dateTime(c.created_at, this.ctx.tz)}${when}`});
      const text = Object.assign(document.createElement("p"), {textContent: c.text});  // text, never HTML
      const reply = Object.assign(document.createElement("button"), {type: "button", className: "link", textContent: T.comment_reply});
      reply.addEventListener("click", () => {
        const form = box.querySelector("form");
        form.elements.parent_id.value = c.id;
        const note = form.querySelector(".replying");
        note.hidden = false;
        note.textContent = `${T.comment_reply_to} ${c.author}`;
        form.elements.text.focus();
      });
      li.append(head, text, reply);
      list.appendChild(li);
      for (const child of all.filter((x) => x.parent_id === c.id)) item(child, depth + 1);
    };
    const ids = new Set(all.map((c) => c.id));
    for (const c of all.filter((x) => !x.parent_id || !ids.has(x.parent_id))) item(c, 0);
    if (!all.length) list.appendChild(Object.assign(document.createElement("li"), {className: "empty", textContent: T.comment_none}));
  },

  async send(box) {
    const form = box.querySelector("form");
    const status = form.querySelector("[data-comment-status]");
    const body = {panel: box.dataset.panel, text: form.elements.text.value};
    if (form.elements.time_from.value) body.time_from = WarroomAnnotations.zoned(form.elements.time_from.value, this.ctx.tz);
    if (form.elements.parent_id.value) body.parent_id = Number(form.elements.parent_id.value);
    const response = await fetch(`/api/v1/boards/${this.name}/comments`, {
      method: "POST", headers: {"Content-Type": "application/json", "X-CSRF-Token": this.csrf},
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    status.textContent = response.ok ? this.ctx.T.comment_saved : answer.error;
    if (response.ok) {
      form.reset();
      form.querySelector(".replying").hidden = true;
      await this.load();
    }
  },
};

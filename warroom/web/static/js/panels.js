// Board panel renderers, by board. Each board's js (ops.js, finance.js, tech.js) registers its renderers here;
// on its own page (WARROOM_BOARD.name) it also starts the board, while a user dashboard (user_dashboard.js)
// draws saved panels with the same functions. find(selector) looks inside the panel being drawn when a
// dashboard sets `scope` (the same panel may appear twice, and two boards share keys such as heatmap), and in
// the page otherwise.
const WarroomPanels = {
  renderers: {},
  scope: null,

  register(board, renderers, start) {
    this.renderers[board] = renderers;
    if (this.onBoardPage(board)) (start || (() => WarroomBoard.start(board, renderers)))();
  },

  onBoardPage(board) {
    return !!(window.WARROOM_BOARD && window.WARROOM_BOARD.name === board);
  },

  find(selector) {
    const scope = this.scope;
    if (!scope) return document.querySelector(selector);
    return scope.matches(selector) ? scope : scope.querySelector(selector);
  },

  // Draw one panel's data inside `element` with its board's renderer.
  draw(board, key, element, chart, data, ctx, body) {
    const renderer = (this.renderers[board] || {})[key];
    if (!renderer) throw new Error(`no renderer for ${board}/${key}`);
    this.scope = element;
    try {
      renderer(chart, data, ctx, body);
    } finally {
      this.scope = null;
    }
  },
};

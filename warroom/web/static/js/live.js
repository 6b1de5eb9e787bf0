// Live updates over server-sent events. EventSource reconnects by itself when the connection drops, and the
// server sends its latest snapshot at once on reconnect, so a page catches up without reloading. EventSource
// gives up for good when a reconnect is answered with an HTTP error (a restarting server's 502/503): then we
// open a new one ourselves, backing off to RETRY_MAX_MS. Panels keep the last good values; when nothing new
// arrives for STALE_AFTER_S the status says how stale they are, and a "warroom:freshness" event
// ({state, quietSeconds, lastMessageAt}) tells the page every second, so a board can make it louder.
const WarroomLive = {
  STALE_AFTER_S: 5,  // five missed refreshes at the default 1 s refresh (WARROOM_REFRESH_SECONDS)
  RETRY_MAX_MS: 15000,

  // Returns a handle with close(): the EventSource behind it may be replaced after a permanent failure.
  subscribe(url, onSnapshot) {
    const status = document.getElementById("live-status");
    const label = status ? status.querySelector("span") : null;
    let lastMessage = Date.now();
    let lastMessageAt = null;
    let source = null;
    let retryMs = 1000;
    let retryTimer = null;
    let closed = false;

    const setState = (state, text) => {
      if (!status) return;
      status.dataset.state = state;
      if (label && text !== undefined) label.textContent = text;
    };
    const open = () => {
      source = new EventSource(url);
      source.onopen = () => { retryMs = 1000; setState("live"); };
      source.onerror = () => {
        setState("reconnecting", WARROOM_TEXT.reconnecting);
        if (source.readyState === EventSource.CLOSED && !closed) {
          retryTimer = setTimeout(open, retryMs);
          retryMs = Math.min(retryMs * 2, this.RETRY_MAX_MS);
        }
      };
      source.onmessage = (event) => {
        lastMessage = Date.now();
        lastMessageAt = new Date(lastMessage);
        setState("live", WARROOM_TEXT.live);
        onSnapshot(JSON.parse(event.data));
      };
    };
    const ticker = setInterval(() => {
      const quiet = (Date.now() - lastMessage) / 1000;
      const stale = quiet > this.STALE_AFTER_S;
      if (stale) setState("stale", WARROOM_TEXT.stale + " · " + Math.round(quiet) + "s");
      const state = stale ? "stale" : status ? status.dataset.state : "live";
      document.dispatchEvent(new CustomEvent("warroom:freshness", {
        detail: {state, quietSeconds: quiet, stale, lastMessageAt},
      }));
    }, 1000);
    open();
    return {
      close() {
        closed = true;
        clearTimeout(retryTimer);
        clearInterval(ticker);
        if (source) source.close();
      },
    };
  },
};

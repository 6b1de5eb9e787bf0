// Live updates over server-sent events. EventSource reconnects by itself when the connection drops; the
// server sends its latest snapshot at once on reconnect. Panels keep the last good values and show how stale
// they are when nothing new arrives.
const WarroomLive = {
  subscribe(url, onSnapshot) {
    const status = document.getElementById("live-status");
    let lastMessage = Date.now();
    const source = new EventSource(url);
    source.onopen = () => { status.dataset.state = "live"; };
    source.onerror = () => { status.dataset.state = "reconnecting"; };
    source.onmessage = (event) => {
      lastMessage = Date.now();
      status.dataset.state = "live";
      onSnapshot(JSON.parse(event.data));
    };
    setInterval(() => {
      const quiet = (Date.now() - lastMessage) / 1000;
      if (quiet > 5) {
        status.dataset.state = "stale";
        status.querySelector("span").textContent = WARROOM_TEXT.stale + " · " + Math.round(quiet) + "s";
      } else {
        status.querySelector("span").textContent = WARROOM_TEXT.live;
      }
    }, 1000);
    return source;
  },
};

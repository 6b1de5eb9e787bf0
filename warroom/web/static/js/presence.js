// Who is watching this board right now (GET /api/v1/boards/<name>/presence: the signed-in viewers of its live
// stream, each once), shown in the page header and refreshed every REFRESH_S.
(() => {
  const REFRESH_S = 10;
  const box = document.getElementById("presence");
  if (!box) return;
  const T = WARROOM_TEXT;
  const show = async () => {
    const response = await fetch(`/api/v1/boards/${box.dataset.board}/presence`).catch(() => null);
    if (!response || !response.ok) return;
    const viewers = (await response.json()).viewers;
    box.textContent = viewers.length ? `${T.watching} ${viewers.length}: ` + viewers.map((v) => v.display_name).join(", ") : "";
    box.dataset.viewers = viewers.map((v) => v.username).join(",");
  };
  setTimeout(show, 1500);  // after this page's own stream has opened, so the viewer sees themselves
  setInterval(show, REFRESH_S * 1000);
})();

// The one script a city's page includes to show a Guichet widget:
//   <script src="https://GUICHET/embed.js" data-widget="booking" data-site="SITE" data-tenant="TENANT" async></script>
// It puts an iframe right after itself, in the page's language (<html lang>, French by default), and sizes it to
// the height the framed page tells (postMessage), believing only messages from the Guichet server and that frame.
// The framed pages themselves allow framing by the tenant's declared websites only (CSP frame-ancestors).
// data-widget="ticket" frames the waiting times and taking a ticket from home (the queue's /ticket-widget);
// data-widget="request" writing to the town hall (the requests' /ecrire); data-widget="faq" (or "kb") the public
// questions and answers of the knowledge base (/faq, which needs data-tenant). An unknown kind: a console warning,
// nothing shown.
(() => {
  "use strict";
  const TITLES = /*TITLES*/{}; // kind -> language -> the frame's accessible title
  const WIDGETS = /*WIDGETS*/[];
  const PATHS = { booking: "/book", ticket: "/ticket-widget", request: "/ecrire", faq: "/faq", kb: "/faq" };
  const script = document.currentScript;
  if (!script) return;
  const origin = new URL(script.src, location.href).origin;
  const kind = script.dataset.widget;
  if (!WIDGETS.includes(kind) || !PATHS[kind]) {
    console.warn(`Guichet: no widget "${kind}" (known: ${WIDGETS.join(", ")}); nothing shown.`);
    return;
  }
  const lang = (document.documentElement.lang || "fr").split("-")[0].toLowerCase();
  const url = new URL(PATHS[kind], origin);
  if (script.dataset.site) url.searchParams.set("site", script.dataset.site);
  if (script.dataset.tenant) url.searchParams.set("tenant", script.dataset.tenant);
  url.searchParams.set("embed", "1");
  url.searchParams.set("lang", lang);
  const frame = document.createElement("iframe");
  frame.src = url.href;
  frame.title = (TITLES[kind] || {})[lang] || (TITLES[kind] || {}).fr || "Guichet";
  frame.className = "guichet-widget";
  frame.style.cssText = "display:block;width:100%;border:0;height:480px;overflow:hidden";
  script.after(frame);
  window.addEventListener("message", (event) => {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    const message = event.data || {};
    if (message.guichet === "height" && Number.isFinite(message.height) && message.height > 0) {
      frame.style.height = `${Math.min(Math.ceil(message.height), 20000)}px`;
    } else if (message.guichet === "step") {
      const top = frame.getBoundingClientRect().top;
      if (top < 0 || top > window.innerHeight / 2) frame.scrollIntoView({ block: "start" });
    }
  });
})();

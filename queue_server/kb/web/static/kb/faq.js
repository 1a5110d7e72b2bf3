// The public FAQ (/faq?tenant=T): answers found while the person types (the API's public search, sent without
// credentials, so that a signed-in agent sees here what anyone sees), drawn as the page draws them; inside the
// widget, the frame tells its height to the page around it (the declared websites only: /static/frame.js).
"use strict";

(() => {
  const data = JSON.parse(document.getElementById("data").textContent);
  if (data.embed && window.Frame) window.Frame.follow(data.origins);
  const box = document.getElementById("faq-q");
  const list = document.getElementById("faq-results");
  if (!box || !list || !data.tenant) return;
  const all = document.getElementById("all");
  const S = data.strings;
  let asked = 0;
  let timer = null;

  function link(id) {
    const url = new URL(`/faq/${encodeURIComponent(id)}`, location.href);
    url.searchParams.set("tenant", data.tenant);
    url.searchParams.set("lang", data.lang);
    if (data.embed) url.searchParams.set("embed", "1");
    return url.pathname + url.search;
  }

  function item(found) {
    const li = document.createElement("li");
    const a = Object.assign(document.createElement("a"), { href: link(found.id), textContent: found.title });
    a.lang = "fr";
    a.dir = "ltr"; // the sheets are written in French, whatever the page's language
    const excerpt = document.createElement("span");
    excerpt.className = "excerpt";
    excerpt.lang = "fr";
    excerpt.dir = "ltr";
    for (const span of found.excerpt_spans) {
      excerpt.append(span.hit ? Object.assign(document.createElement("mark"), { textContent: span.text }) : span.text);
    }
    li.append(a, excerpt);
    return li;
  }

  async function search() {
    const q = box.value;
    const mine = ++asked;
    const count = document.getElementById("faq-count");
    if (!q.trim()) {
      list.replaceChildren();
      list.hidden = true;
      count.textContent = "";
      if (all) all.hidden = false;
      return;
    }
    let items;
    try {
      const answer = await fetch(`/api/v1/tenants/${encodeURIComponent(data.tenant)}/kb/search?q=${encodeURIComponent(q)}`,
                                 { credentials: "omit", cache: "no-store" });
      if (!answer.ok) throw new Error(String(answer.status));
      items = (await answer.json()).items;
    } catch {
      if (mine === asked) count.textContent = S.unreachable;
      return;
    }
    if (mine !== asked) return;
    list.replaceChildren(...items.map(item));
    list.hidden = !items.length;
    const forms = S.found;
    const found = (forms[new Intl.PluralRules(data.lang).select(items.length)] || forms.other)
      .replace("{n}", String(items.length));
    count.textContent = !items.length ? S.none : items.every((i) => i.partial) ? `${found} — ${S.partial}` : found;
    if (all) all.hidden = true;
  }

  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
})();

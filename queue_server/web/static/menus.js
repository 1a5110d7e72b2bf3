// The staff header's menus (templates/nav.html: the person's menu, the administrators' pages): disclosures, each
// a [data-menu] element holding a .menu-button (aria-expanded, aria-controls) and the list that button shows.
// A click on the button opens or closes its list (one list open at a time); Escape inside a menu closes it and
// gives the focus back to its button; a click elsewhere, or the focus going elsewhere, closes it. A list that
// would leave the screen opens from its button's other end. Plain script, loaded on every staff page.
// - Menus.open(): whether a menu is open (the agent page keeps its single-key shortcuts while none is).
"use strict";

window.Menus = (() => {
  const menus = [...document.querySelectorAll("[data-menu]")].map((root) => {
    const button = root.querySelector(".menu-button");
    return { root, button, list: document.getElementById(button.getAttribute("aria-controls")) };
  });

  function isOpen(menu) {
    return menu.button.getAttribute("aria-expanded") === "true";
  }

  function close(menu, refocus) {
    if (!isOpen(menu)) return;
    menu.button.setAttribute("aria-expanded", "false");
    menu.list.hidden = true;
    if (refocus) menu.button.focus();
  }

  function show(menu) {
    for (const other of menus) if (other !== menu) close(other, false);
    menu.button.setAttribute("aria-expanded", "true");
    menu.list.hidden = false;
    menu.list.classList.remove("from-end");
    const box = menu.list.getBoundingClientRect();
    if (box.right > document.documentElement.clientWidth || box.left < 0) menu.list.classList.add("from-end");
  }

  for (const menu of menus) {
    menu.button.addEventListener("click", () => (isOpen(menu) ? close(menu, false) : show(menu)));
    menu.root.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !isOpen(menu)) return;
      event.preventDefault();
      event.stopPropagation(); // the page's own Escape (the agent page's) is not for this one
      close(menu, true);
    });
    menu.root.addEventListener("focusout", (event) => {
      if (event.relatedTarget && !menu.root.contains(event.relatedTarget)) close(menu, false);
    });
  }

  document.addEventListener("click", (event) => {
    for (const menu of menus) if (!menu.root.contains(event.target)) close(menu, false);
  });

  return { open: () => menus.some(isOpen) };
})();

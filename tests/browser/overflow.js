// tests/browser/looks.py overflowing(): what spills out of the screen or out of its box.
([scrolls, root]) => {
  const out = [];
  const width = document.documentElement.clientWidth, height = document.documentElement.clientHeight;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
  const scope = root ? document.querySelector(root) : document.body;
  if (!scope) return ["no " + root];
  for (const el of [scope, ...scope.querySelectorAll("*")]) {
    const style = getComputedStyle(el);
    if (el.closest("[hidden], [aria-hidden=true] svg, svg, script, style, template")) continue;
    if (style.display === "none" || style.visibility === "hidden" || style.position === "fixed" && style.opacity === "0") continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (style.clip === "rect(0px, 0px, 0px, 0px)" || style.clipPath === "inset(50%)") continue;  // visually hidden
    const top = box.top + (scrolls ? window.scrollY : 0), bottom = box.bottom + (scrolls ? window.scrollY : 0);
    if (box.left < -1 || box.right > width + 1 || top < -1 || (!scrolls && bottom > height + 1)) {
      out.push(`${describe(el)} is outside the screen (${Math.round(box.left)},${Math.round(top)} ${Math.round(box.width)}×${Math.round(box.height)})`);
      continue;
    }
    // Text cut by its own box: a box that hides or scrolls what it holds, holding more than it shows.
    const clips = ["hidden", "clip"].includes(style.overflowX) || ["hidden", "clip"].includes(style.overflowY);
    if (clips && !el.matches("[data-scrolls]") && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)
        && el.textContent.trim()) {
      out.push(`${describe(el)} cuts its content (${el.scrollWidth}×${el.scrollHeight} in ${el.clientWidth}×${el.clientHeight})`);
    }
  }
  if (document.documentElement.scrollWidth > width + 1) out.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${width})`);
  return out;
}

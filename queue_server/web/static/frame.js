// Pages that /embed.js frames on a collectivity's website (booking, requests, ticket widget): they tell the page
// around their height, so that it sizes the frame, and when a new step begins, so that it scrolls back to the
// frame's top. Only the websites the collectivity declared (the page's data.origins) are told. Plain script, loaded
// before the page's own.
// - Frame.tell(message, origins): posts message to the page around, to each declared origin; nothing unframed.
// - Frame.follow(origins): tells the page's height now and each time it changes.
"use strict";

window.Frame = (() => {
  function tell(message, origins) {
    if (window.parent === window) return;
    for (const origin of origins) window.parent.postMessage(message, origin);
  }

  function follow(origins) {
    if (window.parent === window) return;
    let last = 0;
    const report = () => {
      const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height === last) return;
      last = height;
      tell({ guichet: "height", height }, origins);
    };
    new ResizeObserver(report).observe(document.documentElement);
    report();
  }

  return { tell, follow };
})();

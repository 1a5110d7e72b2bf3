// The setup pages need no script; this one only keeps each colour's picker and its text field in step
// (the server takes the text when it was changed, else the picker: setup_forms.settings).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[data-pair]")) {
    const other = document.getElementById(input.dataset.pair);
    if (!other) continue;
    input.addEventListener("input", () => {
      if (input.type === "color" || /^#[0-9a-fA-F]{6}$/.test(input.value.trim())) other.value = input.value.trim().toLowerCase();
    });
  }
});

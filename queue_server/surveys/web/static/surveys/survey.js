// The survey page with JavaScript: the form goes to POST /api/v1/surveys/{token} and the thanks show in place.
// Without it, the form is a plain POST to the page (surveys/web/citizen.py), which answers the same.
const data = JSON.parse(document.getElementById("data").textContent);
const form = document.getElementById("survey-form");
const status = document.getElementById("status");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const fields = new FormData(form);
  const score = fields.get("score");
  if (!score) {
    status.textContent = data.strings.need_score;
    form.querySelector("input[name=score]").focus();
    return;
  }
  const answers = {};
  for (const [name, value] of fields.entries()) {
    if (name.startsWith("q-") && value) answers[name.slice(2)] = String(value);
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  status.textContent = data.strings.sending;
  let answer;
  try {
    answer = await fetch(`/api/v1/surveys/${encodeURIComponent(data.token)}`, {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({score: Number(score), comment: String(fields.get("comment") || ""), answers}),
    });
  } catch {
    answer = null;
  }
  if (answer && answer.status === 201) {
    document.getElementById("survey").hidden = true;
    const thanks = document.getElementById("thanks");
    thanks.hidden = false;
    thanks.focus();
    return;
  }
  if (answer && (answer.status === 409 || answer.status === 410 || answer.status === 404)) {
    location.reload();  // the page says why, in words
    return;
  }
  button.disabled = false;
  status.textContent = data.strings.failed;
});

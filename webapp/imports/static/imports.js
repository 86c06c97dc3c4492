// Live progress for the Imports page: polls the JSON API while an import is active, updates
// its bar, and reloads once it ends so the server renders the result. Text goes in through
// textContent only.
(function () {
  "use strict";
  const list = document.getElementById("imports");
  if (!list) return;

  function active() {
    return list.querySelectorAll('.job[data-status="queued"], .job[data-status="running"]');
  }

  async function poll() {
    if (!active().length) return;
    const response = await fetch(list.dataset.api, { headers: { Accept: "application/json" } });
    if (response.ok) {
      const body = await response.json();
      for (const job of body.imports) {
        const card = list.querySelector('[data-job-id="' + job.id + '"]');
        if (!card) continue;
        if (job.ready || job.status !== card.dataset.status) { window.location.reload(); return; }
        card.querySelector("progress").value = job.progress;
        card.querySelector(".phase").textContent = job.phase + " · " + job.progress + "%";
      }
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 500);
})();

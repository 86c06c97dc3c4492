// Live figures for the admin dashboard: polls /admin/api/overview and redraws running jobs.
// Every value goes in through textContent, so nothing a user typed can run here.
(function () {
  "use strict";
  const body = document.getElementById("running");
  if (!body) return;
  const api = body.dataset.api;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => node.setAttribute(key, value));
    children.forEach((child) => node.append(child));
    return node;
  }

  function age(seconds) {
    if (seconds < 60) return Math.round(seconds) + " s";
    if (seconds < 3600) return (seconds / 60).toFixed(1) + " min";
    if (seconds < 86400) return (seconds / 3600).toFixed(1) + " h";
    return (seconds / 86400).toFixed(1) + " d";
  }

  function row(job) {
    const short = job.id.slice(0, 8);
    return el("tr", { "data-job-id": job.id },
      el("td", {}, el("a", { href: "/admin/archives/" + job.id }, short)),
      el("td", {}, job.email), el("td", {}, job.worker || ""), el("td", {}, String(job.attempt)),
      el("td", {},
        el("progress", { max: "100", value: String(job.progress), "aria-label": "Progress of job " + short },
          job.progress + "%"),
        " ", el("span", { class: "phase" }, job.phase + " · " + job.progress + "%")));
  }

  function render(data) {
    body.replaceChildren(...(data.running.length ? data.running.map(row)
      : [el("tr", { class: "empty" }, el("td", { colspan: "5" }, "Nothing is running."))]));
    document.getElementById("running-count").textContent = String(data.statuses.running);
    document.getElementById("oldest-queued").textContent =
      data.statuses.queued ? age(data.oldest_queued_seconds) : "none waiting";
    Object.entries(data.queues).forEach(([queue, depth]) => {
      const cell = document.querySelector('[data-queue="' + CSS.escape(queue) + '"]');
      if (cell) cell.textContent = String(depth);
    });
  }

  async function poll() {
    let delay = 2000;
    try {
      const response = await fetch(api, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) render(await response.json());
      else delay = 10000;
    } catch (err) {
      delay = 10000;  // offline or server restarting: keep trying, gently
    }
    setTimeout(poll, delay);
  }

  setTimeout(poll, 2000);
})();

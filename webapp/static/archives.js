// Live progress for the Archives page: polls the JSON API and redraws the jobs.
// Every value goes in through textContent, so nothing a user typed can run here.
(function () {
  "use strict";
  const list = document.getElementById("archives");
  if (!list) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const api = list.dataset.api;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => node.setAttribute(key, value));
    children.forEach((child) => node.append(child));
    return node;
  }

  function size(n) {
    if (n == null) return "";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return (i ? n.toFixed(1) : String(n)) + " " + units[i];
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleString() : "";
  }

  function postButton(action, label) {
    const form = el("form", { method: "post", action: action, class: "inline" },
      el("input", { type: "hidden", name: "csrf_token", value: csrf }), el("button", {}, label));
    return form;
  }

  function card(job) {
    const node = el("article", { class: "job", "data-job-id": job.id, "data-status": job.status },
      el("h3", {}, "Requested " + when(job.requested_at) + " — ",
        el("span", { class: "status-" + job.status }, job.status)));
    if (!job.ready) {
      node.append(el("progress", { max: "100", value: String(job.progress) }, job.progress + "%"));
      node.append(el("p", { class: "phase" },
        job.phase + " · " + job.items_done + " / " + job.items_total + " items · " + job.progress + "%"));
      node.append(postButton("/archives/" + job.id + "/cancel", "Cancel"));
      return node;
    }
    if (job.download_url) {
      node.append(el("p", {}, el("a", { class: "download", href: job.download_url }, "Download"),
        " · " + size(job.size) + " · available until " + when(job.expires_at)));
      node.append(el("p", { class: "sha" }, "SHA-256 " + job.sha256));
    }
    if (job.error) node.append(el("p", { class: "error" }, job.error));
    node.append(postButton("/archives/" + job.id + "/delete", "Delete"));
    return node;
  }

  function render(jobs) {
    list.replaceChildren(...(jobs.length ? jobs.map(card) : [el("p", { class: "empty" }, "No archives yet.")]));
  }

  async function poll() {
    let delay = 1000;
    try {
      const response = await fetch(api, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const data = await response.json();
        render(data.archives);
        if (data.archives.every((job) => job.ready)) return;
      } else {
        delay = 5000;
      }
    } catch (err) {
      delay = 5000;  // offline or server restarting: keep trying, gently
    }
    setTimeout(poll, delay);
  }

  if (list.querySelector('[data-status="queued"], [data-status="running"]')) poll();
})();

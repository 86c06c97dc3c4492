// Live progress for the Archives page. The server renders every word (one date format, one
// size format); this script fetches the live fragment and updates what changed in place, so
// keyboard focus stays put and each change of state is announced once, politely.
(function () {
  "use strict";
  const root = document.getElementById("archives");
  if (!root) return;
  const announcer = document.getElementById("archive-announcer");
  const ACTIVE = '[data-status="queued"], [data-status="running"]';
  let timer = null;

  // After the password, the download the user asked for starts by itself.
  const pending = document.getElementById("start-download");
  if (pending) window.location.assign(pending.href);

  function keyed(scope) {
    const map = new Map();
    scope.querySelectorAll("[data-live-key]").forEach((node) => map.set(node.dataset.liveKey, node));
    return map;
  }

  // Copy changing text and the bar's value into the element the user may be focused in.
  function updateInPlace(current, fresh) {
    fresh.querySelectorAll("[data-live-text]").forEach((source) => {
      const target = current.querySelector('[data-live-text="' + source.dataset.liveText + '"]');
      if (target && target.textContent !== source.textContent) target.textContent = source.textContent;
    });
    const bar = current.querySelector("progress");
    const next = fresh.querySelector("progress");
    if (bar && next && bar.value !== next.value) {
      bar.value = next.value;
      bar.textContent = next.textContent;
    }
  }

  // A card whose state changed is rebuilt; focus moves to its counterpart, or to its heading.
  function replace(current, source) {
    const fresh = document.importNode(source, true); // a copy: the fetched list stays whole
    const focused = current.contains(document.activeElement) ? document.activeElement : null;
    current.replaceWith(fresh);
    if (!focused) return;
    const key = focused.dataset.focusKey;
    const same = key && fresh.querySelector('[data-focus-key="' + key + '"]');
    const target = same || fresh.querySelector("button:not([disabled]), a[href], summary") || fresh;
    if (target === fresh) fresh.setAttribute("tabindex", "-1");
    target.focus();
  }

  function announce(text) {
    if (!announcer || !text) return;
    announcer.textContent = text;
  }

  function apply(freshRoot) {
    const now = keyed(root);
    const fresh = keyed(freshRoot);
    let changed = false;
    fresh.forEach((node, key) => {
      const current = now.get(key);
      if (current && current.dataset.state === node.dataset.state) {
        updateInPlace(current, node);
        return;
      }
      changed = true;
      if (node.dataset.announce) announce(node.dataset.announce);
      if (current) replace(current, node);
    });
    // New cards (requested elsewhere) and vanished ones change the list's shape: redraw it,
    // keeping the focused element when it still exists.
    const list = root.querySelector("#job-list");
    const freshList = freshRoot.querySelector("#job-list");
    const order = (scope) => Array.from(scope.children, (n) => n.dataset.liveKey).join(" ");
    if (list && freshList && order(list) !== order(freshList)) {
      changed = true;
      const live = keyed(list);
      list.replaceChildren(...Array.from(freshList.children,
        (n) => live.get(n.dataset.liveKey) || document.importNode(n, true)));
    }
    // The flash described the moment of the last click; once the state moves on it would mislead.
    if (changed) document.querySelectorAll(".flash").forEach((flash) => flash.remove());
  }

  function schedule(seconds) {
    clearTimeout(timer);
    timer = setTimeout(poll, seconds * 1000);
  }

  function next() {
    if (root.querySelector(ACTIVE)) return schedule(1);
    const panel = root.querySelector("[data-refresh-in]");
    // When the cooldown ends, show the Request button enabled without a reload.
    if (panel) schedule(Number(panel.dataset.refreshIn) + 1);
  }

  async function poll() {
    try {
      const response = await fetch(root.dataset.live, {
        headers: { Accept: "text/html" }, credentials: "same-origin", redirect: "manual",
      });
      if (response.status !== 200) return schedule(5);
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      apply(doc.body);
    } catch (err) {
      return schedule(5); // offline or server restarting: keep trying, gently
    }
    next();
  }

  next();
})();

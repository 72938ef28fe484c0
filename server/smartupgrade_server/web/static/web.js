// The switch's web pages, kept up to date without reloading: the page polls /api/state and
// swaps in the fragments the server rendered; the action forms post with the CSRF token and
// show the switch's answer. Without this script the pages and forms still work, a reload
// at a time.
"use strict";

(() => {
  const POLL_INTERVAL_MS = 500;
  const token = document.querySelector('meta[name="csrf-token"]');
  const message = document.getElementById("message");
  if (token === null || message === null) {
    return; // the login page
  }

  function show(text, kind) {
    message.textContent = text;
    message.className = kind;
  }

  let offline = false;

  async function poll() {
    try {
      const response = await fetch("/api/state", {
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
      if (response.status === 401) {
        window.location.assign("/login");
        return;
      }
      const state = await response.json();
      for (const [id, html] of Object.entries(state.fragments)) {
        const element = document.getElementById(id);
        // unchanged parts stay as they are, so a button is never swapped under the pointer
        if (element !== null && element.innerHTML !== html) {
          element.innerHTML = html;
        }
      }
      if (offline) {
        offline = false;
        show("", "");
      }
    } catch {
      // the switch reboots (upgrade now) or the network is gone: keep asking
      offline = true;
      show("The switch does not answer; it may be restarting.", "error");
    }
    window.setTimeout(poll, POLL_INTERVAL_MS);
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-action")) {
      return;
    }
    event.preventDefault();
    const question = form.getAttribute("data-confirm");
    if (question !== null && !window.confirm(question)) {
      return;
    }
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRF-Token": token.content },
        body: new FormData(form),
      });
      const answer = await response.json();
      show(answer.message, response.ok ? "info" : "error");
    } catch {
      show("The switch does not answer.", "error");
    }
  });

  poll();
})();

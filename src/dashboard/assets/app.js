// Shared by every dashboard page: calls to the JSON API with the session's CSRF token, action
// buttons, flash messages and live execution events.

const Switchboard = (() => {
  const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

  /** Calls the JSON API; resolves with the parsed body, rejects with the API's error message. */
  async function api(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: {
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(method === "GET" ? {} : { "x-csrf-token": csrfToken() }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (response.status === 401) {
      window.location.assign(
        `/dashboard/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`,
      );
    }
    if (!response.ok) {
      const details = (parsed?.error?.details ?? [])
        .map((d) => `${d.path}: ${d.message}`)
        .join("; ");
      const message = parsed?.error?.message ?? `${response.status} ${response.statusText}`;
      throw new Error(details ? `${message} (${details})` : message);
    }
    return parsed;
  }

  function flash(message, kind = "info") {
    const box = document.getElementById("flash");
    if (!box) return;
    box.className = `flash ${kind}`;
    box.textContent = message;
  }

  /** Buttons with data-api-post="/api/…" (optional data-body JSON, data-confirm, data-done). */
  function bindActionButtons(root = document) {
    for (const button of root.querySelectorAll("button[data-api-post]")) {
      if (button.dataset.bound) continue;
      button.dataset.bound = "1";
      button.addEventListener("click", async () => {
        if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
        button.disabled = true;
        try {
          const body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
          const result = await api("POST", button.dataset.apiPost, body);
          flash(button.dataset.done ?? "Done.", "ok");
          button.dispatchEvent(
            new CustomEvent("switchboard:done", { bubbles: true, detail: result }),
          );
          if (button.dataset.reload !== undefined) window.location.reload();
        } catch (error) {
          flash(error.message, "error");
        } finally {
          button.disabled = false;
        }
      });
    }
  }

  /** Opens /api/events with `query` ({ task, execution }) and calls onEvent(kind, data). */
  function live(query, onEvent) {
    const params = new URLSearchParams(Object.entries(query ?? {}).filter(([, v]) => v));
    const source = new EventSource(`/api/events${params.size ? `?${params}` : ""}`);
    for (const kind of ["enqueued", "started", "progress", "succeeded", "failed", "cancelled"]) {
      source.addEventListener(kind, (event) => onEvent(kind, JSON.parse(event.data)));
    }
    return source;
  }

  document.addEventListener("DOMContentLoaded", () => bindActionButtons());
  return { api, flash, live, bindActionButtons, csrfToken };
})();
window.Switchboard = Switchboard;

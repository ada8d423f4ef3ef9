// pmdi pages: live document status from the organisation's event stream, uploads with per-file progress,
// and toasts. Loaded as a file (the CSP forbids inline script); every text from the server goes through
// textContent, never innerHTML.
(() => {
  "use strict";

  const body = document.body;
  const org = body.dataset.org;
  const csrf = (() => {
    try {
      return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (error) {
      return "";
    }
  })();
  const known = new Map(); // document id → {status, progress, reason}
  const DONE = new Set(["indexed", "analyzed"]);
  const FINAL = new Set(["indexed", "failed", "cancelled"]);
  const UPLOAD_SHARE = 20; // of the bar: bytes sent; the rest follows the processing stages

  function toast(message) {
    const area = document.getElementById("toasts");
    if (!area) return;
    const item = document.createElement("div");
    item.className = "toast toast-error";
    item.setAttribute("role", "alert");
    item.textContent = message;
    area.appendChild(item);
    dismissLater(item);
  }

  function dismissLater(item) {
    item.addEventListener("click", () => item.remove());
    setTimeout(() => item.remove(), 8000);
  }

  function apply(id) {
    const state = known.get(id);
    if (!state || !state.status) return;
    for (const el of document.querySelectorAll(`[data-status-for="${CSS.escape(id)}"]`)) {
      el.textContent = state.status;
      el.dataset.status = state.status;
      el.className = `status status-${state.status}`;
      if (state.status === "indexed" && el.hasAttribute("data-reload-when-done")) location.reload();
    }
    for (const el of document.querySelectorAll(`[data-reason-for="${CSS.escape(id)}"]`)) {
      el.textContent = state.reason || "";
    }
    for (const bar of document.querySelectorAll(`progress[data-progress-for="${CSS.escape(id)}"]`)) {
      const processing = FINAL.has(state.status) ? 100 : state.progress || 0;
      bar.value = UPLOAD_SHARE + ((100 - UPLOAD_SHARE) * processing) / 100;
    }
  }

  function remember(id, change) {
    known.set(id, Object.assign(known.get(id) || {}, change));
    apply(id);
  }

  let refreshTimer = null;
  function refreshTable(id) {
    const table = document.getElementById("doc-table");
    if (!table || !window.htmx || table.querySelector(`[data-document-id="${CSS.escape(id)}"]`)) return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      window.htmx.ajax("GET", location.href, { target: "#doc-table", select: "#doc-table", swap: "outerHTML" });
    }, 300);
  }

  function onEvent(type, event) {
    const data = event.data || {};
    const id = data.document_id;
    if (!id) return;
    if (type === "job.progress") remember(id, { progress: data.progress });
    else if (type === "document.failed") remember(id, { status: "failed", reason: data.reason });
    else if (data.status) remember(id, { status: data.status });
    if (type === "document.processed" || type === "document.failed") refreshTable(id);
  }

  function listen() {
    if (!org || !window.EventSource) return;
    const last = body.dataset.lastEvent;
    let url = `/api/v1/events?org_id=${encodeURIComponent(org)}`;
    if (last) url += `&last_event_id=${encodeURIComponent(last)}`;
    const source = new EventSource(url);
    const types = ["document.status", "document.processed", "document.failed", "job.progress"];
    for (const type of types) {
      source.addEventListener(type, (message) => onEvent(type, JSON.parse(message.data)));
    }
  }

  function row(file) {
    const item = document.createElement("li");
    item.className = "upload-row";
    const name = document.createElement("a");
    name.className = "upload-name";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", `Progress of ${file.name}`);
    const state = document.createElement("span");
    state.className = "status";
    state.textContent = "waiting";
    const reason = document.createElement("span");
    reason.className = "error small";
    item.append(name, bar, state, reason);
    return { item, name, bar, state, reason };
  }

  function uploaded(parts, body) {
    const entry = body.items[0];
    const id = entry.document.id;
    parts.name.href = `/documents/${id}`;
    parts.bar.dataset.progressFor = id;
    parts.state.dataset.statusFor = id;
    parts.reason.dataset.reasonFor = id;
    parts.item.dataset.documentId = id;
    if (entry.duplicate) {
      parts.reason.textContent = "already in this project";
      parts.reason.className = "muted small";
    }
    remember(id, Object.assign({ status: entry.document.status }, known.get(id) || {}));
  }

  function failed(parts, message) {
    parts.state.textContent = "refused";
    parts.state.className = "status status-failed";
    parts.reason.textContent = message;
    parts.bar.value = 0;
  }

  function send(target, file, parts) {
    return new Promise((resolve) => {
      const form = new FormData();
      form.append("files", file, file.name);
      const request = new XMLHttpRequest();
      request.open("POST", target);
      request.setRequestHeader("X-CSRF-Token", csrf);
      request.setRequestHeader("X-Org-Id", org);
      request.setRequestHeader("Accept", "application/json");
      parts.state.textContent = "uploading";
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) parts.bar.value = (UPLOAD_SHARE * event.loaded) / event.total;
      });
      request.addEventListener("load", () => {
        let answer = null;
        try {
          answer = JSON.parse(request.responseText);
        } catch (error) {
          answer = null;
        }
        if (request.status < 300 && answer && answer.items && answer.items.length) uploaded(parts, answer);
        else failed(parts, (answer && answer.detail) || `The upload failed (HTTP ${request.status}).`);
        resolve();
      });
      request.addEventListener("error", () => {
        failed(parts, "The connection was lost during the upload.");
        resolve();
      });
      request.send(form);
    });
  }

  function uploader(zone) {
    const list = zone.querySelector("[data-upload-list]");
    const input = zone.querySelector("[data-upload-input]");
    const drop = zone.querySelector("[data-dropzone]");
    const waiting = [];
    let running = 0;
    const next = () => {
      while (running < 3 && waiting.length) {
        const [file, parts] = waiting.shift();
        running += 1;
        send(zone.dataset.upload, file, parts).then(() => {
          running -= 1;
          next();
        });
      }
    };
    const add = (files) => {
      for (const file of files) {
        const parts = row(file);
        list.appendChild(parts.item);
        waiting.push([file, parts]);
      }
      next();
    };
    input.addEventListener("change", () => {
      add(Array.from(input.files));
      input.value = "";
    });
    drop.addEventListener("dragover", (event) => {
      event.preventDefault();
      drop.classList.add("dragging");
    });
    drop.addEventListener("dragleave", () => drop.classList.remove("dragging"));
    drop.addEventListener("drop", (event) => {
      event.preventDefault();
      drop.classList.remove("dragging");
      add(Array.from(event.dataTransfer.files));
    });
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]")) target.form.requestSubmit();
  });
  body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id === "toasts") {
      for (const item of event.detail.target.querySelectorAll(".toast:not([data-seen])")) {
        item.dataset.seen = "1";
        dismissLater(item);
      }
    }
  });
  body.addEventListener("htmx:sendError", () => toast("The server could not be reached; try again."));

  for (const zone of document.querySelectorAll("[data-upload]")) uploader(zone);
  if (document.querySelector("[data-status-for], [data-upload]")) listen();
})();

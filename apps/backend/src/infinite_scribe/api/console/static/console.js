/* The console's own script (no inline scripts under the CSP): the draft renderer for the
   session stream and the Alpine component behind two-step bulk actions. */
(function () {
  "use strict";

  /* `draft` events carry what a model has written so far for one task. Whether a message
     holds the whole text so far or only the new part, the block ends up with the full text:
     a text that extends the shown one replaces it, anything else is appended. Rendered with
     textContent only (model output is never HTML). */
  function renderDraft(container, raw) {
    var data;
    try { data = JSON.parse(raw); } catch (error) { data = { text: String(raw) }; }
    var task = String(data.task_id || data.taskId || "draft");
    var text = typeof data.text === "string" ? data.text
      : typeof data.delta === "string" ? data.delta : JSON.stringify(data);
    var empty = container.querySelector("[data-drafts-empty]");
    if (empty) { empty.remove(); }
    var block = null;
    container.querySelectorAll("[data-draft]").forEach(function (el) {
      if (el.getAttribute("data-task") === task) { block = el; }
    });
    if (!block) {
      block = document.createElement("article");
      block.className = "draft";
      block.setAttribute("data-draft", "");
      block.setAttribute("data-task", task);
      var title = document.createElement("small");
      title.className = "muted";
      title.textContent = "task " + task.slice(0, 8);
      var body = document.createElement("pre");
      block.appendChild(title);
      block.appendChild(body);
      container.appendChild(block);
    }
    var pre = block.querySelector("pre");
    var shown = pre.textContent;
    pre.textContent = text.indexOf(shown) === 0 ? text : shown + text;
    if (data.sequence !== undefined) { block.setAttribute("data-sequence", String(data.sequence)); }
  }

  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var target = event.target;
    if (target && target.hasAttribute && target.hasAttribute("data-drafts")) {
      event.preventDefault(); /* never swap stream data in as HTML */
      renderDraft(target, event.detail.data);
    }
  });

  document.addEventListener("alpine:init", function () {
    window.Alpine.data("confirmable", function () {
      return {
        asking: false,
        get idle() { return !this.asking; },
        ask: function () { this.asking = true; },
        cancel: function () { this.asking = false; }
      };
    });
  });
})();

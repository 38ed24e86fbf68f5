// Poll a background task's status and move the progress bar; reload the page when it finishes
// (the page then shows the result). The task's URL comes from the page (data-task-url).
(function () {
  "use strict";
  var box = document.getElementById("task");
  if (!box) { return; }
  var url = box.getAttribute("data-task-url");
  var bar = document.getElementById("task-progress");
  var percent = document.getElementById("task-percent");
  var status = document.getElementById("task-status");
  var message = document.getElementById("task-message");
  var finished = { done: true, failed: true };
  if (finished[box.getAttribute("data-status")]) { return; }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (task) {
        if (!task) { window.setTimeout(poll, 3000); return; }
        var p = Math.round(task.progress * 100);
        bar.value = p; bar.textContent = p + "%"; percent.textContent = p + "%";
        status.textContent = box.getAttribute("data-label-" + task.status) || task.status;
        message.textContent = task.message || "";
        if (finished[task.status]) { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}());

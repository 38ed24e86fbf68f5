// Live readings on a job page: server-sent events from the job's readings stream (one event per reading the
// bench stores); each adds a row to the table. The stream's URL and the last reading already shown come from
// the page (data-stream, data-after); EventSource reconnects by itself with the last event id.
(function () {
  "use strict";
  var box = document.getElementById("live-readings");
  if (!box || !window.EventSource) { return; }
  var body = box.querySelector("tbody");
  var url = box.getAttribute("data-stream") + "?after=" + encodeURIComponent(box.getAttribute("data-after") || "0");
  var source = new EventSource(url);
  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
  }
  source.addEventListener("reading", function (event) {
    var r = JSON.parse(event.data);
    var row = document.createElement("tr");
    row.setAttribute("data-reading", event.lastEventId);
    cell(row, String(r.session));
    cell(row, String(r.sequence));
    cell(row, r.test_point || "\u2014");
    cell(row, String(r.value) + " " + r.unit);
    cell(row, box.getAttribute(r.stable ? "data-label-stable" : "data-label-unstable"));
    body.insertBefore(row, body.firstChild);
  });
}());

// Live readings on a job page: server-sent events from the job's readings stream (one event per reading the
// bench stores); each adds a row to the table. The stream's URL and the last reading already shown come from
// the page (data-stream, data-after); EventSource reconnects by itself with the last event id. When the page
// offers it (<template id="pick-template">), each new row gets the same one-click "Use" form as the stored ones:
// the reading's session and sequence number go with it, and its test point is preselected when it has one.
(function () {
  "use strict";
  var box = document.getElementById("live-readings");
  if (!box || !window.EventSource) { return; }
  var body = box.querySelector("tbody");
  var url = box.getAttribute("data-stream") + "?after=" + encodeURIComponent(box.getAttribute("data-after") || "0");
  var template = document.getElementById("pick-template");
  var source = new EventSource(url);
  function pick(row, id, r) {
    var form = template.content.firstElementChild.cloneNode(true);
    form.querySelector("input[name='pick-session_id']").value = String(r.session);
    form.querySelector("input[name='pick-sequence']").value = String(r.sequence);
    var select = form.querySelector("select");
    var label = form.querySelector("label");
    select.id = "pick-point-" + id;
    label.setAttribute("for", select.id);
    form.querySelector("button").id = "pick-" + id;
    for (var i = 0; i < select.options.length; i += 1) {
      if (r.test_point && select.options[i].value === r.test_point) { select.selectedIndex = i; }
    }
    var td = document.createElement("td");
    td.appendChild(form);
    row.appendChild(td);
  }
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
    if (template) { pick(row, event.lastEventId, r); }
    body.insertBefore(row, body.firstChild);
  });
}());

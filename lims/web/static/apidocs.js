// Starts Swagger UI on /api/v1/docs (a file, not an inline script: the Content-Security-Policy allows only 'self').
(function () {
  var ui = document.getElementById("ui");
  SwaggerUIBundle({url: ui.getAttribute("data-spec-url"), dom_id: "#ui"});
})();

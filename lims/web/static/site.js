/* Behaviour of the pages (no inline scripts: the Content-Security-Policy allows only files from this site). */
(function () {
  "use strict";
  // "Select all on this page" boxes: <input type=checkbox data-select-all="name-of-the-boxes">
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[type=checkbox][name='" + all.dataset.selectAll + "']").forEach(function (box) {
        box.checked = all.checked;
      });
    });
  });
  // Proof of work of the public problem report: find a nonce whose SHA-256(challenge + ":" + nonce)
  // starts with `bits` zero bits, then allow the form to be sent.
  var form = document.getElementById("report-form");
  if (form && window.crypto && window.crypto.subtle) {
    var challenge = form.dataset.challenge, bits = parseInt(form.dataset.bits, 10);
    var nonceField = form.querySelector("input[name=pow_nonce]");
    var button = form.querySelector("button[type=submit]");
    var status = document.getElementById("pow-status");
    var enc = new TextEncoder();
    var ok = function (buf) {
      var bytes = new Uint8Array(buf), left = bits, i = 0;
      while (left >= 8) { if (bytes[i++] !== 0) return false; left -= 8; }
      return left === 0 || (bytes[i] >> (8 - left)) === 0;
    };
    var search = function (start) {
      var tries = [], n;
      for (n = start; n < start + 500; n++) {
        tries.push(crypto.subtle.digest("SHA-256", enc.encode(challenge + ":" + n)));
      }
      Promise.all(tries).then(function (hashes) {
        for (var k = 0; k < hashes.length; k++) {
          if (ok(hashes[k])) {
            nonceField.value = String(start + k);
            button.disabled = false;
            if (status) { status.textContent = status.dataset.done; }
            return;
          }
        }
        search(start + 500);
      });
    };
    button.disabled = true;
    search(0);
  }
})();
(function () {
  "use strict";
  // Card lists on phones: a cell without its own data-label takes its column's heading.
  document.querySelectorAll("table.cards").forEach(function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      Array.prototype.forEach.call(tr.children, function (td, i) {
        if (!td.hasAttribute("data-label") && heads[i] && !td.hasAttribute("colspan")) {
          td.setAttribute("data-label", heads[i]);
        }
      });
    });
  });
})();

// Sorting and filtering of the table of hosts that need action, expand/collapse, and opening
// every host for printing. The page reads the same without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var table = document.getElementById("actions");
  if (table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var filters = document.querySelector(".filters");
    var shown = filters.querySelector(".shown");
    var controls = filters.querySelectorAll("[data-col]");
    var apply = function () {
      var n = 0;
      rows.forEach(function (row) {
        var ok = Array.prototype.every.call(controls, function (c) {
          var want = c.value.trim().toLowerCase();
          var cell = row.cells[Number(c.getAttribute("data-col"))].textContent.toLowerCase();
          return want === "" || (c.tagName === "SELECT" ? cell.trim() === want : cell.indexOf(want) !== -1);
        });
        row.hidden = !ok;
        if (ok) { n++; }
      });
      shown.textContent = n + " of " + rows.length + " shown";
    };
    Array.prototype.forEach.call(controls, function (c) { c.addEventListener("input", apply); });
    filters.hidden = false;
    apply();
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var up = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { o.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        rows.sort(function (a, b) {
          var x = a.cells[col].textContent, y = b.cells[col].textContent;
          return (up ? 1 : -1) * x.localeCompare(y, undefined, { numeric: true });
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }
  var hosts = function () { return document.querySelectorAll("details.host"); };
  var tools = document.querySelector(".tools");
  if (tools) {
    tools.hidden = false;
    Array.prototype.forEach.call(tools.querySelectorAll("button"), function (b) {
      b.addEventListener("click", function () {
        var open = b.getAttribute("data-open") === "1";
        Array.prototype.forEach.call(hosts(), function (d) { d.open = open; });
      });
    });
  }
  var closed = [];
  window.addEventListener("beforeprint", function () {
    closed = Array.prototype.filter.call(hosts(), function (d) { return !d.open; });
    closed.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () { closed.forEach(function (d) { d.open = false; }); });
  // A link to a host opens it.
  var reveal = function () {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.tagName === "DETAILS") { target.open = true; }
  };
  window.addEventListener("hashchange", reveal);
  reveal();
})();

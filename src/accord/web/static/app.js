// accord web app: charts from server JSON, run progress, live validation in the editor.
// No inline scripts: the Content-Security-Policy only allows files served from this origin.
(function () {
  "use strict";

  var SVG_ICON = { width: 1000, height: 1000, path: "M500 50 L950 500 L650 500 L650 950 L350 950 L350 500 L50 500 Z" };

  function plotConfig(name) {
    return {
      responsive: true,
      displaylogo: false,
      toImageButtonOptions: { format: "png", filename: name, scale: 2 },
      modeBarButtonsToAdd: [{
        name: "Download plot as SVG",
        icon: SVG_ICON,
        click: function (gd) { window.Plotly.downloadImage(gd, { format: "svg", filename: name }); }
      }]
    };
  }

  function draw(el, fig) {
    if (!el || !fig || !window.Plotly) { return; }
    window.Plotly.newPlot(el, fig.data, fig.layout, plotConfig(fig.id)).then(function () {
      el.setAttribute("data-rendered", fig.id);
    });
  }

  function charts() {
    var node = document.getElementById("charts-data");
    if (!node) { return; }
    var all = JSON.parse(node.textContent);
    draw(document.getElementById("chart-forecast"), all.forecast);
    draw(document.getElementById("chart-distribution"), all.distribution);
    draw(document.getElementById("chart-process"), all.process);
    switcher("positions-select", "chart-positions", all.positions);
    switcher("tornado-select", "chart-tornado", all.tornado);
  }

  // One chart at a time from a list, chosen with a <select>.
  function switcher(selectId, targetId, figs) {
    var select = document.getElementById(selectId);
    var target = document.getElementById(targetId);
    if (!select || !target) { return; }
    var byId = {};
    (figs || []).forEach(function (fig) { byId[fig.id] = fig; });
    var show = function () {
      window.Plotly.purge(target);
      target.removeAttribute("data-rendered");
      draw(target, byId[select.value]);
    };
    select.addEventListener("change", show);
    show();
  }

  function progress() {
    var panel = document.getElementById("progress-panel");
    if (!panel) { return; }
    var id = panel.getAttribute("data-run");
    var bar = document.getElementById("run-progress");
    var status = document.getElementById("run-status");
    var message = document.getElementById("run-message");
    function poll() {
      fetch("/api/runs/" + id + "?results=false", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (run) {
          bar.value = run.progress;
          status.textContent = run.status;
          status.className = "status " + run.status;
          message.textContent = run.message;
          if (run.status === "done") { window.location.reload(); }
          else if (run.status !== "failed") { window.setTimeout(poll, 500); }
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    }
    if (panel.getAttribute("data-status") !== "failed") { poll(); }
  }

  function editor() {
    var form = document.getElementById("editor");
    if (!form) { return; }
    var box = document.getElementById("problems");
    var details = document.getElementById("stance-details");
    var unsaved = document.getElementById("unsaved");
    var timer = null;
    // Unsaved edits: say so beside the save button, and ask before leaving the page.
    var dirty = form.getAttribute("data-unsaved") === "1";  // a draft sent back unsaved (problems, rows added)
    form.addEventListener("input", function () {
      dirty = true;
      if (unsaved) { unsaved.classList.remove("hidden"); }
    });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (!dirty) { return; }
      event.preventDefault();
      event.returnValue = "";  // the browser shows its own "leave the page?" question
    });
    // A stance's range lives in the collapsed details: open them when it is pointed at.
    function openDetails() { if (details) { details.open = true; } }
    form.querySelectorAll("a.range").forEach(function (link) { link.addEventListener("click", openDetails); });
    form.querySelectorAll("input[type=color]").forEach(function (input) {
      input.addEventListener("input", function () {
        var flag = form.querySelector("input[name='" + input.getAttribute("data-set") + "']");
        if (flag) { flag.value = "1"; }
      });
    });
    function show(result) {
      form.querySelectorAll(".field-error").forEach(function (span) {
        var name = span.getAttribute("data-for");
        var msg = result.fields[name] || "";
        span.textContent = msg;
        var input = form.querySelector("[name='" + name + "']");
        if (input) { input.classList.toggle("invalid", !!msg); }
      });
      var list = box.querySelector("ul");
      list.textContent = "";
      result.problems.forEach(function (p) {
        var li = document.createElement("li");
        li.textContent = p;  // text, never HTML
        list.appendChild(li);
      });
      box.classList.toggle("hidden", result.problems.length === 0);
      if (Object.keys(result.fields).some(function (name) { return /_(low|high)$/.test(name); })) { openDetails(); }
    }
    function check() {
      var data = new FormData(form);
      fetch(form.getAttribute("data-check"), { method: "POST", body: data, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (result) { if (result) { show(result); } })
        .catch(function () {});
    }
    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(check, 500);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    charts();
    progress();
    editor();
  });
})();

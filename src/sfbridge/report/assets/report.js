/* sfbridge report.html: turn each check's embedded rows into a sortable, filterable, paged table.
 * Record values are only ever written with textContent or Tabulator's escaping formatters,
 * and links are only made from https:// URLs the report built and checked. */
(function () {
  "use strict";
  var FIELDS = JSON.parse(document.getElementById("row-fields").textContent);
  var RANK = { high: 3, medium: 2, low: 1, info: 0 };

  function link(url, label) {
    var node;
    if (typeof url === "string" && url.indexOf("https://") === 0) {
      node = document.createElement("a");
      node.href = url;
      node.target = "_blank";
      node.rel = "noopener noreferrer";
    } else {
      node = document.createElement("span");
    }
    node.textContent = label;
    return node;
  }

  /* The person, linked to their record's Lightning page, with the object and Id under the name. */
  function nameCell(cell) {
    var row = cell.getRow().getData();
    var box = document.createElement("span");
    box.appendChild(link(row.url, row.name || row.id));
    box.appendChild(document.createElement("br"));
    box.appendChild(span("muted rid", row.name ? row.sobject + " " + row.id : row.sobject));
    return box;
  }

  function severityCell(cell) {
    var node = document.createElement("span");
    node.className = "sev sev-" + String(cell.getValue()).replace(/[^a-z]/g, "");
    node.textContent = cell.getValue();
    return node;
  }

  function relatedCell(cell) {
    var box = document.createElement("span");
    (cell.getValue() || []).forEach(function (item, index) {
      if (index) { box.appendChild(document.createElement("br")); }
      box.appendChild(document.createTextNode(item[0] + ": "));
      box.appendChild(link(item[2], item[1]));
    });
    return box;
  }

  function relatedText(related) {
    return (related || []).map(function (item) { return item[0] + " " + item[1]; }).join(" ");
  }

  function toObjects(rows) {
    return rows.map(function (values) {
      var row = {};
      FIELDS.forEach(function (name, index) { row[name] = values[index]; });
      (row.facts || []).forEach(function (value, index) { row["fact" + index] = value; });
      // What the filter box searches: every word the row shows, its Id and the related Ids too.
      row._text = [row.id, row.sobject, row.name, row.company, row.owner, row.severity, row.reason, row.action,
        relatedText(row.related), (row.facts || []).join(" "), row.details, row.group || ""].join(" ").toLowerCase();
      return row;
    });
  }

  /* The columns, from the layout the report put on the table (sfbridge.report.table_rows.table_layout):
   * who the record is, the facts the check is about, then why. Columns that do not fit the
   * width fold into the row's toggle (Tabulator's responsive collapse), the highest
   * "responsive" first; the name and the reason never fold, so a phone shows both. */
  function columns(layout) {
    var narrow = window.matchMedia("(max-width: 640px)").matches;
    var list = [
      { formatter: "responsiveCollapse", width: 30, minWidth: 30, hozAlign: "center", resizable: false,
        headerSort: false, responsive: 0 },
      { title: "Name", field: "name", formatter: nameCell, minWidth: narrow ? 110 : 160, responsive: 0 },
      { title: layout.company, field: "company", formatter: "textarea", minWidth: 130, responsive: 3 },
      { title: "Owner", field: "owner", formatter: "textarea", minWidth: 110, responsive: 4 }
    ];
    layout.facts.forEach(function (fact, index) {
      list.push({ title: fact.label, field: "fact" + index, formatter: "textarea", minWidth: 120, responsive: 2,
        sorter: fact.numeric ? "number" : "string", hozAlign: fact.numeric ? "right" : "left" });
    });
    list.push({ title: "Reason", field: "reason", formatter: "textarea", minWidth: narrow ? 190 : 260, widthGrow: 3,
      responsive: 0 });
    if (layout.severity) {
      list.push({ title: "Severity", field: "severity", formatter: severityCell, width: 105, responsive: 5,
        sorter: function (a, b) { return (RANK[a] || 0) - (RANK[b] || 0); } });
    }
    if (layout.score) {
      list.push({ title: "Score", field: "score", sorter: "number", hozAlign: "right", width: 85, responsive: 5 });
    }
    if (!layout.action) {
      list.push({ title: "Suggested action", field: "action", formatter: "textarea", minWidth: 200, responsive: 6 });
    }
    if (layout.details) {
      list.push({ title: "Details", field: "details", formatter: "textarea", minWidth: 200, responsive: 6 });
    }
    if (layout.related) {
      list.push({ title: "Related", field: "related", formatter: relatedCell, width: 200, responsive: 7,
        sorter: function (a, b) { return relatedText(a).localeCompare(relatedText(b)); } });
    }
    if (layout.group) {
      list.push({ title: "Group", field: "group", width: 170, responsive: 8 });
    }
    return list;
  }

  var SIGNS = { pos: 1, neg: 1, zero: 1 };

  function span(className, text) {
    var node = document.createElement("span");
    node.className = className;
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  /* A duplicate's best match, weighed step by step (sfbridge.report.matchmodel.waterfall_row:
   * [with, total, score, zero, steps], each step [label, level, weight, sign, left, width], the
   * last one the total); the same markup as the clusters' waterfall macro. */
  function waterfall(data, row) {
    var box = document.createElement("details");
    box.className = "why";
    box.open = row._whyOpen === true;
    var summary = document.createElement("summary");
    summary.textContent = "Why it matched " + data[0] + ": weight " + data[1] + ", score " + data[2];
    // Opening grows the table, and Tabulator redraws a table whose size changed, rows and all:
    // the row keeps whether it is open (before the toggle, so the redrawn row has it too).
    summary.addEventListener("click", function () { row._whyOpen = !box.open; });
    box.addEventListener("toggle", function () {
      if (box.isConnected) { row._whyOpen = box.open; }
    });
    box.appendChild(summary);
    var grid = document.createElement("div");
    grid.className = "waterfall";
    data[4].forEach(function (step, index) {
      var last = index === data[4].length - 1;
      var label = span("wf-label" + (last ? " wf-total" : ""), step[0]);
      if (step[1]) {
        label.appendChild(document.createTextNode(" "));
        label.appendChild(span("muted", step[1]));
      }
      var track = span("wf-track");
      var zero = span("wf-axis");
      zero.style.left = Number(data[3]) + "%";
      var bar = span("wf-bar wf-" + (SIGNS[step[3]] ? step[3] : "zero"));
      bar.style.left = Number(step[4]) + "%";
      bar.style.width = Number(step[5]) + "%";
      track.appendChild(zero);
      track.appendChild(bar);
      grid.appendChild(label);
      grid.appendChild(track);
      grid.appendChild(span("wf-weight" + (last ? " wf-total" : ""), step[2]));
    });
    box.appendChild(grid);
    return box;
  }

  /* Tabulator redraws a table when it first scrolls into view and whenever its size changes,
   * building each row's cells and "why it matched" anew. A press on the summary whose row is
   * redrawn before the release leaves the pressed summary detached, and chromium then sends no
   * click at all: the row stayed shut (a test's click, which scrolls the table into view, was
   * lost about one full run in three). So the row element, which Tabulator keeps, remembers the
   * press, and a release on the new summary opens it as the lost click would have. */
  function keepClicksAcrossRedraws(element) {
    var pressed = null;
    element.addEventListener("pointerdown", function (event) {
      pressed = event.button === 0 ? event.target.closest("details.why > summary") : null;
    });
    element.addEventListener("pointerup", function (event) {
      var was = pressed;
      pressed = null;
      if (!was || was.isConnected) { return; }  // the summary pressed is still there: its click toggles it
      var summary = element.querySelector(":scope > details.why > summary");
      if (summary && summary.contains(event.target)) { summary.click(); }
    });
  }

  function waterfallRow(row) {
    // Rows are formatted again when a page is redrawn: replace what an earlier pass added.
    var element = row.getElement();
    var old = element.querySelector(":scope > details.why");
    if (old) { element.removeChild(old); }
    var data = row.getData();
    if (data.waterfall) { element.appendChild(waterfall(data.waterfall, data)); }
    if (!element._keepsClicks) {
      element._keepsClicks = true;
      keepClicksAcrossRedraws(element);
    }
  }

  function debounce(action, wait) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(action, wait);
    };
  }

  function setUp(box) {
    var source = document.getElementById(box.dataset.findings);
    var data = toObjects(JSON.parse(source.textContent));
    var layout = JSON.parse(box.dataset.layout);
    var preview = Number(box.dataset.preview) || 5;
    var shown = box.querySelector(".shown");
    var input = box.querySelector("input[type=search]");
    var more = box.querySelector("button.show-all");
    var options = {
      data: data,
      columns: columns(layout),
      layout: "fitColumns",
      responsiveLayout: "collapse",
      responsiveLayoutCollapseStartOpen: false,
      pagination: true,
      // A table opens on its first, most pressing rows; "show all" pages through the rest.
      paginationSize: box.classList.contains("preview") ? preview : 25,
      paginationSizeSelector: [25, 100, 500, true],
      paginationCounter: "rows",
      placeholder: "No finding matches the filter",
      printAsHtml: true,
      printRowRange: "all",
      printHeader: false
    };
    if (box.dataset.waterfall === "1") { options.rowFormatter = waterfallRow; }
    var table = new Tabulator(box.querySelector(".table"), options);
    box.dataset.visible = String(data.length);
    table.on("dataFiltered", function (filters, rows) {
      shown.textContent = rows.length.toLocaleString("en");
      box.dataset.visible = String(rows.length);
    });
    input.addEventListener("input", debounce(function () {
      var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      if (!terms.length) {
        table.clearFilter();
        return;
      }
      table.setFilter(function (row) {
        return terms.every(function (term) { return row._text.indexOf(term) !== -1; });
      });
    }, 150));
    if (more) {
      more.addEventListener("click", function () {
        var all = box.classList.toggle("preview") === false;
        table.setPageSize(all ? 25 : preview);
        more.textContent = all ? more.dataset.less : more.dataset.more;
        more.setAttribute("aria-expanded", String(all));
      });
    }
    table.on("tableBuilt", function () { box.dataset.ready = "1"; });
  }

  document.querySelectorAll("[data-findings]").forEach(setUp);
  // Printing shows everything: folded details open, and Tabulator prints every row (printRowRange).
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (node) { node.open = true; });
  });
  document.body.dataset.ready = "1";
}());

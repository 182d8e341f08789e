// The browser-side script of the HTML report, as text: reads the embedded data and draws the two charts with the
// inlined Chart.js (a grouped bar chart of the tasks, one bar per model; H6 against parameter count on a log axis).
// Plain ES2017 for any browser; it runs after Chart.js has defined the global `Chart`.

/** The script that builds the charts from `<script id="dusk-data" type="application/json">`. */
export const CLIENT_SCRIPT = String.raw`(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dusk-data").textContent);
  var TYPE_COLORS = { ours: "#d62728", pretrained: "#1f77b4", "instruction-tuned": "#2ca02c", "alignment-tuned": "#9467bd" };
  Chart.defaults.animation = false;
  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

  function fmt(value) { return value.toFixed(2); }
  function describe(score) {
    var text = fmt(score.value);
    if (score.stderr !== undefined) text += " ± " + fmt(score.stderr);
    text += " — " + data.provenance[score.provenance];
    if (score.shots !== undefined) text += " (" + score.shots + "-shot)";
    return text;
  }
  function rowColor(index, alpha) {
    var row = data.rows[index];
    if (row.type === "ours") return "hsla(" + ((index * 47) % 40) + ", 80%, 45%, " + alpha + ")";
    var hue = (200 + index * 137.508) % 360;
    return "hsla(" + hue.toFixed(0) + ", 45%, 55%, " + alpha + ")";
  }
  function formatParams(value) {
    if (value >= 1e9) return (value / 1e9).toFixed(value >= 1e11 ? 0 : 1).replace(/\.0$/, "") + "B";
    if (value >= 1e6) return (value / 1e6).toFixed(value >= 1e8 ? 0 : 1).replace(/\.0$/, "") + "M";
    if (value >= 1e3) return (value / 1e3).toFixed(1).replace(/\.0$/, "") + "K";
    return String(value);
  }

  var tasksCanvas = document.getElementById("chart-tasks");
  new Chart(tasksCanvas, {
    type: "bar",
    data: {
      labels: data.tasks.map(function (task) { return task.label; }),
      datasets: data.rows.map(function (row, index) {
        return {
          label: row.label,
          data: data.tasks.map(function (task) { var score = row.scores[task.id]; return score ? score.value : null; }),
          backgroundColor: rowColor(index, row.type === "ours" ? 0.9 : 0.6),
          borderColor: row.type === "ours" ? "#000" : rowColor(index, 1),
          borderWidth: row.type === "ours" ? 1.5 : 0.5
        };
      })
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        y: { min: 0, max: 100, title: { display: true, text: "score (%)" } }
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12, font: { size: 11 } } },
        tooltip: {
          callbacks: {
            title: function (items) { var task = data.tasks[items[0].dataIndex]; return task.name + ", " + task.shots + "-shot " + task.metric; },
            label: function (item) {
              var row = data.rows[item.datasetIndex];
              var score = row.scores[data.tasks[item.dataIndex].id];
              return row.label + ": " + (score ? describe(score) : "not evaluated");
            }
          }
        }
      }
    }
  });

  var labelPlugin = {
    id: "duskPointLabels",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      ctx.save();
      ctx.font = "11px " + Chart.defaults.font.family;
      ctx.fillStyle = "#333";
      // Label each point with its short name; where a label would overlap one already drawn, try a few other
      // heights, and leave it out if none is free (the tooltip still names the point).
      var placed = [];
      var area = chart.chartArea;
      function overlaps(box) {
        return box.top < area.top || box.bottom > area.bottom || box.left < area.left || placed.some(function (other) {
          return box.left < other.right && other.left < box.right && box.top < other.bottom && other.top < box.bottom;
        });
      }
      chart.data.datasets.forEach(function (dataset, datasetIndex) {
        var meta = chart.getDatasetMeta(datasetIndex);
        if (meta.hidden) return;
        meta.data.forEach(function (element) {
          placed.push({ left: element.x - 6, right: element.x + 6, top: element.y - 6, bottom: element.y + 6 });
        });
      });
      chart.data.datasets.forEach(function (dataset, datasetIndex) {
        var meta = chart.getDatasetMeta(datasetIndex);
        if (meta.hidden) return;
        meta.data.forEach(function (element, index) {
          var name = dataset.data[index].name;
          var text = name.slice(name.lastIndexOf("/") + 1);
          var width = ctx.measureText(text).width;
          // beside the point, right or left, level with it or just above or below: never near another point
          var spots = [[8, 4], [-8 - width, 4], [8, -3], [8, 11], [-8 - width, -3], [-8 - width, 11]];
          for (var i = 0; i < spots.length; i++) {
            var x = element.x + spots[i][0];
            var y = element.y + spots[i][1];
            var box = { left: x - 1, right: x + width + 1, top: y - 10, bottom: y + 2 };
            if (!overlaps(box)) {
              placed.push(box);
              ctx.fillText(text, x, y);
              return;
            }
          }
        });
      });
      ctx.restore();
    }
  };

  var types = ["ours", "alignment-tuned", "instruction-tuned", "pretrained"];
  var sizes = data.rows.filter(function (row) { return row.h6 && row.params; }).map(function (row) { return row.params; });
  var xMin = sizes.length ? Math.min.apply(null, sizes) / 1.6 : undefined;
  var xMax = sizes.length ? Math.max.apply(null, sizes) * 1.6 : undefined;
  var h6Canvas = document.getElementById("chart-h6");
  new Chart(h6Canvas, {
    type: "scatter",
    data: {
      datasets: types.map(function (type) {
        return {
          label: type,
          data: data.rows
            .map(function (row, index) { return { row: row, index: index }; })
            .filter(function (entry) { return entry.row.type === type && entry.row.h6 && entry.row.params; })
            .map(function (entry) { return { x: entry.row.params, y: entry.row.h6.value, name: entry.row.label, rowIndex: entry.index }; }),
          backgroundColor: TYPE_COLORS[type],
          borderColor: TYPE_COLORS[type],
          pointRadius: type === "ours" ? 6 : 5,
          pointStyle: type === "ours" ? "rectRot" : "circle"
        };
      }).filter(function (dataset) { return dataset.data.length > 0; })
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      layout: { padding: { right: 150 } },
      scales: {
        x: {
          type: "logarithmic",
          min: xMin,
          max: xMax,
          title: { display: true, text: "parameters (log scale)" },
          ticks: {
            callback: function (value) {
              var mantissa = value / Math.pow(10, Math.floor(Math.log10(value) + 1e-9));
              return [1, 2, 5].some(function (m) { return Math.abs(mantissa - m) < 1e-6; }) ? formatParams(value) : "";
            }
          }
        },
        y: { grace: "5%", title: { display: true, text: "H6 (%)" } }
      },
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: {
            label: function (item) {
              var row = data.rows[item.raw.rowIndex];
              return [row.label + " (" + row.type + ", " + row.paramsText + " parameters)",
                "H6 " + describe(row.h6) + (row.h6From === "published" ? ", as published" : ", mean of the six tasks")];
            }
          }
        }
      }
    },
    plugins: [labelPlugin]
  });
})();
`;

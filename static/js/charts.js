// Result charts (ECharts): a container marked data-chart="radar" or "waterfall" reads
// its data from the <script type="application/json"> named by data-source (Django's
// json_script; the Content-Security-Policy forbids inline scripts). Tooltips are drawn
// on the canvas (renderMode "richText"): ECharts' HTML tooltips carry inline styles,
// which the policy refuses. No animation: the charts are read, printed and screenshotted
// as they are.
(function () {
  "use strict";

  var RED = "#a61b1b";
  var GREY = "#6c757d";
  var charts = [];

  function read(el) {
    var source = document.getElementById(el.dataset.source);
    return source ? JSON.parse(source.textContent) : null;
  }

  function numbers(values) {
    return values.map(function (v) {
      return v === null || v === undefined ? "-" : Number(v);
    });
  }

  function wrap(name) {
    if (name.length <= 6) {
      return name;
    }
    var half = Math.ceil(name.length / 2);
    return name.slice(0, half) + "\n" + name.slice(half);
  }

  function radar(data) {
    return {
      aria: { enabled: true },
      animation: false,
      color: [RED, GREY],
      tooltip: {
        trigger: "item",
        renderMode: "richText",
        valueFormatter: function (v) { return Number(v).toFixed(2) + "%"; }
      },
      legend: { bottom: 0, data: data.series.map(function (s) { return s.name; }) },
      radar: {
        radius: "58%",
        center: ["50%", "48%"],
        indicator: data.indicators.map(function (i) {
          return { name: i.name, max: i.max, min: 0 };
        }),
        // Long dimension names (社区治理与民生服务) wrap instead of leaving the canvas.
        axisName: { color: "#333", formatter: wrap }
      },
      series: [{
        type: "radar",
        symbolSize: 5,
        data: data.series.map(function (s, index) {
          return {
            name: s.name,
            value: numbers(s.value),
            areaStyle: index === 0 ? { opacity: 0.2 } : undefined,
            lineStyle: index === 1 ? { type: "dashed" } : undefined
          };
        })
      }]
    };
  }

  // A bar's text is the server's (every digit, a sign for a step): what a reader adds
  // up by hand from the bars equals the stored result.
  function label(position, data) {
    return {
      show: true,
      position: position,
      formatter: function (p) {
        if (p.value === "-") {
          return "";
        }
        return data.labels ? data.labels[p.dataIndex] : p.value.toFixed(2);
      }
    };
  }

  function waterfall(data, narrow) {
    var hidden = { color: "transparent", borderColor: "transparent" };
    return {
      aria: { enabled: true },
      animation: false,
      tooltip: {
        trigger: "axis",
        renderMode: "richText",
        axisPointer: { type: "shadow" },
        formatter: function (params) {
          var shown = params.filter(function (p) {
            return p.seriesName !== "base" && p.value !== "-";
          });
          return shown.map(function (p) {
            return p.name + "：" + (data.labels ? data.labels[p.dataIndex]
              : (p.seriesId === "fall" ? "−" : "") + p.value.toFixed(2));
          }).join("\n");
        }
      },
      grid: { left: 40, right: 16, top: 28, bottom: 56, containLabel: narrow },
      xAxis: {
        type: "category",
        data: data.categories,
        // On a phone the category names turn so that each stays readable.
        axisLabel: narrow
          ? { interval: 0, rotate: 45, fontSize: 10 }
          : { interval: 0, width: 90, overflow: "break" }
      },
      yAxis: { type: "value", min: 0 },
      series: [
        { name: "base", id: "base", type: "bar", stack: "steps", itemStyle: hidden,
          emphasis: { disabled: true }, silent: true, data: numbers(data.base) },
        { name: "+", id: "rise", type: "bar", stack: "steps", itemStyle: { color: "#2e7d32" },
          label: label("top", data), data: numbers(data.rise) },
        { name: "−", id: "fall", type: "bar", stack: "steps", itemStyle: { color: "#ef6c00" },
          label: label("bottom", data), data: numbers(data.fall) },
        { name: "=", id: "total", type: "bar", stack: "steps",
          itemStyle: { color: function (p) {
            return data.veto && p.dataIndex === data.categories.length - 1 ? "#212529" : RED;
          } },
          label: label("top", data), data: numbers(data.total) }
      ]
    };
  }

  var BUILDERS = { radar: radar, waterfall: waterfall };

  function render() {
    if (!window.echarts) {
      return;
    }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var build = BUILDERS[el.dataset.chart];
      var data = read(el);
      if (!build || !data) {
        return;
      }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(build(data, el.clientWidth < 480));
      charts.push(chart);
      el.dataset.rendered = "true";
    });
  }

  function resize() {
    charts.forEach(function (chart) { chart.resize(); });
  }

  // A printed result shows the result only: no navigation, trail, footer or messages.
  function printable() {
    document.querySelectorAll(".app-navbar, main > nav, body > footer, main > .alert-dismissible")
      .forEach(function (el) { el.classList.add("d-print-none"); });
  }

  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("DOMContentLoaded", printable);
  window.addEventListener("resize", resize);
  // Print at the page's printed width.
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) {
      window.print();
    }
  });
})();

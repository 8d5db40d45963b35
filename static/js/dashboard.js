// 工作台 (reports/dashboard): per town, the share of participants whose self-evaluation
// is submitted and whose 目标量评 / 组织考评 are complete, as a grouped bar chart. The data
// is the page's <script type="application/json"> named by data-source (json_script; the
// Content-Security-Policy forbids inline scripts). Tooltips are drawn on the canvas
// (renderMode "richText"): ECharts' HTML tooltips carry inline styles the policy refuses.
(function () {
  "use strict";

  var COLORS = ["#a61b1b", "#0d6efd", "#6c757d"];
  var charts = [];

  function read(el) {
    var source = document.getElementById(el.dataset.source);
    return source ? JSON.parse(source.textContent) : null;
  }

  function townProgress(data, narrow) {
    return {
      aria: { enabled: true },
      animation: false,
      color: COLORS,
      tooltip: {
        trigger: "axis",
        renderMode: "richText",
        axisPointer: { type: "shadow" },
        formatter: function (params) {
          if (!params.length) {
            return "";
          }
          return [params[0].name].concat(params.map(function (p) {
            var counts = data.series[p.seriesIndex].counts[p.dataIndex];
            return p.seriesName + "：" + p.value.toFixed(1) + "%（" + counts + "）";
          })).join("\n");
        }
      },
      legend: { bottom: 0, data: data.series.map(function (s) { return s.name; }) },
      grid: { left: 40, right: 16, top: 24, bottom: 64, containLabel: true },
      xAxis: {
        type: "category",
        data: data.towns,
        axisLabel: narrow
          ? { interval: 0, rotate: 45, fontSize: 10 }
          : { interval: 0, width: 90, overflow: "break" }
      },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: data.series.map(function (s) {
        return {
          name: s.name,
          type: "bar",
          barMaxWidth: 28,
          label: { show: !narrow && data.towns.length <= 8, position: "top", formatter: "{c}%" },
          data: s.values
        };
      })
    };
  }

  var BUILDERS = { "town-progress": townProgress };

  // Tall enough to read on a phone, not a screen high on a desk (the height is set
  // through the CSSOM, which the policy allows, not by a style attribute).
  function fit(el) {
    el.style.height = Math.max(300, Math.min(460, Math.round(el.clientWidth * 0.42))) + "px";
  }

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
      fit(el);
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(build(data, el.clientWidth < 480));
      charts.push(chart);
      el.dataset.rendered = "true";
    });
  }

  function resize() {
    charts.forEach(function (chart) {
      fit(chart.getDom());
      chart.resize();
    });
  }

  document.addEventListener("DOMContentLoaded", render);
  window.addEventListener("resize", resize);
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
})();

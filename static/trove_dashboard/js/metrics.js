/* The Metrics tab of an instance's detail page: time-series charts drawn with Horizon's
 * bundled D3 (xstatic-d3 3.5, horizon/lib/d3/d3.js, on every Horizon page).
 *
 * The tab's template (_detail_metrics.html) carries the view's URL, one element per chart
 * and every word the user reads; this file only draws. It asks the view every few seconds
 * while the tab is visible, with `since` = its last sample's time, so each refresh carries
 * only the new samples. A sample in the same slot as the last one (heartbeats come more
 * often than the interval: the API's ring overwrites its slot) replaces it.
 *
 * The template includes this file each time the tab is loaded: the first run defines
 * window.dbaasMetrics, every run starts the charts not started yet.
 */
(function ($, d3) {
  'use strict';

  if (window.dbaasMetrics) {
    window.dbaasMetrics.startAll();
    return;
  }

  var REFRESH_MS = 5000;
  var DAY_MS = 86400 * 1000;
  var HEIGHT = 160;
  var MARGIN = {top: 10, right: 16, bottom: 24, left: 56};
  var MARKERS_UP_TO = 120;     // beyond that, points would hide the line
  var COLOUR = '#1f77b4';
  var parseTime = d3.time.format.utc('%Y-%m-%dT%H:%M:%SZ').parse;

  function bytes(value) {
    var units = ['B', 'KB', 'MB', 'GB', 'TB'];
    var step = 0;
    while (value >= 1024 && step < units.length - 1) {
      value /= 1024;
      step += 1;
    }
    return (step ? short(value) : value) + ' ' + units[step];
  }

  // Three significant digits without trailing zeros (0.8, not 0.800).
  function short(value) {
    return String(parseFloat(d3.format('.3g')(value)));
  }

  var FORMATS = {
    percent: function (v) { return short(v) + ' %'; },
    bytes: bytes,
    count: d3.format(',d'),
    rate: function (v) { return short(v) + '/s'; }
  };

  // Seconds on the time axis while the series spans less than a quarter of an hour.
  function timeFormat(x) {
    var span = x.domain()[1] - x.domain()[0];
    return d3.time.format(span < 15 * 60 * 1000 ? '%H:%M:%S' : '%H:%M');
  }

  function Metrics($root) {
    this.$root = $root;
    this.url = $root.attr('data-url');
    this.samples = [];
    this.interval = 60;
  }

  Metrics.prototype.alive = function () {
    return $.contains(document.documentElement, this.$root[0]);
  };

  Metrics.prototype.poll = function () {
    var self = this;
    if (!self.alive()) { return; }        // the tab was replaced: this chart is gone
    if (!self.$root.is(':visible')) {      // another tab is open: ask again later
      setTimeout(function () { self.poll(); }, REFRESH_MS);
      return;
    }
    var last = self.samples[self.samples.length - 1];
    $.ajax({url: self.url, data: last ? {since: last.time} : {}, dataType: 'json',
            cache: false})
      .done(function (data) {
        self.$root.find('.dbaas-metrics-error').prop('hidden', true);
        self.merge(data);
        self.draw();
      })
      .fail(function (xhr) {
        var said = xhr.responseJSON && xhr.responseJSON.error;
        self.$root.find('.dbaas-metrics-error').text(said || '').prop('hidden', !said);
      })
      .always(function () {
        setTimeout(function () { self.poll(); }, REFRESH_MS);
      });
  };

  Metrics.prototype.merge = function (data) {
    var self = this;
    self.interval = data.interval || self.interval;
    $.each(data.samples || [], function (_, sample) {
      sample.date = parseTime(sample.time);
      sample.slot = Math.floor(sample.date.getTime() / 1000 / self.interval);
      var last = self.samples[self.samples.length - 1];
      if (last && last.slot === sample.slot) {
        self.samples[self.samples.length - 1] = sample;
      } else {
        self.samples.push(sample);
      }
    });
    var newest = self.samples.length ? self.samples[self.samples.length - 1].date : null;
    while (newest && self.samples[0].date < newest - DAY_MS) { self.samples.shift(); }
  };

  Metrics.prototype.draw = function () {
    var self = this;
    self.$root.attr('data-samples', self.samples.length);
    self.$root.find('.dbaas-metrics-empty').prop('hidden', self.samples.length > 0);
    if (!self.samples.length || !self.$root.is(':visible')) { return; }
    self.$root.find('.dbaas-metrics-chart').each(function () {
      drawChart($(this), self.samples);
    });
  };

  function drawChart($chart, samples) {
    var figure = $chart.attr('data-figure');
    var format = FORMATS[$chart.attr('data-unit')] || FORMATS.count;
    var known = samples.filter(function (s) { return s[figure] !== null; });
    var latest = samples[samples.length - 1][figure];
    $chart.find('.dbaas-metrics-latest').text(latest === null ? '–' : format(latest));

    var plot = $chart.find('.dbaas-metrics-plot')[0];
    var width = Math.max($(plot).width() || 0, 240) - MARGIN.left - MARGIN.right;
    var height = HEIGHT - MARGIN.top - MARGIN.bottom;
    var x = d3.time.scale().range([0, width])
      .domain(d3.extent(samples, function (s) { return s.date; }));
    if (samples.length === 1) {         // one point still needs a span of time
      x.domain([new Date(samples[0].date - 60000), samples[0].date]);
    }
    var y = d3.scale.linear().range([height, 0]).nice()
      .domain([0, d3.max(known, function (s) { return s[figure]; }) || 1]);
    var line = d3.svg.line()
      .defined(function (s) { return s[figure] !== null; })
      .x(function (s) { return x(s.date); })
      .y(function (s) { return y(s[figure]); });

    d3.select(plot).selectAll('svg').remove();
    var svg = d3.select(plot).append('svg')
      .attr('width', width + MARGIN.left + MARGIN.right)
      .attr('height', HEIGHT)
      .append('g')
      .attr('transform', 'translate(' + MARGIN.left + ',' + MARGIN.top + ')');
    svg.append('g').attr('class', 'x axis')
      .attr('transform', 'translate(0,' + height + ')')
      .call(d3.svg.axis().scale(x).orient('bottom').ticks(5)
            .tickFormat(timeFormat(x)));
    var yAxis = d3.svg.axis().scale(y).orient('left').ticks(4).tickFormat(format);
    if ($chart.attr('data-unit') === 'count') {    // no ticks between whole connections
      yAxis.tickValues(y.ticks(4).filter(function (v) { return v % 1 === 0; }));
    }
    svg.append('g').attr('class', 'y axis').call(yAxis);
    // Styled here, not in the stylesheet: the charts are all this file draws.
    svg.selectAll('.axis path, .axis line')
      .attr('fill', 'none').attr('stroke', '#999').attr('shape-rendering', 'crispEdges');
    svg.selectAll('.axis text').attr('font-size', '10px');
    svg.append('path').datum(samples).attr('class', 'dbaas-metrics-line').attr('d', line)
      .attr('fill', 'none').attr('stroke', COLOUR).attr('stroke-width', 1.5);
    if (samples.length <= MARKERS_UP_TO) {
      svg.selectAll('circle').data(known).enter().append('circle')
        .attr('class', 'dbaas-metrics-point').attr('r', 2.5).attr('fill', COLOUR)
        .attr('cx', function (s) { return x(s.date); })
        .attr('cy', function (s) { return y(s[figure]); })
        .append('title').text(function (s) { return s.time + ': ' + format(s[figure]); });
    }
  }

  window.dbaasMetrics = {
    startAll: function () {
      $('.dbaas-metrics:not([data-started])').each(function () {
        var $root = $(this).attr('data-started', 'true');
        var metrics = new Metrics($root);
        $root.data('metrics', metrics);
        metrics.poll();
      });
    }
  };

  // Horizon sends a resize when a tab holding a .d3-container is shown (d3 cannot size
  // what is hidden): draw again at the visible width.
  $(window).on('resize', function () {
    $('.dbaas-metrics[data-started]').each(function () {
      var metrics = $(this).data('metrics');
      if (metrics) { metrics.draw(); }
    });
  });

  window.dbaasMetrics.startAll();
}(jQuery, d3));

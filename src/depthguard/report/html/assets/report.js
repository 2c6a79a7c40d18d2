// depthguard report: draws a run or a study from the JSON in #report-data with Chart.js.
// Everything the page shows comes from that JSON (html_report.cpp writes it); nothing is
// fetched. Each chart's canvas carries data-chart="<name>" for the browser test.
(function () {
  'use strict';

  const data = JSON.parse(document.getElementById('report-data').textContent);
  const root = document.getElementById('report');
  const palette = ['#1f6feb', '#e8710a', '#188038', '#9334e6', '#d01884', '#12a4af', '#8d6e63', '#5f6368'];
  const bad = '#c62828';
  const warn = '#f29900';  // spike warnings

  Chart.defaults.animation = false;  // drawn at once: the page is a document, not a show
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;

  // ---- small helpers -------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === 'class') node.className = value; else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function isNumber(v) { return typeof v === 'number' && Number.isFinite(v); }

  // A number as people read it: '-' for none, 3 significant digits for small values.
  function num(v, digits) {
    if (v === null || v === undefined) return '-';
    if (!isNumber(v)) return String(v);
    if (digits !== undefined) return v.toFixed(digits);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
    return Number(v.toPrecision(4)).toString();
  }

  function section(title, parent) {
    const node = el('section', {}, el('h2', {}, title));
    (parent || root).append(node);
    return node;
  }

  // A card with a title and a canvas; returns the Chart.
  // A chart over many categories (`wide`) takes the grid's whole row.
  function chartCard(grid, name, title, config, note, wide) {
    const canvas = el('canvas', { 'data-chart': name, role: 'img', 'aria-label': title });
    grid.append(el('div', { class: wide ? 'card wide' : 'card' }, el('h3', {}, title), el('div', { class: 'chart' }, canvas),
                   note ? el('div', { class: 'note' }, note) : null));
    return new Chart(canvas, config);
  }

  function facts(items) {
    const row = el('div', { class: 'facts' });
    for (const [label, value, isBad] of items) {
      if (value === null || value === undefined || value === '') continue;
      row.append(el('div', { class: isBad ? 'fact bad' : 'fact' }, el('b', {}, label), String(value)));
    }
    root.append(row);
  }

  // `textColumns`: the columns of words (left-aligned; wrapped when `wrap`), not numbers.
  function table(headers, rows, textColumns, wrap) {
    const kind = i => (textColumns && textColumns.has(i) ? (wrap ? 'text wrap' : 'text') : '');
    const head = el('tr', {}, ...headers.map((h, i) => el('th', { class: kind(i) }, h)));
    const body = rows.map(r => el('tr', {}, ...r.map((c, i) => {
      const cell = c instanceof Node ? c : el('span', {}, c === null || c === undefined ? '-' : c);
      return el('td', { class: kind(i) }, cell);
    })));
    return el('div', { class: 'table-scroll' }, el('table', {}, el('thead', {}, head), el('tbody', {}, ...body)));
  }

  // Draws [low, high] whiskers over each element of a dataset that has `whiskers` (one pair
  // per data point; null for none): the Wilson interval of a rate, a mean +- its spread.
  const whiskerPlugin = {
    id: 'whiskers',
    afterDatasetsDraw(chart) {
      const ctx = chart.ctx;
      chart.data.datasets.forEach((dataset, d) => {
        if (!dataset.whiskers || !chart.isDatasetVisible(d)) return;
        const scale = chart.scales[chart.getDatasetMeta(d).yAxisID];
        chart.getDatasetMeta(d).data.forEach((element, i) => {
          const w = dataset.whiskers[i];
          if (!w || !isNumber(w[0]) || !isNumber(w[1])) return;
          const x = element.x, y0 = scale.getPixelForValue(w[0]), y1 = scale.getPixelForValue(w[1]);
          ctx.save();
          ctx.strokeStyle = '#1d2330';
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(x, y0); ctx.lineTo(x, y1);
          ctx.moveTo(x - 5, y0); ctx.lineTo(x + 5, y0);
          ctx.moveTo(x - 5, y1); ctx.lineTo(x + 5, y1);
          ctx.stroke();
          ctx.restore();
        });
      });
    },
  };

  // ---- a training run ------------------------------------------------------------------

  function drawRun() {
    const summary = data.summary || {};
    const events = data.events || [];
    const last = data.train.length ? data.train[data.train.length - 1] : {};
    root.append(el('div', { class: 'subtitle' }, data.path));
    const stepsPerSecond = summary.seconds > 0 ? summary.steps_this_session / summary.seconds : null;
    facts([
      ['status', data.summary ? 'finished' : 'not finished (no summary.json yet)'],
      ['steps', summary.steps !== undefined ? summary.steps : last.step],
      ['device', summary.device],
      ['precision', summary.precision],
      ['threads', summary.threads],
      ['ranks', summary.ranks],
      ['images/s', summary.images_per_s !== undefined ? num(summary.images_per_s, 1) : null],
      ['steps/s', stepsPerSecond !== null ? num(stepsPerSecond, 2) : null],
      ['wall time', summary.seconds !== undefined ? num(summary.seconds, 0) + ' s' : null],
      ['non-finite steps', summary.nonfinite_steps !== undefined ? summary.nonfinite_steps : events.length,
       (summary.nonfinite_steps || events.length) > 0],
      ['transient steps', transientSteps(events), events.some(e => e.transient)],
      ['spike warnings', (data.spikes || []).length, false],
      ['best abs_rel', summary.best_step >= 0 ? num(summary.best_abs_rel, 4) + ' at step ' + summary.best_step : null],
      ['built from', summary.version],
    ]);

    const curves = section('Training');
    if (events.length) {
      curves.append(el('p', { class: 'note' }, 'Red triangles mark steps where the NaN sentinel met a non-finite ' +
                       'value: hover for the cause, click for the forensics report.'));
    }
    const grid = el('div', { class: 'grid' });
    curves.append(grid);
    const series = key => data.train.filter(l => isNumber(l[key])).map(l => ({ x: l.step, y: l[key] }));
    const line = (label, key, color, extra) => Object.assign(
        { label, data: series(key), borderColor: color, backgroundColor: color, borderWidth: 1.5, pointRadius: 0, tension: 0 },
        extra || {});
    const markersOn = (points, logScale) => eventMarkers(events, points, logScale);
    const lossSeries = series('loss');
    chartCard(grid, 'loss', 'Loss (mean per log interval)', runChart([
      line('reported loss', 'loss', palette[0]),
      line('objective (what the optimiser minimises)', 'objective', palette[1]),
      spikeMarkers('loss'),
      markersOn(lossSeries, false)]), 'The reported loss is the figure logs show (SILog: alpha * sqrt(D)); ' +
      'the objective is what backward differentiates.' + spikeNote('loss'));
    chartCard(grid, 'norms', 'Gradient and weight norms', runChart([
      line('gradient norm (before clipping)', 'grad_norm', palette[2]),
      line('weight norm', 'weight_norm', palette[3]),
      spikeMarkers('grad_norm'),
      markersOn(series('grad_norm'), true)], { y: { type: 'logarithmic' } }), spikeNote('grad_norm'));
    chartCard(grid, 'lr', 'Learning rate', runChart([line('learning rate', 'lr', palette[4]), markersOn(series('lr'), false)]));
    chartCard(grid, 'throughput', 'Throughput (training images per second)',
              runChart([line('images/s', 'images_per_s', palette[5])]));
    if (series('loss_scale').length) {
      const overflows = (data.overflows || []).map(o => ({ x: o.step, y: o.scale, text: 'loss-scale overflow at step ' +
                                                          o.step + ': update dropped, scale backed off to ' + num(o.scale) }));
      chartCard(grid, 'loss-scale', 'Loss scale (dynamic loss scaling)', runChart([
        line('loss scale', 'loss_scale', palette[6], { stepped: true }),
        { label: 'overflow (routine: not a NaN event)', type: 'scatter', data: overflows, pointStyle: 'crossRot',
          pointRadius: 6, borderColor: palette[1], backgroundColor: palette[1] },
        markersOn(series('loss_scale'), true)], { y: { type: 'logarithmic' } }),
        (data.overflows || []).length + ' routine overflow(s): each drops its update and halves the scale; a ' +
        'non-finite event (red) is an overflow the scale does not explain.');
    }

    drawEvaluations(grid);
    drawEvents(events);
    drawFinalTable();
    drawSamples();
    if (data.config) {
      section('Configuration').append(el('details', {}, el('summary', {}, 'config.yaml, every key resolved'),
                                         el('pre', {}, data.config)));
    }
  }

  // A line chart over steps (linear x), its tooltips naming the event under a marker.
  function runChart(datasets, scales) {
    return {
      type: 'line',
      data: { datasets: datasets.filter(d => d && d.data.length) },
      plugins: [whiskerPlugin],
      options: {
        parsing: false,
        normalized: true,
        interaction: { mode: 'nearest', intersect: false },
        scales: Object.assign({ x: { type: 'linear', title: { display: true, text: 'step' } } }, scales || {}),
        // A long run logs hundreds of thousands of points: draw at most ~1000 per curve
        // (largest-triangle sampling keeps the spikes); the NaN markers are never thinned.
        plugins: { tooltip: { callbacks: { label: tooltipLabel } },
                   decimation: { enabled: true, algorithm: 'lttb', samples: 1000 } },
        onClick: (evt, elements, chart) => {
          for (const e of elements) {
            const point = chart.data.datasets[e.datasetIndex].data[e.index];
            if (point.event !== undefined) { selectEvent(point.event); return; }
          }
        },
      },
    };
  }

  function tooltipLabel(ctx) {
    const point = ctx.raw;
    if (point && point.event !== undefined) return describeEvent(data.events[point.event]);
    if (point && point.text) return point.text;
    return ctx.dataset.label + ': ' + num(point.y);
  }

  function describeEvent(e) {
    const lines = ['non-finite ' + e.stage + ' at step ' + e.step, 'cause: ' + (e.forensics && e.forensics.cause_title || e.cause || 'not investigated'),
                   'action: ' + e.action + (e.reason ? ' (auto: ' + e.reason + ')' : '')];
    if (e.forensics && e.forensics.operator) {
      lines.push('operator: ' + e.forensics.operator + ' (' + e.forensics.direction + ')' +
                 (e.forensics.module ? ' in ' + e.forensics.module : ''));
    }
    if (e.forensics && e.forensics.site) lines.push('called at ' + e.forensics.site);
    if (e.forensics && e.forensics.remedy) lines.push('fix' + (e.forensics.fix_at ? ' at ' + e.forensics.fix_at : '') + ': ' + e.forensics.remedy);
    lines.push('click for the forensics report');
    return lines;
  }

  // One marker per event, on the curve at the event's step (the last logged point at or
  // before it; the curve's top when none is finite there).
  function eventMarkers(events, points, logScale) {
    if (!events.length) return null;
    const usable = points.filter(p => isNumber(p.y) && (!logScale || p.y > 0));
    const top = usable.length ? usable.reduce((m, p) => Math.max(m, p.y), -Infinity) : 1;  // no spread: 10^5 points
    const markers = events.map((e, i) => {
      let y = top;
      for (const p of usable) if (p.x <= e.step) y = p.y;
      return { x: e.step, y, event: i };
    });
    return { label: 'non-finite value', type: 'scatter', data: markers, isEvent: true, pointStyle: 'triangle',
             pointRadius: 8, pointHoverRadius: 11, borderColor: bad, backgroundColor: bad };
  }

  // The steps no replay reproduced, as Megatron's tracker file lists its skipped iterations.
  function transientSteps(events) {
    const steps = events.filter(e => e.transient).map(e => e.step + ' (' + e.action + ' on ' + e.replayed_on + ')');
    return steps.length ? steps.length + ': step ' + steps.join(', ') : 0;
  }

  // The spike warnings of one figure: the step's own value (not the interval's mean) as an
  // orange diamond.
  function spikeMarkers(figure) {
    const spikes = (data.spikes || []).filter(s => s.figure === figure && isNumber(s.value));
    return { label: 'spike warning', type: 'scatter', pointStyle: 'rectRot', pointRadius: 6, borderColor: warn,
             backgroundColor: warn, data: spikes.map(s => ({ x: s.step, y: s.value,
               text: 'spike at step ' + s.step + ': ' + num(s.value) + ', ' + num(s.ratio, 1) + 'x its running median ' +
                     num(s.median) })) };
  }

  function spikeNote(figure) {
    const n = (data.spikes || []).filter(s => s.figure === figure).length;
    return n ? ' Orange diamonds: ' + n + ' spike warning(s), a step at least guard.spike_ratio times its running median: ' +
               data.spike_meaning : '';
  }

  function drawEvaluations(grid) {
    const evals = data.eval.filter(l => l.eval);
    if (!evals.length) return;
    const metric = (key, label, color, axis) => ({
      label, data: evals.map(l => ({ x: l.step, y: l.eval[key] })), borderColor: color, backgroundColor: color,
      borderWidth: 1.5, pointRadius: 3, yAxisID: axis });
    chartCard(grid, 'eval', 'Held-out evaluation', runChart([
      metric('abs_rel', 'abs_rel (lower is better)', palette[0], 'y'),
      metric('rmse', 'rmse, m (lower is better)', palette[1], 'y'),
      metric('d1', 'δ1 (higher is better)', palette[2], 'y1')], {
      y: { title: { display: true, text: 'abs_rel, rmse' }, beginAtZero: true },
      y1: { position: 'right', min: 0, max: 1, grid: { drawOnChartArea: false }, title: { display: true, text: 'δ1' } },
    }), evals.length + ' evaluation(s) of ' + (evals[evals.length - 1].images || '?') + ' held-out images each');
  }

  function drawEvents(events) {
    if (!events.length) return;
    const list = section('Non-finite events (' + events.length + ')');
    events.forEach((e, i) => {
      const f = e.forensics || {};
      const body = el('div', {});
      const rows = [['step', e.step], ['stage', e.stage], ['action', e.action], ['why this action', e.reason],
                    ['samples', (e.samples || []).join(', ')],
                    ['cause', f.cause_title || e.cause], ['operator', f.operator ? f.operator + ' (' + f.direction + ')' : null],
                    ['module', f.module], ['called at', f.site], ['why', f.reason], ['fix at', f.fix_at], ['fix', f.remedy], ['ranks', e.ranks ? e.ranks.join(', ') : null],
                    ['transient', e.transient ? 'yes: finite when replayed on ' + e.replayed_on : null],
                    ['report', e.report]];
      body.append(table(['', ''], rows.filter(r => r[1] !== null && r[1] !== undefined && r[1] !== ''), new Set([1]), true));
      if (f.text) body.append(el('pre', {}, f.text));
      list.append(el('details', { class: 'event', id: 'event-' + i },
                     el('summary', {}, 'step ' + e.step + ' · ' + e.stage + ' · ' + (f.cause_title || e.cause || 'no forensics') +
                        ' · ' + e.action), body));
    });
  }

  function selectEvent(i) {
    document.querySelectorAll('details.event.selected').forEach(d => d.classList.remove('selected'));
    const node = document.getElementById('event-' + i);
    if (!node) return;
    node.open = true;
    node.classList.add('selected');
    node.scrollIntoView({ behavior: 'smooth', block: 'center' });
  }

  // The final Eigen metrics next to the median baseline: eval.json when `depthguard eval
  // --median-baseline` wrote one, otherwise the run's last evaluation.
  function drawFinalTable() {
    const evaluation = data.evaluation || {};
    const evals = data.eval.filter(l => l.eval);
    const model = evaluation.model || (data.summary && data.summary.final_eval) || (evals.length ? evals[evals.length - 1].eval : null);
    if (!model) return;
    const baseline = evaluation.median_baseline;
    const lowerIsBetter = { abs_rel: 1, sq_rel: 1, rmse: 1, rmse_log: 1, log10: 1, silog: 1, d1: 0, d2: 0, d3: 0 };
    const names = { d1: 'δ1 < 1.25', d2: 'δ2 < 1.25²', d3: 'δ3 < 1.25³' };
    const rows = Object.keys(lowerIsBetter).filter(k => model[k] !== undefined).map(k => {
      const better = baseline && isNumber(baseline[k]) &&
                     (lowerIsBetter[k] ? model[k] < baseline[k] : model[k] > baseline[k]);
      return [names[k] || k, el('span', { class: better ? 'better' : '' }, num(model[k], 4)),
              baseline ? num(baseline[k], 4) : null, lowerIsBetter[k] ? 'lower' : 'higher'];
    });
    const s = section('Final evaluation (Eigen metrics)');
    s.append(table(['metric', 'model', 'median baseline', 'better is'], rows));
    s.append(el('p', { class: 'note' }, baseline
        ? 'From eval.json (' + (model.images || '?') + ' images). The baseline predicts the median training depth ' +
          'everywhere (' + num(baseline.depth, 3) + ' m); bold: the model beats it.'
        : 'From the run\'s last evaluation. Run `depthguard eval --checkpoint RUN/checkpoints/best.pt --median-baseline` ' +
          'to add the median baseline.'));
  }

  function drawSamples() {
    const samples = data.samples;
    if (!samples || !samples.samples || !samples.samples.length) return;
    const s = section('Held-out samples at step ' + samples.step);
    s.append(el('p', { class: 'note' }, 'Image, ground truth, prediction (one colour scale: the ground truth\'s range, ' +
                 'in metres) and absolute relative error (0 to ' + samples.error_scale + '); black: no valid ground truth ' +
                 'or a non-finite prediction.'));
    const grid = el('div', { class: 'samples' });
    for (const item of samples.samples) {
      grid.append(el('figure', {}, el('img', { src: item.src, alt: 'sample ' + item.id }), el('figcaption', {}, item.id)));
    }
    s.append(grid);
  }

  // ---- a study -------------------------------------------------------------------------

  function drawStudy() {
    const arms = data.summary;
    const runs = data.runs;
    const label = a => a.variant + ' / ' + a.stress;
    const armIndex = new Map(arms.map((a, i) => [a.variant + '\u0000' + a.stress, i]));
    const indexOf = r => armIndex.get(r.variant + '\u0000' + r.stress);
    root.append(el('div', { class: 'subtitle' }, data.path));
    const hit = runs.filter(r => r.nonfinite_step !== null && r.nonfinite_step !== undefined).length;
    facts([['runs', runs.length], ['variants × stresses', arms.length], ['runs that met a non-finite value', hit, hit > 0],
           ['report made', data.report.generated], ['by', 'depthguard ' + data.report.version]]);

    const top = section('What the study found');
    const grid = el('div', { class: 'grid' });
    top.append(grid);
    drawRates(grid, arms);
    drawArmTable(grid, arms);
    drawFirstSteps(grid, arms, runs, indexOf, label);
    drawCauses(grid, arms, label);
    drawAccuracy(grid, arms, runs, indexOf, label, 'abs_rel', 'abs_rel per run (lower is better)');
    drawAccuracy(grid, arms, runs, indexOf, label, 'd1', 'δ1 per run (higher is better)');

    const t = section('Runs');
    t.append(table(['run', 'variant', 'stress', 'seed', 'status', 'steps', 'first non-finite step', 'spike warning',
                    'stage', 'cause', 'metrics from', 'abs_rel', 'rmse', 'δ1', 'seconds'],
                   runs.map(r => [r.id, r.variant, r.stress, r.seed, r.status, r.steps, r.nonfinite_step,
                                  r.spike_lead !== null && r.spike_lead !== undefined ? r.spike_lead + ' steps before' : null,
                                  r.stage || null,
                                  r.cause || null, r.metrics_from || null, r.metrics ? num(r.metrics.abs_rel, 4) : null,
                                  r.metrics ? num(r.metrics.rmse, 3) : null, r.metrics ? num(r.metrics.d1, 3) : null,
                                  num(r.seconds, 1)]), new Set([0, 1, 2, 4, 8, 9, 10])));
    const how = section('How it was made');
    how.append(el('pre', {}, data.command));
    how.append(el('p', { class: 'note' }, 'NaN rate: the share of runs in which the sentinel met a non-finite value ' +
                  '(each run halts there), with its 95% Wilson score interval as whiskers. Accuracy: held-out Eigen ' +
                  'metrics of the final model or, for a halted run, of its last good checkpoint; whiskers: mean ± ' +
                  'standard deviation over the runs that have metrics.'));
  }

  const kNarrowArms = 6;  // charts over more arms than this take a whole row

  // The numbers behind the charts, one row per arm (what study.md tabulates).
  function drawArmTable(grid, arms) {
    const ci = a => num(100 * a.rate, 0) + '% [' + num(100 * a.rate_ci95[0], 0) + ', ' + num(100 * a.rate_ci95[1], 0) + ']';
    const mean = m => (m ? num(m.mean, 3) + ' ± ' + num(m.std, 3) : null);
    grid.append(el('div', { class: 'card' }, el('h3', {}, 'Per variant and stress'),
                   table(['variant', 'stress', 'non-finite', 'rate [95% CI]', 'spike warning before', 'abs_rel'],
                         arms.map(a => [a.variant, a.stress, a.nonfinite + ' / ' + a.runs + (a.failed ? ' (' + a.failed + ' failed)' : ''),
                                        ci(a), warnedCell(a), mean(a.abs_rel)]), new Set([0, 1]))));
  }

  // How many of an arm's non-finite runs had a spike warning in the 50 steps before, and how long before.
  function warnedCell(a) {
    if (!a.nonfinite || a.warned === undefined) return null;
    return a.warned + ' of ' + a.nonfinite + (a.median_spike_lead !== null && a.median_spike_lead !== undefined
      ? ', median ' + num(a.median_spike_lead, 0) + ' steps' : '');
  }

  function variantsAndStresses(arms) {
    return [[...new Set(arms.map(a => a.variant))], [...new Set(arms.map(a => a.stress))]];
  }

  function drawRates(grid, arms) {
    const [variants, stresses] = variantsAndStresses(arms);
    const find = (v, s) => arms.find(a => a.variant === v && a.stress === s);
    const datasets = variants.map((v, i) => ({
      label: v,
      data: stresses.map(s => { const a = find(v, s); return a ? 100 * a.rate : null; }),
      whiskers: stresses.map(s => { const a = find(v, s); return a ? [100 * a.rate_ci95[0], 100 * a.rate_ci95[1]] : null; }),
      runs: stresses.map(s => { const a = find(v, s); return a ? a.nonfinite + ' of ' + a.runs + ' runs' : ''; }),
      backgroundColor: palette[i % palette.length],
    }));
    chartCard(grid, 'rates', 'NaN rate per variant and stress', {
      type: 'bar', data: { labels: stresses, datasets }, plugins: [whiskerPlugin],
      options: {
        scales: { y: { min: 0, max: 100, title: { display: true, text: 'runs with a non-finite value, %' } } },
        plugins: { tooltip: { callbacks: { label: ctx => {
          const w = ctx.dataset.whiskers[ctx.dataIndex];
          return ctx.dataset.label + ': ' + num(ctx.raw, 1) + '% (' + ctx.dataset.runs[ctx.dataIndex] + '), 95% CI ' +
                 num(w[0], 1) + '-' + num(w[1], 1) + '%';
        } } } },
      },
    }, 'Whiskers: 95% Wilson score interval.');
  }

  // Runs spread sideways inside their arm's column (a fixed, seed-based jitter: the same
  // study draws the same picture).
  function jitter(run) { return ((run.seed * 0.618034) % 1 - 0.5) * 0.5; }

  function armAxis(arms, label) {
    // One tick per arm, at its integer position (a linear axis would start its ticks at min).
    return { type: 'linear', min: -0.5, max: arms.length - 0.5,
             afterBuildTicks: axis => { axis.ticks = arms.map((a, i) => ({ value: i })); },
             ticks: { autoSkip: false, maxRotation: 50, callback: v => (arms[v] ? label(arms[v]) : '') },
             grid: { display: false } };
  }

  function stripChart(grid, name, title, arms, label, datasets, yTitle, note, yScale) {
    chartCard(grid, name, title, {
      type: 'scatter', data: { datasets }, plugins: [whiskerPlugin],
      options: {
        parsing: false,
        scales: { x: armAxis(arms, label), y: Object.assign({ title: { display: true, text: yTitle } }, yScale || {}) },
        plugins: { tooltip: { callbacks: { label: ctx => ctx.raw.text || num(ctx.raw.y) } } },
      },
    }, note, arms.length > kNarrowArms);
  }

  function drawFirstSteps(grid, arms, runs, indexOf, label) {
    const points = runs.filter(r => r.nonfinite_step !== null && r.nonfinite_step !== undefined)
                       .map(r => ({ x: indexOf(r) + jitter(r), y: r.nonfinite_step,
                                    text: r.id + ': step ' + r.nonfinite_step + (r.cause ? ' (' + r.cause + ')' : '') }));
    stripChart(grid, 'first-steps', 'First non-finite step per run', arms, label,
               [{ label: 'run', data: points, backgroundColor: bad, pointRadius: 4 }], 'step',
               points.length ? points.length + ' of ' + runs.length + ' runs met a non-finite value'
                             : 'No run met a non-finite value.', { beginAtZero: true });
  }

  function drawCauses(grid, arms, label) {
    const causes = [...new Set(arms.flatMap(a => Object.keys(a.causes || {})))].sort();
    const datasets = causes.map((c, i) => ({ label: c, data: arms.map(a => (a.causes || {})[c] || 0),
                                             backgroundColor: palette[i % palette.length] }));
    datasets.push({ label: 'finite throughout', data: arms.map(a => a.runs - a.nonfinite - a.failed), backgroundColor: '#c9ced8' });
    if (arms.some(a => a.failed)) datasets.push({ label: 'failed (see the log)', data: arms.map(a => a.failed), backgroundColor: '#3c4043' });
    chartCard(grid, 'causes', 'Causes of the non-finite values (runs)', {
      type: 'bar', data: { labels: arms.map(label), datasets },
      options: { scales: { x: { stacked: true, ticks: { autoSkip: false, maxRotation: 50 } },
                           y: { stacked: true, beginAtZero: true, title: { display: true, text: 'runs' } } } },
    }, 'The forensics cause of each run\'s first non-finite value.', arms.length > kNarrowArms);
  }

  function drawAccuracy(grid, arms, runs, indexOf, label, key, title) {
    const points = runs.filter(r => r.metrics && isNumber(r.metrics[key]))
                       .map(r => ({ x: indexOf(r) + jitter(r), y: r.metrics[key], text: r.id + ': ' + num(r.metrics[key], 4) }));
    const withMean = arms.map((a, i) => [a, i]).filter(([a]) => a[key]);
    const means = { label: 'mean ± std', data: withMean.map(([a, i]) => ({ x: i, y: a[key].mean,
                    text: label(a) + ': mean ' + num(a[key].mean, 4) + ' ± ' + num(a[key].std, 4) + ' (' + a[key].n + ' runs)' })),
                    whiskers: withMean.map(([a]) => [a[key].mean - a[key].std, a[key].mean + a[key].std]),
                    pointStyle: 'rectRot', pointRadius: 7, backgroundColor: '#1d2330' };
    // Both metrics are >= 0; δ1 is a fraction.
    stripChart(grid, 'accuracy-' + key, title, arms, label,
               [{ label: 'run', data: points, backgroundColor: palette[0] + 'aa', pointRadius: 3.5 }, means], key,
               points.length ? null : 'No run has held-out metrics.', key === 'd1' ? { min: 0, max: 1 } : { min: 0 });
  }

  if (data.kind === 'run') drawRun(); else drawStudy();
  document.body.dataset.rendered = 'true';
})();

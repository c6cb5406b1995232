// The supervisor's reports page: GET /api/reports with the filters, shown as cards, two charts (Chart.js, vendored
// under /lib/chartjs) and a table; the same numbers as CSV. Agents are told the page is for supervisors (the API says 403).
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const ui = {
    denied: $('reports-denied'), filters: $('reports-filters'), error: $('reports-error'), body: $('reports-body'),
    from: $('f-from'), to: $('f-to'), group: $('f-group'), channel: $('f-channel'), skill: $('f-skill'), agent: $('f-agent'),
    csv: $('reports-csv'), range: $('reports-range'), cards: $('reports-cards'), table: $('reports-table'),
  };
  const charts = {};

  // The numbers on the cards, in order (names as the API gives them).
  const CARDS = ['conversations', 'firstResponseSeconds', 'responseSeconds', 'answeredInTarget', 'waitSeconds',
    'handlingSeconds', 'resolutionSeconds', 'transfers', 'csat', 'ratingAverage', 'followUpsSent', 'followUpsSkipped'];
  const SHARES = new Set(['answeredInTarget', 'firstResponseInTarget', 'csat']);

  async function api(url, accept) {
    const res = await fetch(url, { headers: { Accept: accept || 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) {
      let reason = L(`服务器返回 ${res.status}。`, `The server answered ${res.status}.`);
      try { const data = await res.json(); if (data && data.error) reason = data.error; } catch (e) { /* not JSON */ }
      const err = new Error(reason);
      err.status = res.status;
      throw err;
    }
    return accept === 'text/csv' ? res.blob() : res.json();
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // The server names each number in both languages ("会话数 Conversations", as the CSV shows them): the page shows one.
  function one(label) {
    const m = /^(\S*[\u4e00-\u9fff]\S*) (.+)$/.exec(String(label));
    return m ? L(m[1], m[2]) : label;
  }

  function show(name, value) {
    if (value === null || value === undefined) return '–';
    if (SHARES.has(name)) return (value * 100).toFixed(1) + '%';
    return String(value);
  }

  // Days of the shop's calendar (its time zone), as the report counts them.
  function iso(date) {
    return window.shopDay(date);
  }

  function query() {
    const q = new URLSearchParams({ from: ui.from.value, to: ui.to.value, groupBy: ui.group.value });
    if (ui.channel.value) q.set('channel', ui.channel.value);
    if (ui.skill.value) q.set('skill', ui.skill.value);
    if (ui.agent.value) q.set('agentId', ui.agent.value);
    return q.toString();
  }

  function fill(select, items) {
    for (const item of items) {
      const option = el('option', null, item.label);
      option.value = item.value;
      select.appendChild(option);
    }
  }

  function renderCards(report) {
    const labels = Object.fromEntries(report.metrics.map((m) => [m.name, one(m.label)]));
    ui.cards.replaceChildren(...CARDS.map((name) => {
      const card = el('div', 'reports-card');
      card.dataset.metric = name;
      card.append(el('div', 'label', labels[name]), el('div', 'value', show(name, report.total[name])));
      card.lastChild.setAttribute('data-testid', 'reports-total-' + name);
      return card;
    }));
  }

  function renderTable(report) {
    const head = el('thead');
    const headRow = el('tr');
    headRow.appendChild(el('th', null, ({ day: L('日期', 'Day'), hour: L('时段', 'Hour'), agent: L('客服', 'Agent'), skill: L('技能组', 'Skill'), channel: L('渠道', 'Channel') })[report.groupBy]));
    for (const m of report.metrics) headRow.appendChild(el('th', null, one(m.label)));
    head.appendChild(headRow);
    const body = el('tbody');
    const line = (label, values, className) => {
      const tr = el('tr', className);
      tr.appendChild(el('td', null, label));
      for (const m of report.metrics) tr.appendChild(el('td', null, show(m.name, values[m.name])));
      body.appendChild(tr);
    };
    for (const row of report.rows) line(row.key === '' ? one(row.label) : row.label, row.values);
    line(L('合计', 'Total'), report.total, 'total');
    ui.table.replaceChildren(head, body);
  }

  function chart(id, config) {
    if (charts[id]) charts[id].destroy();
    charts[id] = new window.Chart($(id), config);
  }

  function renderCharts(report) {
    const labels = report.rows.map((r) => r.label);
    const series = (name, scale) => report.rows.map((r) => (r.values[name] === null ? null : r.values[name] * (scale || 1)));
    const common = { responsive: true, maintainAspectRatio: false, animation: false, interaction: { mode: 'index', intersect: false } };
    chart('chart-volume', {
      data: {
        labels,
        datasets: [
          { type: 'bar', label: L('客户提问', 'Customer turns'), data: series('turns'), backgroundColor: '#93b4f5', yAxisID: 'y' },
          { type: 'bar', label: L('会话', 'Conversations'), data: series('conversations'), backgroundColor: '#2563eb', yAxisID: 'y' },
          { type: 'line', label: L('响应达标率 %', 'Answered in target %'), data: series('answeredInTarget', 100), borderColor: '#12b76a', backgroundColor: '#12b76a', yAxisID: 'share', spanGaps: true },
        ],
      },
      options: { ...common, scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, share: { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false } } } },
    });
    chart('chart-times', {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { label: L('平均首响(秒)', 'Avg first response (s)'), data: series('firstResponseSeconds'), backgroundColor: '#f79009' },
          { label: L('平均响应(秒)', 'Avg response (s)'), data: series('responseSeconds'), backgroundColor: '#ef6820' },
          { label: L('平均排队(秒)', 'Avg wait (s)'), data: series('waitSeconds'), backgroundColor: '#98a2b3' },
        ],
      },
      options: { ...common, scales: { y: { beginAtZero: true } } },
    });
  }

  // Only the newest request's answer is shown: an earlier one that comes back later (the first load, a slow range) is dropped.
  let loads = 0;

  async function load() {
    const mine = ++loads;
    ui.error.hidden = true;
    try {
      const report = await api('/api/reports?' + query());
      if (mine !== loads) return;
      const target = report.responseTargetSeconds;
      ui.range.textContent = L(`${report.from} – ${report.to}（店铺时区 ${report.timeZone}）· 响应目标 ${target} 秒`, `${report.from} – ${report.to} (shop time zone ${report.timeZone}) · response target ${target} s`);
      renderCards(report);
      renderCharts(report);
      renderTable(report);
      ui.body.hidden = false;
      document.body.dataset.loaded = 'true';
    } catch (err) {
      if (mine !== loads) return;
      ui.error.textContent = err.message;
      ui.error.hidden = false;
    }
  }

  async function downloadCsv() {
    ui.error.hidden = true;
    try {
      const blob = await api('/api/reports?' + query(), 'text/csv');
      const link = el('a');
      link.href = URL.createObjectURL(blob);
      link.download = `report-${ui.from.value}-${ui.to.value}-${ui.group.value}.csv`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    } catch (err) {
      ui.error.textContent = err.message;
      ui.error.hidden = false;
    }
  }

  async function start() {
    await window.deskSettings; // the shop's time zone
    let me;
    try {
      me = await api('/api/agents/me');
    } catch (err) {
      ui.denied.textContent = err.status === 401 ? L('请先在工作台登录。', 'Please sign in at the desk first.') : err.message;
      ui.denied.hidden = false;
      return;
    }

    if (me.role !== 'supervisor') {
      ui.denied.textContent = L('报表仅供主管查看。', 'Reports are for supervisors only.');
      ui.denied.hidden = false;
      return;
    }

    const today = new Date();
    const weekAgo = new Date(today.getTime() - 6 * 86400000);
    ui.from.value = iso(weekAgo);
    ui.to.value = iso(today);
    // Listening before the form is shown: a click on Apply never submits the form as a page load (losing what was typed).
    ui.filters.addEventListener('submit', (e) => { e.preventDefault(); load(); });
    ui.csv.addEventListener('click', downloadCsv);
    // The filters' choices: the channel instances, every queue and every agent; the form is shown once they are there.
    const [plugins, queues] = await Promise.all([api('/api/plugins').catch(() => []), api('/api/queues').catch(() => null)]);
    fill(ui.channel, (plugins || []).filter((p) => p.channelType).map((p) => ({ value: p.id, label: p.id })));
    if (queues) {
      fill(ui.skill, queues.transferQueues.map((s) => ({ value: s, label: s })));
      fill(ui.agent, queues.transferAgents.map((a) => ({ value: a.id, label: a.displayName })));
    }

    ui.filters.hidden = false;
    await load();
  }

  start();
})();

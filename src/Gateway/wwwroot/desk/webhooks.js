// The supervisor's webhooks page: the shop's endpoints (GET /api/webhooks) with their state, events and failed count;
// add, edit, rotate the secret, send a test, replay failed deliveries, enable again and delete. A secret is shown once.
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const ui = {
    denied: $('wh-denied'), body: $('wh-body'), add: $('wh-add'), form: $('wh-form'), url: $('wh-url'), desc: $('wh-desc'),
    events: $('wh-event-list'), cancel: $('wh-cancel'), error: $('wh-error'), secret: $('wh-secret'), table: $('wh-table'),
    deliveries: $('wh-deliveries'), deliveriesTitle: $('wh-deliveries-title'), deliveriesTable: $('wh-deliveries-table'),
  };

  const EVENTS = [
    ['conversation.created', '会话创建', 'Conversation created'],
    ['conversation.assigned', '会话分配', 'Conversation assigned'],
    ['conversation.transferred', '会话转接', 'Conversation transferred'],
    ['conversation.closed', '会话结束（含评分）', 'Conversation closed (with rating)'],
    ['message.created', '新消息（客户与客服）', 'Message created (customer and agent)'],
    ['message.failed', '消息发送失败', 'Message delivery failed'],
    ['followup.sent', '跟进已发送', 'Follow-up sent'],
    ['followup.skipped', '跟进已跳过', 'Follow-up skipped'],
    ['contact.merged', '联系人合并', 'Contact merged'],
  ];

  let editing = null;

  async function api(method, url, body) {
    const init = { method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(url, init);
    if (!res.ok) {
      let reason = L(`服务器返回 ${res.status}。`, `The server answered ${res.status}.`);
      try { const data = await res.json(); if (data && data.error) reason = data.error; } catch (e) { /* not JSON */ }
      const err = new Error(reason);
      err.status = res.status;
      throw err;
    }
    return res.status === 204 ? null : res.json();
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function button(text, testid, onClick, primary) {
    const b = el('button', 'btn btn-sm ' + (primary ? 'btn-primary' : 'btn-ghost'), text);
    b.type = 'button';
    b.dataset.testid = testid;
    b.addEventListener('click', () => run(onClick));
    return b;
  }

  function eventName(name) {
    const e = EVENTS.find((x) => x[0] === name);
    return e ? L(e[1], e[2]) : name;
  }

  function when(iso) {
    return iso ? (window.shopDate ? window.shopDate(iso) : new Date(iso).toLocaleString()) : '';
  }

  function fail(err) {
    ui.error.textContent = err.message;
    ui.error.hidden = false;
  }

  async function run(action) {
    ui.error.hidden = true;
    try { await action(); } catch (err) { fail(err); }
  }

  function showSecret(secret, rotated) {
    ui.secret.replaceChildren(
      el('div', null, rotated
        ? L('新的签名密钥（只显示这一次，请保存到接收方；旧密钥在过渡期内仍会一起签名）：', 'The new signing secret (shown this once: store it at the receiver; the old one keeps signing alongside during the overlap):')
        : L('签名密钥（只显示这一次，请保存到接收方）：', 'The signing secret (shown this once: store it at the receiver):')),
      el('code', null, secret));
    ui.secret.hidden = false;
  }

  function openForm(webhook) {
    editing = webhook;
    ui.url.value = webhook ? webhook.url : '';
    ui.desc.value = webhook && webhook.description ? webhook.description : '';
    ui.events.replaceChildren(...EVENTS.map(([name]) => {
      const label = el('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = name;
      box.checked = webhook ? webhook.events.includes(name) : true;
      label.append(box, el('span', null, eventName(name)), el('code', null, name));
      return label;
    }));
    ui.form.hidden = false;
    ui.url.focus();
  }

  async function save(event) {
    event.preventDefault();
    const body = {
      url: ui.url.value.trim(),
      description: ui.desc.value.trim(),
      events: [...ui.events.querySelectorAll('input:checked')].map((b) => b.value),
    };
    await run(async () => {
      if (editing) {
        await api('PUT', `/api/webhooks/${editing.id}`, body);
      } else {
        const created = await api('POST', '/api/webhooks', body);
        showSecret(created.secret, false);
      }
      ui.form.hidden = true;
      editing = null;
      await load();
    });
  }

  async function showDeliveries(webhook) {
    const list = await api('GET', `/api/webhooks/${webhook.id}/deliveries?status=failed`);
    ui.deliveriesTitle.textContent = L(`发送失败 · ${webhook.url}`, `Failed deliveries · ${webhook.url}`);
    const head = el('tr');
    for (const h of [L('事件', 'Event'), 'webhook-id', L('尝试次数', 'Attempts'), L('最后结果', 'Last result'), L('最后尝试', 'Last attempt'), '']) head.append(el('th', null, h));
    const rows = [el('thead')];
    rows[0].append(head);
    const tbody = el('tbody');
    if (list.length === 0) {
      const tr = el('tr');
      const td = el('td', null, L('没有失败的发送。', 'No failed deliveries.'));
      td.colSpan = 6;
      tr.append(td);
      tbody.append(tr);
    }
    for (const d of list) {
      const tr = el('tr');
      tr.dataset.testid = 'webhooks-delivery-row';
      tr.append(el('td', null, eventName(d.type)), el('td', null, d.webhookId), el('td', null, d.attempts),
        el('td', null, d.lastError || d.lastStatusCode || ''), el('td', null, when(d.lastAttemptAt)));
      const actions = el('td', 'wh-actions');
      actions.append(button(L('重发', 'Replay'), 'webhooks-replay-one', async () => {
        await api('POST', `/api/webhooks/${webhook.id}/deliveries/${d.id}/replay`);
        await load();
        await showDeliveries(webhook);
      }));
      tr.append(actions);
      tbody.append(tr);
    }
    rows.push(tbody);
    ui.deliveriesTable.replaceChildren(...rows);
    ui.deliveries.hidden = false;
  }

  function render(list) {
    const thead = el('thead');
    const head = el('tr');
    for (const h of [L('接收地址', 'URL'), L('事件', 'Events'), L('状态', 'State'), L('待发送', 'Pending'), L('失败', 'Failed'), '']) head.append(el('th', null, h));
    thead.append(head);
    const tbody = el('tbody');
    if (list.length === 0) {
      const tr = el('tr');
      const td = el('td', null, L('还没有端点。点击“添加端点”，让店铺的系统接收事件。', 'No endpoints yet. Add one to have the shop\'s systems receive events.'));
      td.colSpan = 6;
      tr.append(td);
      tbody.append(tr);
    }
    for (const w of list) {
      const tr = el('tr');
      tr.dataset.testid = 'webhooks-row';
      const url = el('td');
      url.append(el('div', null, w.url));
      if (w.description) url.append(el('div', 'reports-note', w.description));
      const state = el('td');
      if (w.enabled) {
        state.append(el('span', 'wh-state-on', L('启用', 'Enabled')));
        if (w.failingSince) state.append(el('div', 'reports-note', L(`自 ${when(w.failingSince)} 起一直失败`, `Failing since ${when(w.failingSince)}`)));
      } else {
        state.append(el('span', 'wh-state-off', L('已停用', 'Disabled')));
        state.append(el('div', 'reports-note', w.disabledReason || L('由主管停用', 'Disabled by a supervisor')));
      }
      if (w.previousSecretUntil) state.append(el('div', 'reports-note', L(`旧密钥签名至 ${when(w.previousSecretUntil)}`, `Old secret signs until ${when(w.previousSecretUntil)}`)));
      const actions = el('td', 'wh-actions');
      actions.append(
        button(L('编辑', 'Edit'), 'webhooks-edit', async () => openForm(w)),
        button(L('发送测试', 'Send test'), 'webhooks-test', async () => { await api('POST', `/api/webhooks/${w.id}/test`); await load(); }),
        button(L('更换密钥', 'Rotate secret'), 'webhooks-rotate', async () => {
          if (!confirm(L('生成新密钥？旧密钥将在 24 小时内继续一起签名。', 'Make a new secret? The old one keeps signing alongside for 24 hours.'))) return;
          const rotated = await api('POST', `/api/webhooks/${w.id}/rotate-secret`);
          showSecret(rotated.secret, true);
          await load();
        }),
        button(L('失败列表', 'Failed list'), 'webhooks-failed', async () => showDeliveries(w)),
        button(L('全部重发', 'Replay failed'), 'webhooks-replay', async () => {
          const r = await api('POST', `/api/webhooks/${w.id}/replay-failed`);
          ui.secret.replaceChildren(el('div', null, L(`已重新排队 ${r.replayed} 个事件。`, `${r.replayed} events queued again.`)));
          ui.secret.hidden = false;
          await load();
        }));
      if (!w.enabled) actions.append(button(L('启用', 'Enable'), 'webhooks-enable', async () => { await api('POST', `/api/webhooks/${w.id}/enable`); await load(); }, true));
      actions.append(button(L('删除', 'Delete'), 'webhooks-delete', async () => {
        if (!confirm(L(`删除 ${w.url}？它的发送记录也会删除。`, `Delete ${w.url}? Its deliveries are deleted too.`))) return;
        await api('DELETE', `/api/webhooks/${w.id}`);
        ui.deliveries.hidden = true;
        await load();
      }));
      tr.append(url, el('td', null, w.events.map(eventName).join(L('、', ', '))), state, el('td', null, w.pending), el('td', null, w.failed), actions);
      tbody.append(tr);
    }
    ui.table.replaceChildren(thead, tbody);
  }

  async function load() {
    render(await api('GET', '/api/webhooks'));
  }

  ui.add.addEventListener('click', () => openForm(null));
  ui.cancel.addEventListener('click', () => { ui.form.hidden = true; editing = null; });
  ui.form.addEventListener('submit', save);

  (async () => {
    try {
      await load();
      ui.body.hidden = false;
    } catch (err) {
      ui.denied.textContent = err.status === 403
        ? L('只有主管可以管理 Webhook。', 'Only supervisors manage webhooks.')
        : err.status === 401 ? L('请先在工作台登录。', 'Sign in on the desk first.') : err.message;
      ui.denied.hidden = false;
    }
  })();
})();

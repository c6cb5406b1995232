// Start a conversation with the open conversation's contact (e.g. to call back as promised): the agent picks one of the
// customer's channels and writes the first message; the gateway checks the channel's rules (opt-outs, windows) and
// answers with its reason when it may not. The conversation it answers with (new, or the customer's open one) opens.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const thread = $('thread');
  const open = $('start-open');
  const form = $('start-form');
  const channel = $('start-channel');
  const text = $('start-text');
  const error = $('start-error');
  const send = $('start-send');
  if (!open || !form || !thread) return;
  let contactId = null;

  async function call(method, url, body) {
    const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    const res = await fetch(url, init);
    let data = null;
    try { data = await res.json(); } catch { data = null; }
    if (!res.ok) throw new Error(data && data.error ? data.error : L(`服务器返回 ${res.status}`, `The server answered ${res.status}.`));
    return data;
  }

  function hide() {
    form.hidden = true;
    open.setAttribute('aria-expanded', 'false');
    error.hidden = true;
  }

  open.addEventListener('click', async () => {
    if (!form.hidden) { hide(); return; }
    const id = thread.dataset.conversationId;
    if (!id) return;
    error.hidden = true;
    while (channel.firstChild) channel.removeChild(channel.firstChild);
    try {
      const c = await call('GET', `/api/conversations/${encodeURIComponent(id)}`);
      contactId = c.contact && c.contact.id;
      for (const r of c.replyChannels || []) {
        const o = document.createElement('option');
        o.value = r.id;
        o.textContent = r.label;
        channel.appendChild(o);
      }
      if (!channel.options.length) throw new Error(L('这位客户没有可发送的渠道', 'The customer has no channel a message can go out on.'));
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
    form.hidden = false;
    open.setAttribute('aria-expanded', 'true');
    text.focus();
  });
  $('start-cancel').addEventListener('click', hide);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!contactId || !channel.value || !text.value.trim()) return;
    send.disabled = true;
    error.hidden = true;
    try {
      const c = await call('POST', `/api/contacts/${encodeURIComponent(contactId)}/conversations`, { identityId: channel.value, text: text.value });
      text.value = '';
      hide();
      // The desk lists it once its assignment arrives live: then it opens.
      for (let i = 0; i < 50; i++) {
        const item = document.querySelector(`[data-testid="desk-conversation"][data-conversation-id="${c.id}"]`);
        if (item) { item.click(); break; }
        await new Promise((r) => setTimeout(r, 100));
      }
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      send.disabled = false;
    }
  });
})();

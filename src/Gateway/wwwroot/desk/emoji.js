// The composer's emoji picker: a small grid of the emoji shop service uses most, in groups; a click (or Enter) puts one at
// the caret of the reply, Esc closes, the arrow keys move in the grid.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const ui = { open: $('emoji-open'), picker: $('emoji-picker'), reply: $('reply') };
  if (!ui.open || !ui.picker || !ui.reply) return;

  const GROUPS = [
    { zh: '表情', en: 'Smileys', list: '😊 😄 😁 😂 🤣 😅 😉 😍 🥰 😘 😋 😎 🤔 😮 😢 😭 😳 🙄 🤗 🤩 😇 🥺 😴 😌' },
    { zh: '手势', en: 'Hands', list: '👍 👌 🙏 🤝 👏 💪 ✌️ 👋 🙌 🤞 👉 ☝️ 🙇‍♀️ 🙇‍♂️ 🙋‍♀️ 🤷‍♀️' },
    { zh: '心意', en: 'Thanks', list: '❤️ 💕 💖 🌹 🌸 💐 ✨ 🎉 🎊 🎁 🎈 🔥 💯 ⭐ 🌟 ☀️' },
    { zh: '购物', en: 'Shopping', list: '📦 🚚 ✈️ 🏠 🛒 🛍️ 💰 💴 💳 🧾 🏷️ 📏 👗 👕 👟 👜 💄 📱' },
    { zh: '其他', en: 'Other', list: '✅ ❌ ⚠️ ❓ ❗ ⏰ 📞 💬 📷 🔗 🆗 🆕' },
  ];

  let built = false;
  function build() {
    built = true;
    for (const g of GROUPS) {
      const title = document.createElement('div');
      title.className = 'emoji-group';
      title.textContent = L(g.zh, g.en);
      ui.picker.appendChild(title);
      const grid = document.createElement('div');
      grid.className = 'emoji-grid';
      grid.setAttribute('role', 'group');
      grid.setAttribute('aria-label', L(g.zh, g.en));
      for (const emoji of g.list.split(' ')) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'emoji';
        b.textContent = emoji;
        b.setAttribute('data-testid', 'desk-emoji');
        b.setAttribute('data-emoji', emoji);
        b.setAttribute('aria-label', emoji);
        b.tabIndex = -1;
        b.addEventListener('mousedown', (e) => e.preventDefault()); // the reply keeps its caret
        b.addEventListener('click', () => insert(emoji));
        grid.appendChild(b);
      }
      ui.picker.appendChild(grid);
    }
  }

  const buttons = () => Array.from(ui.picker.querySelectorAll('.emoji'));

  function setOpen(open) {
    if (open && !built) build();
    ui.picker.hidden = !open;
    ui.open.setAttribute('aria-expanded', String(open));
    if (open) {
      const first = buttons()[0];
      buttons().forEach((b) => { b.tabIndex = b === first ? 0 : -1; });
      if (first) first.focus();
    }
  }

  function insert(emoji) {
    const r = ui.reply;
    if (r.disabled) { setOpen(false); return; }
    const start = r.selectionStart ?? r.value.length;
    const end = r.selectionEnd ?? r.value.length;
    r.value = r.value.slice(0, start) + emoji + r.value.slice(end);
    setOpen(false);
    r.focus();
    r.setSelectionRange(start + emoji.length, start + emoji.length);
    r.dispatchEvent(new Event('input', { bubbles: true }));
  }

  ui.open.addEventListener('mousedown', (e) => e.preventDefault());
  ui.open.addEventListener('click', () => setOpen(ui.picker.hidden));
  ui.picker.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { e.preventDefault(); setOpen(false); ui.reply.focus(); return; }
    const list = buttons();
    const at = list.indexOf(document.activeElement);
    if (at < 0) return;
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 8, ArrowUp: -8 }[e.key];
    if (!step) return;
    e.preventDefault();
    const next = list[Math.min(list.length - 1, Math.max(0, at + step))];
    list.forEach((b) => { b.tabIndex = b === next ? 0 : -1; });
    next.focus();
  });
  document.addEventListener('mousedown', (e) => {
    if (!ui.picker.hidden && !ui.picker.contains(e.target) && !ui.open.contains(e.target)) setOpen(false);
  });
})();

import { $, clear, h } from './dom.js';
import { humanType, worldDate } from './format.js';
import { state } from './state.js';

/** The feed's latest events since the page opened, newest first. */
export function renderRecent(): void {
  const list = clear($('recent'));
  if (!state.recent.length) {
    list.appendChild(h('li', { class: 'empty', text: 'No new events since the page opened.' }));
    return;
  }
  for (const r of state.recent) {
    const subject = (r.data && (r.data.permitNumber || r.data.country || r.data.decisionRef)) || r.stream;
    list.appendChild(
      h('li', null, [
        h('strong', { text: humanType(r.type) }),
        ' ',
        subject ? h('code', { text: subject }) : null,
        h('br'),
        h('span', {
          class: 'hint',
          text: `#${r.position} - in the world ${worldDate(r.effectiveAt)}` + (r.actor ? ` - ${r.actor.id} (${r.actor.role})` : ''),
        }),
      ]),
    );
  }
}

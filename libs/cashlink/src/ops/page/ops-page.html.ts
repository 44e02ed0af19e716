import type { CashlinkDeliveryRecord } from '../../event-log/cashlink-events.service';
import type { CashlinkReconciliation } from '../../idempotency/cashlink-reconciliation.types';
import type { CashlinkWebhookRecord } from '../../webhooks/cashlink-webhooks.service';
import type { CashlinkOpsCounts, CashlinkOpsIntent } from '../cashlink-ops.service';

/** Escapes text for HTML content and attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2430;background:#f5f6f8}
header{background:#1d2430;color:#fff;padding:10px 20px}header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:16px 20px;max-width:1200px}
h2{font-size:16px;margin:20px 0 8px}
.cards{display:flex;gap:8px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #d8dce3;border-radius:6px;padding:8px 12px;min-width:90px;text-decoration:none;color:inherit}
.card b{display:block;font-size:20px}.card.alert{border-color:#d33;background:#fff3f3}
table{border-collapse:collapse;background:#fff;width:100%;border:1px solid #d8dce3}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceef2;vertical-align:top}
th{background:#eceef2;font-weight:600}
.state{font-weight:600}.state-dead,.state-expired,.state-needs_review,.state-quarantined{color:#c22}
.state-processed,.state-succeeded{color:#17803d}
pre{background:#fff;border:1px solid #d8dce3;padding:8px;overflow:auto;max-height:320px}
form.action{display:inline-block;background:#fff;border:1px solid #d8dce3;border-radius:6px;padding:8px;margin:4px 8px 4px 0}
button{background:#1d4ed8;color:#fff;border:0;border-radius:4px;padding:5px 10px;cursor:pointer}
button.danger{background:#b91c1c}
.flash{background:#e7f6ec;border:1px solid #17803d;padding:8px;border-radius:6px}
.error{background:#fff3f3;border:1px solid #c22;padding:8px;border-radius:6px}
.muted{color:#667}
`;

export function page(base: string, title: string, body: string, flash?: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · Cashlink ops</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><header><a href="${esc(base)}">Cashlink ops</a> <span class="muted">· ${esc(title)}</span></header><main>
${flash ? `<p class="flash" role="status">${esc(flash)}</p>` : ''}${body}</main></body></html>`;
}

/** A POST form with the CSRF token and a confirmation checkbox the server checks too. */
export function actionForm(
  action: string,
  csrf: string,
  label: string,
  confirmText: string,
  fields = '',
  danger = false,
): string {
  return `<form class="action" method="post" action="${esc(action)}">
<input type="hidden" name="_csrf" value="${esc(csrf)}">${fields}
<label><input type="checkbox" name="confirm" value="yes" required> ${esc(confirmText)}</label>
<button type="submit"${danger ? ' class="danger"' : ''}>${esc(label)}</button></form>`;
}

function stateCell(state: string): string {
  return `<span class="state state-${esc(state)}">${esc(state)}</span>`;
}

export function dashboard(
  base: string,
  counts: CashlinkOpsCounts,
  intents: Array<{
    key: string;
    operation: string;
    state: string;
    attempts: number;
    createdAt: Date;
    reason: string | null;
  }>,
  webhooks: CashlinkWebhookRecord[],
  filter: { intents?: string; webhooks?: string },
  csrf: string,
  hasWebhooks: boolean,
  deliveries: CashlinkDeliveryRecord[] | undefined,
): string {
  const card = (kind: 'intents' | 'webhooks', state: string, n: number, alert: boolean) =>
    `<a class="card${alert && n > 0 ? ' alert' : ''}" href="${esc(base)}?${kind}=${esc(state)}" data-count="${kind}-${esc(state)}"><b>${n}</b>${esc(state)}</a>`;
  const intentRows = intents
    .map(
      (i) =>
        `<tr><td><a href="${esc(base)}/intents/${encodeURIComponent(i.key)}">${esc(i.key)}</a></td><td>${esc(i.operation)}</td><td>${stateCell(i.state)}</td><td>${i.attempts}</td><td>${esc(i.createdAt.toISOString())}</td><td>${esc(i.reason ?? '')}</td></tr>`,
    )
    .join('');
  const webhookRows = webhooks
    .map(
      (w) =>
        `<tr data-webhook="${esc(w.id)}"><td><a href="${esc(base)}/webhooks/${encodeURIComponent(w.id)}">${esc(w.id.slice(0, 8))}…</a></td><td>${stateCell(w.state)}</td><td>${esc(w.investmentId ?? '')}</td><td>${esc(w.status ?? '')}</td><td>${w.attempts}</td><td>${esc(w.lastError ?? '')}</td><td>${
          w.state === 'dead'
            ? actionForm(`${base}/webhooks/${encodeURIComponent(w.id)}/redispatch`, csrf, 'Replay', 'confirm')
            : ''
        }</td></tr>`,
    )
    .join('');
  return `<h2>Intents (durable writes)</h2><div class="cards">${Object.entries(counts.intents)
    .map(([s, n]) => card('intents', s, n, s === 'expired' || s === 'needs_review'))
    .join('')}</div>
<h2>Intents${filter.intents ? `: ${esc(filter.intents)}` : ' waiting for a person'} </h2>
<table><thead><tr><th>key</th><th>operation</th><th>state</th><th>attempts</th><th>recorded</th><th>reason</th></tr></thead><tbody>${
    intentRows || '<tr><td colspan="6" class="muted">none</td></tr>'
  }</tbody></table>
${
  hasWebhooks
    ? `<h2>Webhook inbox</h2><div class="cards">${Object.entries(counts.webhooks)
        .map(([s, n]) => card('webhooks', s, n, s === 'dead' || s === 'quarantined'))
        .join('')}</div>
<h2>Webhook rows${filter.webhooks ? `: ${esc(filter.webhooks)}` : ' waiting for a person'}</h2>
${
  (counts.webhooks.dead ?? 0) > 0
    ? actionForm(
        `${base}/webhooks/redispatch-dead`,
        csrf,
        'Replay every dead row',
        `replay all ${counts.webhooks.dead} dead rows`,
      )
    : ''
}
<table><thead><tr><th>id</th><th>state</th><th>investment</th><th>status</th><th>attempts</th><th>last error</th><th></th></tr></thead><tbody>${
        webhookRows || '<tr><td colspan="7" class="muted">none</td></tr>'
      }</tbody></table>`
    : ''
}${deliveries ? deliverySection(base, counts, deliveries, csrf) : ''}`;
}

/** Handler deliveries (`@OnCashlinkEvent`): counts, and the dead ones with a replay to that handler only. */
function deliverySection(
  base: string,
  counts: CashlinkOpsCounts,
  deliveries: CashlinkDeliveryRecord[],
  csrf: string,
): string {
  const rows = deliveries
    .map(
      (d) =>
        `<tr data-delivery="${d.eventId}:${esc(d.handler)}"><td>${d.eventId}</td><td>${esc(d.handler)}</td><td>${stateCell(d.state)}</td><td>${d.attempts}</td><td>${esc(d.lastError ?? '')}</td><td>${actionForm(
          `${base}/events/${d.eventId}/redispatch`,
          csrf,
          'Replay',
          'confirm',
          `<input type="hidden" name="handler" value="${esc(d.handler)}">`,
        )}</td></tr>`,
    )
    .join('');
  return `<h2>Event handlers (<code>@OnCashlinkEvent</code>)</h2><div class="cards">${Object.entries(
    counts.deliveries,
  )
    .map(
      ([s, n]) =>
        `<span class="card${s === 'dead' && n > 0 ? ' alert' : ''}" data-count="deliveries-${esc(s)}"><b>${n}</b>${esc(s)}</span>`,
    )
    .join('')}</div>
<h2>Handler deliveries waiting for a person</h2>
<table><thead><tr><th>event</th><th>handler</th><th>state</th><th>attempts</th><th>last error</th><th></th></tr></thead><tbody>${
    rows || '<tr><td colspan="6" class="muted">none</td></tr>'
  }</tbody></table>`;
}

export function intentDetail(
  base: string,
  intent: CashlinkOpsIntent,
  reconciliation: CashlinkReconciliation | null,
  csrf: string,
): string {
  const key = encodeURIComponent(intent.key);
  const awaiting = intent.state === 'expired' || intent.state === 'needs_review';
  const summary = `<table><tbody>
<tr><th>key</th><td>${esc(intent.key)}</td></tr><tr><th>operation</th><td>${esc(intent.operation)} (${esc(intent.method)} ${esc(intent.path)})</td></tr>
<tr><th>state</th><td>${stateCell(intent.state)}</td></tr><tr><th>attempts</th><td>${intent.attempts}</td></tr>
<tr><th>recorded</th><td>${esc(intent.createdAt.toISOString())}</td></tr><tr><th>settled</th><td>${esc(intent.settledAt?.toISOString() ?? '')}</td></tr>
<tr><th>reason</th><td>${esc(intent.lastError?.reason ?? intent.lastError?.message ?? '')}</td></tr>
${intent.resolution ? `<tr><th>resolution</th><td>${esc(intent.resolution.action)} by ${esc(intent.resolution.actor)} at ${esc(intent.resolution.createdAt.toISOString())}: ${esc(intent.resolution.reason)}${intent.resolution.newKey ? ` (new key ${esc(intent.resolution.newKey)})` : ''}${intent.resolution.objectId ? ` (object ${esc(intent.resolution.objectId)})` : ''}</td></tr>` : ''}
</tbody></table>
<h2>Request (personal data masked)</h2><pre>${esc(JSON.stringify(intent.request, null, 2))}</pre>
${intent.response ? `<h2>Answer</h2><pre>${esc(JSON.stringify(intent.response, null, 2))}</pre>` : ''}`;
  if (!awaiting) return summary;
  const reason = `<label>Reason <input name="reason" required size="40"></label>`;
  let candidates = `<p><a href="${esc(base)}/intents/${key}?reconcile=1">Look for candidates at Cashlink</a></p>`;
  if (reconciliation) {
    candidates = `<h2>Candidates at Cashlink</h2><p class="muted">lookup ${esc(reconciliation.lookup)}, window ${esc(reconciliation.window.from.toISOString())} .. ${esc(reconciliation.window.to.toISOString())}, ${reconciliation.scanned} objects read${reconciliation.note ? `; ${esc(reconciliation.note)}` : ''}</p>
<table><thead><tr><th>id</th><th>created</th><th>matched</th><th></th></tr></thead><tbody>${
      reconciliation.candidates
        .map(
          (c) =>
            `<tr><td>${esc(c.id)}</td><td>${esc(c.createdAt ?? '')}</td><td>${esc(c.matched.join(', '))}</td><td>${actionForm(
              `${base}/intents/${key}/resolve`,
              csrf,
              'Created: it is this one',
              'confirm',
              `<input type="hidden" name="action" value="created"><input type="hidden" name="objectId" value="${esc(c.id)}">${reason}`,
            )}</td></tr>`,
        )
        .join('') || '<tr><td colspan="4" class="muted">no candidate</td></tr>'
    }</tbody></table>`;
  }
  return `${summary}${candidates}<h2>Resolve</h2>
${actionForm(`${base}/intents/${key}/resolve`, csrf, 'Not created: send again', 'send it again under a new key', `<input type="hidden" name="action" value="send_again">${reason}`)}
${actionForm(`${base}/intents/${key}/resolve`, csrf, 'Abandon', 'abandon it', `<input type="hidden" name="action" value="abandoned">${reason}`, true)}`;
}

export function webhookDetail(base: string, row: CashlinkWebhookRecord, csrf: string): string {
  return `<table><tbody>${Object.entries(row)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v instanceof Date ? v.toISOString() : v)}</td></tr>`)
    .join('')}</tbody></table>${
    row.state === 'dead' || row.state === 'processed'
      ? actionForm(`${base}/webhooks/${encodeURIComponent(row.id)}/redispatch`, csrf, 'Replay', 'confirm')
      : ''
  }`;
}

// The auditor's page: reads the gateway's audit API with the token the
// auditor signs in with (kept in sessionStorage, so it dies with the tab),
// and checks what it is shown itself: an entry's hashes are recomputed here
// from its fields (gateway/audit/entry_bytes.hpp) and its inclusion proof is
// verified here with WebCrypto SHA-256 against the signed checkpoint's root
// (RFC 9162 §2.1.3.2), so the verdict does not rest on the server's word.
// Everything is built with textContent: no data is ever parsed as HTML.
'use strict';

(() => {
  const tokenKey = 'carebridge-audit-token';
  const pageSize = 25;
  const chartPages = 5;  // disclosures read for the chart: at most 5 pages of 1000
  const encoder = new TextEncoder();

  const $ = (id) => document.getElementById(id);
  const state = {
    filters: new URLSearchParams(),
    cursors: [''],  // the cursor of each page seen so far; the last is the current page's
    entries: new Map(),  // seq → entry, for the details dialog
    names: new Map(),    // ODS code → organisation name, from the API's answers
    publicKeyPem: '',
    publicKeyId: '',
    reportNhs: '',
    lastTrigger: null,
  };

  // ---- the API ------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(path, accept = 'application/json') {
    const token = sessionStorage.getItem(tokenKey);
    const response = await fetch(path, {
      headers: { Authorization: `Bearer ${token}`, Accept: accept },
      cache: 'no-store',
      credentials: 'omit',
    });
    if (response.status === 401) {
      signOut('The gateway refused the token. Sign in again.');
      throw new ApiError(401, 'signed out');
    }
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try {
        const outcome = await response.json();
        if (outcome.issue && outcome.issue[0] && outcome.issue[0].diagnostics) message = outcome.issue[0].diagnostics;
      } catch (_) { /* not an OperationOutcome */ }
      throw new ApiError(response.status, message);
    }
    return response;
  }

  const apiJson = async (path) => (await api(path)).json();

  function remember(organisations) {
    if (!organisations) return;
    for (const [code, name] of Object.entries(organisations)) {
      if (state.names.has(code)) continue;
      state.names.set(code, name);
      const option = document.createElement('option');
      option.value = code;
      option.label = name;
      $('known-organisations').append(option);
    }
  }

  const organisationLabel = (code) => (code ? (state.names.has(code) ? `${state.names.get(code)} (${code})` : code) : '');

  // ---- small DOM helpers ---------------------------------------------------

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function facts(list, pairs) {
    list.replaceChildren();
    for (const [term, value, className] of pairs) {
      if (value === undefined || value === null || value === '') continue;
      list.append(element('dt', term), element('dd', String(value), className));
    }
  }

  function download(text, type, name) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const link = element('a');
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ---- hashing, as the log does it -------------------------------------------

  const hexOf = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  function bytesOf(hex) {
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error('not hex');
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));
  const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  // The canonical entry bytes (version 1): each field as <length in bytes>:<value>\n.
  const entryFields = ['time', 'action', 'actor_organisation', 'actor_client', 'actor_role', 'patient', 'message_id',
    'referral_id', 'recipient', 'purpose', 'lawful_basis', 'consent_reference', 'outcome', 'detail', 'previous_hash'];
  function canonicalEntry(entry) {
    const parts = [encoder.encode('carebridge-audit-entry/1\n')];
    for (const name of entryFields) {
      const value = encoder.encode(entry[name] || '');
      parts.push(encoder.encode(`${value.length}:`), value, encoder.encode('\n'));
    }
    return concat(...parts);
  }

  // RFC 9162 §2.1.3.2, with arithmetic instead of bit operators so sizes past 2^31 work.
  async function verifyInclusion(leaf, index, size, path, root) {
    if (index >= size) return false;
    let fn = index;
    let sn = size - 1;
    let r = leaf;
    for (const p of path) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 && sameBytes(r, root);
  }

  // The checkpoint's Ed25519 signature, where this browser's WebCrypto has Ed25519; null when it cannot check.
  async function verifyCheckpointSignature(checkpoint, pem) {
    try {
      const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
      const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
      const key = await crypto.subtle.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
      const signed = `carebridge-audit-checkpoint/1\n${checkpoint.tree_size}\n${checkpoint.root_hash}\n${checkpoint.time}\n`;
      return await crypto.subtle.verify({ name: 'Ed25519' }, key, bytesOf(checkpoint.signature), encoder.encode(signed));
    } catch (_) {
      return null;
    }
  }

  // ---- signing in ----------------------------------------------------------------

  function showWorkspace(signedIn) {
    $('sign-in-section').hidden = signedIn;
    $('workspace').hidden = !signedIn;
    $('session').hidden = !signedIn;
  }

  function signOut(message) {
    sessionStorage.removeItem(tokenKey);
    showWorkspace(false);
    $('sign-in-error').textContent = message || '';
    $('token').value = '';
    $('token').focus();
  }

  async function signIn(event) {
    event.preventDefault();
    const token = $('token').value.trim();
    if (!token) {
      $('sign-in-error').textContent = 'Enter your token.';
      $('token').focus();
      return;
    }
    sessionStorage.setItem(tokenKey, token);
    try {
      await api('/audit/checkpoints/latest').catch((e) => { if (e.status !== 404) throw e; });
    } catch (e) {
      sessionStorage.removeItem(tokenKey);
      $('sign-in-error').textContent = e.status === 403 ? 'This token may not read the audit log.'
        : e.status === 401 ? 'The gateway refused the token.' : `Could not sign in: ${e.message}`;
      $('token').focus();
      return;
    }
    $('token').value = '';
    $('sign-in-error').textContent = '';
    start();
    $('main').focus();
  }

  function start() {
    showWorkspace(true);
    loadVerification(false);
    loadEvents();
    loadChart();
  }

  // ---- integrity badge and checkpoint -------------------------------------------

  async function loadVerification() {
    const badge = $('verification-badge');
    badge.className = 'badge badge-pending';
    badge.textContent = 'Checking the log…';
    $('verification-line').textContent = '';
    try {
      const [status, checkpoint] = await Promise.all([
        apiJson('/audit/verification'),
        apiJson('/audit/checkpoints/latest').catch((e) => { if (e.status === 404) return null; throw e; }),
      ]);
      if (status.status === 'intact') {
        badge.className = 'badge badge-intact';
        badge.textContent = `Log intact: all ${status.entries} entries check out`;
      } else if (status.status === 'tampered') {
        badge.className = 'badge badge-tampered';
        badge.textContent = status.first_bad ? `Log TAMPERED at entry ${status.first_bad}` : 'Log TAMPERED';
      } else {
        badge.className = 'badge badge-unknown';
        badge.textContent = 'The log could not be checked';
      }
      $('verification-line').textContent =
        `${status.line} (checked ${status.checked_at}${status.reused ? ', result reused' : ''}; rechecked at most every ${status.max_age_seconds} s)`;
      const pairs = [];
      if (checkpoint) {
        state.publicKeyPem = checkpoint.public_key_pem;
        state.publicKeyId = checkpoint.key_id;
        const signature = await verifyCheckpointSignature(checkpoint, checkpoint.public_key_pem);
        pairs.push(['Latest signed checkpoint', `${checkpoint.tree_size} entries`],
          ['Signed at', checkpoint.time],
          ['Root hash', checkpoint.root_hash, 'mono'],
          ['Signing key', checkpoint.key_id, 'mono'],
          ['Signature', signature === true ? 'valid (checked in this browser)'
            : signature === false ? 'NOT VALID (checked in this browser)'
              : checkpoint.signature_valid ? 'valid (checked by the gateway)' : 'NOT VALID (checked by the gateway)']);
      } else {
        pairs.push(['Latest signed checkpoint', 'none yet']);
      }
      facts($('checkpoint-facts'), pairs);
    } catch (e) {
      if (e.status === 401) return;
      badge.className = 'badge badge-unknown';
      badge.textContent = 'The log could not be checked';
      $('verification-line').textContent = e.message;
    }
  }

  // ---- the events table -------------------------------------------------------------

  function readFilters() {
    const form = $('filter-form');
    const params = new URLSearchParams();
    for (const name of ['nhs', 'organisation', 'recipient', 'action', 'outcome', 'from', 'to']) {
      const value = form.elements[name].value.trim();
      if (value) params.set(name, name === 'nhs' ? value.replace(/\s+/g, '') : value);
    }
    return params;
  }

  function eventsQuery(extra) {
    const params = new URLSearchParams(state.filters);
    for (const [k, v] of Object.entries(extra)) if (v !== '' && v !== undefined) params.set(k, v);
    return `/audit/events?${params}`;
  }

  function cell(row, label, content, className) {
    const td = element('td', null, className);
    td.dataset.label = label;
    if (content instanceof Node) td.append(content); else td.textContent = content || '';
    row.append(td);
    return td;
  }

  function actorCell(entry) {
    const wrap = element('div');  // one grid item beside the cell's label on narrow screens
    wrap.append(element('span', organisationLabel(entry.actor_organisation) || 'the gateway'));
    const who = [entry.actor_client, entry.actor_role].filter(Boolean).join(' · ');
    if (who) wrap.append(element('span', who, 'sub'));
    return wrap;
  }

  function renderEvents(page) {
    const body = $('events-body');
    body.replaceChildren();
    state.entries.clear();
    for (const entry of page.entries) {
      state.entries.set(entry.seq, entry);
      const row = element('tr');
      const open = element('button', `Event ${entry.seq}`);
      open.type = 'button';
      open.dataset.seq = entry.seq;
      open.setAttribute('aria-haspopup', 'dialog');
      cell(row, 'Entry', open);
      const time = element('time', entry.time);
      time.dateTime = entry.time;
      cell(row, 'Time (UTC)', time, 'nowrap');
      cell(row, 'Action', entry.action);
      cell(row, 'Outcome', entry.outcome, `outcome-${entry.outcome}`);
      cell(row, 'Actor', actorCell(entry));
      cell(row, 'Recipient', organisationLabel(entry.recipient));
      cell(row, 'NHS number', entry.patient, 'nowrap');
      cell(row, 'Purpose', entry.purpose);
      body.append(row);
    }
    const pageNumber = state.cursors.length;
    const count = page.entries.length;
    $('events-status').textContent = count === 0
      ? (pageNumber === 1 ? 'No events match these filters.' : 'No more events.')
      : `Showing ${count} event${count === 1 ? '' : 's'} (entries ${page.entries[count - 1].seq}–${page.entries[0].seq}), page ${pageNumber}.`;
    $('page-label').textContent = `Page ${pageNumber}`;
    $('newer-page').disabled = pageNumber === 1;
    $('older-page').disabled = !page.next;
    state.next = page.next;
  }

  async function loadEvents() {
    $('events-status').textContent = 'Loading…';
    try {
      const cursor = state.cursors[state.cursors.length - 1];
      const page = await apiJson(eventsQuery({ order: 'desc', limit: pageSize, after: cursor }));
      remember(page.organisations);
      renderEvents(page);
    } catch (e) {
      if (e.status === 401) return;
      $('events-body').replaceChildren();
      $('events-status').textContent = `Could not read the log: ${e.message}`;
    }
  }

  function search(event) {
    event.preventDefault();
    const params = readFilters();
    const nhs = params.get('nhs');
    if (nhs && !/^\d{10}$/.test(nhs)) {
      $('filter-error').textContent = 'An NHS number has 10 digits.';
      $('filter-nhs').focus();
      return;
    }
    $('filter-error').textContent = '';
    state.filters = params;
    state.cursors = [''];
    loadEvents().then(() => {
      if ($('events-status').textContent.startsWith('Could not')) $('filter-error').textContent = $('events-status').textContent;
    });
    loadChart();
  }

  async function exportEvents(accept, type, name) {
    try {
      const response = await api(eventsQuery({ limit: 1000 }), accept);
      download(await response.text(), type, name);
      $('events-status').textContent = `Downloaded ${name} (up to 1000 entries, oldest first).`;
    } catch (e) {
      if (e.status !== 401) $('events-status').textContent = `Could not export: ${e.message}`;
    }
  }

  // ---- an event's details ----------------------------------------------------------------

  async function openEvent(seq, trigger) {
    const entry = state.entries.get(seq);
    if (!entry) return;
    state.lastTrigger = trigger;
    state.current = entry;
    $('event-dialog-title').textContent = `Event ${entry.seq}: ${entry.action}`;
    facts($('event-facts'), [
      ['Time (UTC)', entry.time],
      ['Action', entry.action],
      ['Outcome', entry.outcome],
      ['Actor organisation', organisationLabel(entry.actor_organisation)],
      ['Actor client', entry.actor_client],
      ['Actor role', entry.actor_role],
      ['NHS number', entry.patient],
      ['Recipient', organisationLabel(entry.recipient)],
      ['Purpose', entry.purpose],
      ['Lawful basis', entry.lawful_basis],
      ['Consent', entry.consent_reference],
      ['Message', entry.message_id],
      ['Referral', entry.referral_id],
    ]);
    let detail = entry.detail || '';
    try { if (detail) detail = JSON.stringify(JSON.parse(detail), null, 2); } catch (_) { /* shown as stored */ }
    $('event-detail').textContent = detail || '(none)';
    const canonical = canonicalEntry(entry);
    const computed = hexOf(await sha256(canonical));
    facts($('event-hashes'), [
      ['Previous hash', entry.previous_hash],
      ['Hash', entry.hash],
      ['Leaf hash (computed here)', hexOf(await sha256(concat(Uint8Array.of(0), canonical)))],
      ['Contents match hash', computed === entry.hash ? 'yes (recomputed in this browser)' : 'NO: the entry was altered'],
    ]);
    const result = $('inclusion-result');
    result.textContent = '';
    result.className = 'inclusion';
    $('event-dialog').showModal();
    $('event-dialog-title').focus();
  }

  function closeEvent() {
    const dialog = $('event-dialog');
    if (dialog.open) dialog.close();
  }

  async function verifyCurrentInclusion() {
    const entry = state.current;
    const result = $('inclusion-result');
    result.className = 'inclusion';
    result.textContent = 'Checking…';
    const fail = (why) => {
      result.className = 'inclusion not-included';
      result.textContent = `NOT included: ${why}`;
    };
    try {
      const canonical = canonicalEntry(entry);
      if (hexOf(await sha256(canonical)) !== entry.hash) return fail('the entry does not match its own hash');
      const leaf = await sha256(concat(Uint8Array.of(0), canonical));
      const proof = await apiJson(`/audit/proof/${entry.seq}`);
      if (proof.leaf_index !== entry.seq - 1) return fail('the proof is for another entry');
      if (hexOf(leaf) !== proof.leaf_hash) return fail('the log holds a different leaf for this entry');
      const checkpoint = proof.checkpoint;
      if (proof.root_hash !== checkpoint.root_hash || proof.tree_size !== checkpoint.tree_size)
        return fail('the proof does not match its checkpoint');
      const ok = await verifyInclusion(leaf, proof.leaf_index, checkpoint.tree_size, proof.path.map(bytesOf),
        bytesOf(checkpoint.root_hash));
      if (!ok) return fail(`the proof does not lead to the root of checkpoint ${checkpoint.tree_size}`);
      // Only with the key the checkpoint names: one signed after a key rotation is left to the gateway's check.
      const signature = state.publicKeyPem && checkpoint.key_id === state.publicKeyId
        ? await verifyCheckpointSignature(checkpoint, state.publicKeyPem) : null;
      if (signature === false) return fail(`checkpoint ${checkpoint.tree_size}'s signature is not valid`);
      result.className = 'inclusion included';
      result.textContent = `Included in checkpoint ${checkpoint.tree_size} (signed ${checkpoint.time}); ` +
        `proof of ${proof.path.length} hashes verified in this browser` +
        (signature ? ', signature valid.' : '.');
    } catch (e) {
      if (e.status === 401) return;
      fail(e.message);
    }
  }

  // ---- the chart -------------------------------------------------------------------------

  const palette = ['#1d70b8', '#d4351c', '#00703c', '#6f3c97', '#b1560f', '#505a5f', '#912b88', '#28a197'];

  function weekOf(time) {  // the Monday (UTC) of the instant's week, YYYY-MM-DD
    const day = new Date(`${time.slice(0, 10)}T00:00:00Z`);
    day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
    return day.toISOString().slice(0, 10);
  }

  const svgNode = (tag, attributes, text) => {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attributes || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };

  function drawChart(counts, weeks, recipients) {
    const chart = $('chart');
    chart.replaceChildren();
    const table = $('chart-table');
    table.replaceChildren();
    if (weeks.length === 0) {
      chart.append(element('p', 'No disclosures match these filters.'));
      return;
    }
    const colour = new Map(recipients.map((r, i) => [r, palette[i % palette.length]]));
    const max = Math.max(...weeks.flatMap((w) => recipients.map((r) => counts.get(w).get(r) || 0)));
    const width = 720;
    const height = 300;
    const left = 48;
    const bottom = 48;
    const top = 16;
    const plotWidth = width - left - 12;
    const plotHeight = height - top - bottom;
    const svg = svgNode('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc' });
    svg.append(svgNode('title', { id: 'chart-title' }, 'Disclosures per recipient organisation per week'));
    const total = weeks.reduce((n, w) => n + recipients.reduce((m, r) => m + (counts.get(w).get(r) || 0), 0), 0);
    svg.append(svgNode('desc', { id: 'chart-desc' },
      `${total} disclosures to ${recipients.length} organisations over ${weeks.length} weeks; the table below the chart has the figures.`));
    const ticks = Math.min(max, 5);
    for (let i = 0; i <= ticks; i++) {
      const value = Math.round((max * i) / ticks);
      const y = top + plotHeight - (plotHeight * value) / max;
      svg.append(svgNode('line', { x1: left, x2: width - 12, y1: y, y2: y, stroke: '#b1b4b6', 'stroke-width': 1 }));
      svg.append(svgNode('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', 'font-size': 12, fill: '#0b0c0c' }, String(value)));
    }
    const group = plotWidth / weeks.length;
    const bar = Math.min(48, Math.max(2, (group * 0.8) / recipients.length));
    weeks.forEach((week, wi) => {
      const x0 = left + wi * group + (group - bar * recipients.length) / 2;
      recipients.forEach((recipient, ri) => {
        const n = counts.get(week).get(recipient) || 0;
        if (!n) return;
        const h = (plotHeight * n) / max;
        const rect = svgNode('rect', { x: x0 + ri * bar, y: top + plotHeight - h, width: bar - 1, height: h, fill: colour.get(recipient) });
        rect.append(svgNode('title', {}, `${organisationLabel(recipient)}, week of ${week}: ${n}`));
        svg.append(rect);
      });
      svg.append(svgNode('text', { x: x0 + (bar * recipients.length) / 2, y: height - bottom + 18, 'text-anchor': 'middle', 'font-size': 12, fill: '#0b0c0c' }, week));
    });
    svg.append(svgNode('line', { x1: left, x2: width - 12, y1: top + plotHeight, y2: top + plotHeight, stroke: '#0b0c0c', 'stroke-width': 2 }));
    chart.append(svg);
    const legend = element('ul', null, 'legend');
    legend.setAttribute('aria-label', 'Recipients');
    for (const recipient of recipients) {
      const item = element('li');
      const swatch = element('span', null, 'swatch');
      swatch.style.background = colour.get(recipient);
      item.append(swatch, document.createTextNode(organisationLabel(recipient)));
      legend.append(item);
    }
    chart.append(legend);

    const head = element('tr');
    head.append(element('th', 'Week of (Monday, UTC)'));
    for (const recipient of recipients) {
      const th = element('th', organisationLabel(recipient));
      th.scope = 'col';
      head.append(th);
    }
    const thead = element('thead');
    thead.append(head);
    const tbody = element('tbody');
    for (const week of weeks) {
      const row = element('tr');
      const th = element('th', week);
      th.scope = 'row';
      row.append(th);
      for (const recipient of recipients) row.append(element('td', String(counts.get(week).get(recipient) || 0)));
      tbody.append(row);
    }
    table.append(thead, tbody);
  }

  async function loadChart() {
    try {
      const counts = new Map();
      const recipients = new Set();
      let after = '';
      for (let page = 0; page < chartPages; page++) {
        const params = new URLSearchParams(state.filters);
        params.set('action', 'disclosed');
        params.set('outcome', 'success');
        params.set('limit', '1000');
        if (after) params.set('after', after);
        const result = await apiJson(`/audit/events?${params}`);
        remember(result.organisations);
        for (const entry of result.entries) {
          if (!entry.recipient) continue;
          const week = weekOf(entry.time);
          if (!counts.has(week)) counts.set(week, new Map());
          counts.get(week).set(entry.recipient, (counts.get(week).get(entry.recipient) || 0) + 1);
          recipients.add(entry.recipient);
        }
        if (!result.next) break;
        after = result.next;
      }
      drawChart(counts, [...counts.keys()].sort(), [...recipients].sort());
    } catch (e) {
      if (e.status === 401) return;
      $('chart').replaceChildren(element('p', `Could not draw the chart: ${e.message}`));
    }
  }

  // ---- who saw my data --------------------------------------------------------------------

  const reportVerb = { disclosed: 'Shared with', delivered: 'Delivered to', read: 'Viewed by' };

  async function showReport(event) {
    event.preventDefault();
    const nhs = $('report-nhs').value.replace(/\s+/g, '');
    const output = $('report-output');
    $('report-error').textContent = '';
    if (!/^\d{10}$/.test(nhs)) {
      $('report-error').textContent = 'An NHS number has 10 digits.';
      $('report-nhs').focus();
      return;
    }
    try {
      const report = await apiJson(`/audit/report?nhs=${nhs}&format=json`);
      remember(report.organisations);
      state.reportNhs = nhs;
      output.replaceChildren();
      output.append(element('h3', `Report for NHS number ${nhs}`),
        element('p', `Generated ${report.generated_at}. ${report.entries.length} event${report.entries.length === 1 ? '' : 's'}, oldest first.`));
      if (report.truncated) output.append(element('p', 'The report was cut short; export the log for the rest.', 'error-message'));
      if (report.entries.length) {
        const table = element('table');
        const head = element('tr');
        for (const title of ['When (UTC)', 'What', 'Who', 'By', 'Purpose', 'Lawful basis', 'Consent', 'Outcome', 'Log entry']) {
          const th = element('th', title);
          th.scope = 'col';
          head.append(th);
        }
        const thead = element('thead');
        thead.append(head);
        const tbody = element('tbody');
        for (const e of report.entries) {
          const read = e.action === 'read';
          const row = element('tr');
          for (const value of [e.time, reportVerb[e.action] || e.action,
            organisationLabel(read ? e.actor_organisation : e.recipient),
            read ? e.actor_client : organisationLabel(e.actor_organisation),
            e.purpose, e.lawful_basis, e.consent_reference, e.outcome, String(e.seq)]) row.append(element('td', value));
          tbody.append(row);
        }
        table.append(thead, tbody);
        output.append(table);
      }
      $('report-print').disabled = false;
      $('report-download').disabled = false;
    } catch (e) {
      if (e.status !== 401) $('report-error').textContent = `Could not make the report: ${e.message}`;
    }
  }

  function printReport() {
    document.body.classList.add('printing-report');
    window.print();
    document.body.classList.remove('printing-report');
  }

  async function downloadReport() {
    try {
      const response = await api(`/audit/report?nhs=${state.reportNhs}&format=html`, 'text/html');
      download(await response.text(), 'text/html', `who-saw-my-data-${state.reportNhs}.html`);
    } catch (e) {
      if (e.status !== 401) $('report-error').textContent = `Could not download the report: ${e.message}`;
    }
  }

  // ---- wiring ---------------------------------------------------------------------------------

  document.addEventListener('DOMContentLoaded', () => {
    $('sign-in-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', () => signOut('Signed out.'));
    $('recheck').addEventListener('click', () => loadVerification());
    $('filter-form').addEventListener('submit', search);
    $('filter-form').addEventListener('reset', () => setTimeout(() => {
      $('filter-error').textContent = '';
      state.filters = new URLSearchParams();
      state.cursors = [''];
      loadEvents();
      loadChart();
    }));
    $('older-page').addEventListener('click', () => {
      if (!state.next) return;
      state.cursors.push(state.next);
      loadEvents();
    });
    $('newer-page').addEventListener('click', () => {
      if (state.cursors.length > 1) state.cursors.pop();
      loadEvents();
    });
    $('events-body').addEventListener('click', (event) => {
      const button = event.target.closest('button[data-seq]');
      if (button) openEvent(Number(button.dataset.seq), button);
    });
    $('download-csv').addEventListener('click', () => exportEvents('text/csv', 'text/csv', 'carebridge-audit.csv'));
    $('download-fhir').addEventListener('click', () =>
      exportEvents('application/fhir+json', 'application/fhir+json', 'carebridge-audit-bundle.json'));
    $('event-dialog-close').addEventListener('click', closeEvent);
    $('event-dialog').addEventListener('close', () => {
      if (state.lastTrigger && document.contains(state.lastTrigger)) state.lastTrigger.focus();
    });
    $('verify-inclusion').addEventListener('click', verifyCurrentInclusion);
    $('report-form').addEventListener('submit', showReport);
    $('report-print').addEventListener('click', printReport);
    $('report-download').addEventListener('click', downloadReport);

    if (sessionStorage.getItem(tokenKey)) start();
    else showWorkspace(false);
  });
})();

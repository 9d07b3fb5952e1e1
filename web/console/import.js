// The console's bulk import: sends the chosen file as the request body (no multipart), then polls
// the job's progress until it ends, and offers the reject report.

const form = document.getElementById('import-form');
const input = document.getElementById('import-file');
const box = document.getElementById('import-progress');
const bar = document.getElementById('import-bar');
const status = document.getElementById('import-status');
const rejects = document.getElementById('import-rejects');
const zh = document.documentElement.lang !== 'en';
const t = (cn, en) => (zh ? cn : en);

function show(p) {
  const share = p.total_bytes ? Math.round((100 * p.bytes_read) / p.total_bytes) : 0;
  bar.value = p.done ? 100 : share;
  const counts = t(
    `已读 ${p.rows} 行：新增 ${p.inserted}，已有 ${p.unchanged}，拒收 ${p.rejected}`,
    `${p.rows} rows read: ${p.inserted} new, ${p.unchanged} already held, ${p.rejected} rejected`,
  );
  if (p.error) {
    status.textContent = `${t('导入失败：', 'The import failed: ')}${p.error}`;
    status.className = 'error';
  } else {
    status.textContent = p.done ? `${t('导入完成。', 'Import finished.')} ${counts}` : `${share}% · ${counts}`;
    status.className = p.done ? 'notice' : '';
  }
  status.dataset.done = String(p.done);
  if (p.done && !p.error) {
    rejects.href = p.rejects;
    rejects.hidden = false;
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const file = input.files[0];
  if (!file) return;
  box.hidden = false;
  rejects.hidden = true;
  status.className = '';
  status.textContent = t('正在上传…', 'Uploading…');
  const response = await fetch('/console/import', {
    method: 'POST',
    headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': form.dataset.csrf },
    body: file,
  });
  const answer = await response.json();
  if (!response.ok) {
    status.textContent = answer.error ? answer.error.message : String(response.status);
    status.className = 'error';
    status.dataset.code = answer.error ? answer.error.code : '';
    return;
  }
  for (;;) {
    const p = await (await fetch(answer.progress, { cache: 'no-store' })).json();
    show(p);
    if (p.done) break;
    await new Promise((r) => setTimeout(r, 300));
  }
});

// Shared by the unit and browser tests: the EDL1 test vectors (crates/qr/vectors/*.json), the edl
// binary, and running `edl verify` on a code with a vector's verifier inputs.

import { readFileSync, readdirSync, existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Purpose names of the vectors (`issued.purpose`) to codes (docs/qr-format.md §4). */
export const PURPOSE_CODES = {
  roadside: 1, business_window: 2, car_rental: 3, transport_company: 4, insurer: 5,
};

/** Every vector, parsed, sorted by file name. */
export function loadVectors() {
  const dir = join(ROOT, 'crates/qr/vectors');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`no test vectors in ${dir}`);
  return files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
}

export function fromHex(hex) {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error('not hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** RFC 3339 to whole seconds since 1970. */
export function seconds(rfc3339) {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms) || ms % 1000 !== 0) throw new Error(`not a whole-second time: ${rfc3339}`);
  return ms / 1000;
}

/** The `edl` binary: `EDL_BIN`, else target/debug/edl; a clear failure when it is missing. */
export function edlBin() {
  const bin = process.env.EDL_BIN || join(ROOT, 'target/debug/edl');
  if (!existsSync(bin)) {
    throw new Error(`the edl binary is not at ${bin}: build it (cargo build -p edl-cli) or set EDL_BIN`);
  }
  return bin;
}

/** A vector's value that names another key of the vector (`"keys.iaca_pem"`), resolved. */
function resolve(vector, reference) {
  return reference.split('.').reduce((v, k) => v[k], vector);
}

/**
 * Runs `edl verify --json` on a QR text (`{ qrText }`) or an image (`{ image }`) with the vector's
 * verifier inputs (trusted IACA, known signers, status list, validation time, window, challenge,
 * allowed purposes). Returns `{ status, report, stdout, stderr }`.
 */
export function verifyWithVector(vector, { qrText, image, at }) {
  const dir = mkdtempSync(join(tmpdir(), 'edl-web-verify-'));
  try {
    const v = vector.verifier;
    const iaca = join(dir, 'iaca.pem');
    writeFileSync(iaca, resolve(vector, v.trusted_iaca));
    const args = ['verify'];
    if (qrText !== undefined) args.push('--qr-text', qrText);
    if (image !== undefined) args.push('--image', image);
    args.push('--trust', iaca);
    v.known_signers.forEach((signer, i) => {
      if (signer.revoked_at) throw new Error('verifyWithVector: revoked signers need a trust list');
      const pem = join(dir, `signer-${i}.pem`);
      writeFileSync(pem, resolve(vector, signer.certificate));
      args.push('--signer', pem);
    });
    const list = join(dir, 'list.cwt');
    writeFileSync(list, fromHex(v.status_list_cwt_hex));
    args.push('--status-list', list);
    args.push('--at', at ?? v.validation_time);
    args.push('--max-age', String(v.max_age_seconds));
    if (v.challenge_hex) args.push('--challenge', Buffer.from(fromHex(v.challenge_hex)).toString('latin1'));
    for (const purpose of v.allowed_purposes ?? []) args.push('--purpose', purpose);
    args.push('--json');
    const run = spawnSync(edlBin(), args, { encoding: 'utf8', timeout: 60_000 });
    if (run.error) throw run.error;
    let report = null;
    try {
      report = JSON.parse(run.stdout);
    } catch {
      // Left null: the assertion on the status shows stdout and stderr.
    }
    return { status: run.status, report, stdout: run.stdout, stderr: run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

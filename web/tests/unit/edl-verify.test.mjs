// The checker's offline verifier (web/scanner/edl-verify.js) against the EDL1 test vectors
// (crates/qr/vectors/*.json, docs/qr-format.md §10): every vector's expected result, the report
// shape of `QrReport::to_json`, malformed and tampered codes (a failed check, never an exception),
// the material (status lists, signers, use_until), the vendored jsQR reading every vector's symbol.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { join } from 'node:path';

import { loadVectors, fromHex, toHex, seconds, ROOT, PURPOSE_CODES, verifyWithVector } from '../vectors.mjs';
import { makeQrText, qrMatrix, base45Encode, cborEncode } from '../../wallet/edl-qr.js';
import {
  verifyQrText, loadMaterial, materialFreshness, statusListFor, parseCertificate, signerKid,
  base45Decode, cborDecode, CborMap, decompressP256, toBase64, CHECK_NAMES, LABELS_ZH,
} from '../../scanner/edl-verify.js';

const vectors = loadVectors();
const byName = (name) => vectors.find((v) => v.name === name);

function pemToDer(pem) {
  return Uint8Array.from(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
}

/** A vector's value that names another key of the vector (`"keys.document_signer_pem"`), resolved. */
const resolve = (vector, reference) => reference.split('.').reduce((v, k) => v[k], vector);

/**
 * The material the server would serve for a vector's verifier inputs: the known signers (PEM to
 * DER, revocations), the status list token, the policy. The list's region is its signer's
 * (the certificate's serialNumber, 640100 for every vector).
 */
function materialJson(vector, overrides = {}) {
  const v = vector.verifier;
  const at = Date.parse(v.validation_time);
  const region = parseCertificate(pemToDer(vector.keys.document_signer_pem)).region;
  return {
    generated_at: new Date(at - 120_000).toISOString(),
    use_until: new Date(at + 86_400_000).toISOString(),
    policy: { max_age_seconds: v.max_age_seconds, future_skew_seconds: v.future_skew_seconds },
    signers: v.known_signers.map((s) => ({
      certificate: toBase64(pemToDer(resolve(vector, s.certificate))),
      revoked_at: s.revoked_at,
    })),
    status_lists: [{ region, token: toBase64(fromHex(v.status_list_cwt_hex)) }],
    ...overrides,
  };
}

function options(vector, extra = {}) {
  const v = vector.verifier;
  return {
    at: new Date(v.validation_time),
    challenge: v.challenge_hex ? fromHex(v.challenge_hex) : null,
    allowedPurposes: v.allowed_purposes,
    ...extra,
  };
}

const names = (report, outcome) => report.checks.filter((c) => c.outcome === outcome).map((c) => c.name);
const failed = (report) => names(report, 'failed');
const reason = (report, name) => report.checks.find((c) => c.name === name)?.reason;

/** A report value as `FieldValue::display` shows it (the vectors' `expected.fields`). */
function display(value) {
  if (value === true) return '是';
  if (value === false) return '否';
  return String(value);
}

/** Every key of the report, as `QrReport::to_json` writes them. */
const REPORT_KEYS = [
  'valid', 'colour', 'validated_at', 'purpose', 'purpose_zh', 'generated_at', 'age_seconds', 'validity',
  'status', 'signer', 'fields', 'labels', 'checks',
].sort();

function assertShape(report, what) {
  assert.deepEqual(Object.keys(report).sort(), REPORT_KEYS, what);
  assert.deepEqual(report.checks.map((c) => c.name), CHECK_NAMES, `${what}: every check, in order`);
  for (const c of report.checks) {
    assert.ok(['passed', 'failed', 'not_checked', 'not_applicable'].includes(c.outcome), `${what}: ${c.name}`);
    assert.equal(c.reason === null, c.outcome === 'passed', `${what}: ${c.name} has a reason unless passed`);
  }
  assert.equal(report.valid, report.checks.every((c) => ['passed', 'not_applicable'].includes(c.outcome)));
  assert.doesNotThrow(() => JSON.stringify(report), `${what}: JSON-serialisable`);
}

// What each key of a vector's `expected` means in the report.
const EXPECTED = {
  valid: (report) => report.valid,
  colour: (report) => report.colour,
  purpose: (report) => report.purpose,
  age_seconds: (report) => report.age_seconds,
  failed_checks: (report) => names(report, 'failed'),
  not_checked: (report) => names(report, 'not_checked'),
  fields: (report) => Object.fromEntries(Object.entries(report.fields).map(([k, v]) => [k, display(v)])),
};

for (const vector of vectors) {
  test(`${vector.name}: the offline verifier reaches the vector's expected result`, async () => {
    const material = await loadMaterial(materialJson(vector));
    assert.deepEqual(material.problems, []);
    const report = await verifyQrText(vector.qr_text, material, options(vector));
    assertShape(report, vector.name);
    for (const [key, expected] of Object.entries(vector.expected)) {
      assert.ok(EXPECTED[key], `the test does not know expected.${key}: teach it`);
      assert.deepEqual(EXPECTED[key](report), expected, `${vector.name}: ${key}`);
    }
    // The labels are the card's, for exactly the fields shown.
    assert.deepEqual(Object.keys(report.labels).sort(), Object.keys(report.fields).sort());
    for (const [id, label] of Object.entries(report.labels)) assert.equal(label, LABELS_ZH[id]);
    assert.equal(report.validated_at, vector.verifier.validation_time);
    assert.equal(report.generated_at, vector.issued.generated_at);
    if (report.purpose !== null) {
      assert.deepEqual(report.validity, { valid_from: vector.issued.valid_from, valid_until: vector.issued.valid_until });
      assert.deepEqual(report.signer, { authority: '银川市公安局交通警察支队', region: '640100', not_after: '2026-12-31T00:00:00Z' });
      assert.equal(report.status.list_issued_at, '2026-03-01T22:30:00Z');
      assert.equal(report.status.state, vector.name === 'suspended-red' ? 'suspended' : 'valid');
    } else {
      assert.equal(report.validity, null);
      assert.deepEqual(report.fields, {});
    }
  });
}

test('the reports equal the Rust verifier\'s (edl verify --json), key for key, for the vectors it can check', async () => {
  // verifyWithVector needs no trust list for these: revoked-signer and unknown-signer need one.
  const comparable = vectors.filter((v) => !['revoked-signer', 'unknown-signer'].includes(v.name));
  assert.ok(comparable.length >= 5);
  for (const vector of comparable) {
    const { report: cli, stderr } = verifyWithVector(vector, { qrText: vector.qr_text });
    assert.ok(cli, `edl verify printed no report: ${stderr}`);
    // `notes` is the command line's own (where its trust material came from), not QrReport's.
    const { notes, ...rust } = cli;
    assert.ok(Array.isArray(notes));
    const report = await verifyQrText(vector.qr_text, await loadMaterial(materialJson(vector)), options(vector));
    // Reasons included: none of these quotes a time (where one does, Rust prints the `time`
    // crate's display form and edl-verify.js RFC 3339; web/scanner/README.md).
    assert.deepEqual(report, rust, vector.name);
  }
});

test('malformed texts: the same code.format reason as edl verify', async () => {
  const vector = byName('roadside-valid');
  const payload = fromHex(vector.payload_hex);
  const texts = [
    'EDL1:', 'EDL1:U5', 'EDL1:AB中', 'EDL1:GGW', 'EDL1:BB8a', 'EDL1:' + 'A'.repeat(9), 'HC1:NCFOXN%TS3DH3ZSUZK+.V0ET',
    'EDL7:XYZ', 'EDL1:' + base45Encode(payload.subarray(0, 200)), 'EDL1:' + base45Encode(Uint8Array.of(0x80)),
    'EDL1:' + base45Encode(Uint8Array.from([...payload, 0])),
  ];
  for (const text of texts) {
    const { report: rust } = verifyWithVector(vector, { qrText: text });
    const report = await verifyQrText(text, null, {});
    assert.deepEqual(report.checks.slice(0, 2), rust.checks.slice(0, 2), text);
  }
});

test('a code signed anew with WebCrypto (the web wallet\'s makeQrText) verifies, with and without a challenge', async () => {
  for (const vector of vectors.filter((v) => v.expected.valid)) {
    const key = await crypto.subtle.importKey(
      'pkcs8', fromHex(vector.keys.device_pkcs8_hex), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'],
    );
    const credential = fromHex(vector.credential_hex);
    const purpose = PURPOSE_CODES[vector.issued.purpose];
    const at = new Date(vector.verifier.validation_time);
    const material = await loadMaterial(materialJson(vector));
    const challenge = crypto.getRandomValues(new Uint8Array(8));
    const text = await makeQrText(credential, purpose, seconds(vector.verifier.validation_time) - 3, challenge, key);
    const ok = await verifyQrText(text, material, { at, challenge, allowedPurposes: [vector.issued.purpose] });
    assert.equal(ok.valid, true, JSON.stringify(ok.checks));
    assert.equal(ok.age_seconds, 3);
    const other = await verifyQrText(text, material, { at, challenge: Uint8Array.of(1, 2, 3) });
    assert.deepEqual(failed(other), ['challenge']);
    assert.equal(reason(other, 'challenge'), 'the code carries another challenge');
    const none = await makeQrText(credential, purpose, seconds(vector.verifier.validation_time), new Uint8Array(), key);
    const missing = await verifyQrText(none, material, { at, challenge });
    assert.deepEqual(failed(missing), ['challenge']);
    assert.equal(reason(missing, 'challenge'), 'the code does not carry the challenge shown');
    const notLimited = await verifyQrText(none, material, { at });
    assert.equal(notLimited.valid, true);
    assert.equal(notLimited.checks.find((c) => c.name === 'challenge').outcome, 'not_applicable');
    assert.equal(notLimited.checks.find((c) => c.name === 'purpose').outcome, 'not_applicable');
  }
});

test('purpose: a verifier limited to other purposes refuses the code, naming its purpose', async () => {
  const vector = byName('roadside-valid');
  const report = await verifyQrText(vector.qr_text, await loadMaterial(materialJson(vector)),
    options(vector, { allowedPurposes: ['car_rental', 'insurer'] }));
  assert.deepEqual(failed(report), ['purpose']);
  assert.equal(reason(report, 'purpose'), 'this verifier may not verify for the purpose roadside');
});

test('freshness: dated too far in the future fails; within the skew passes', async () => {
  const vector = byName('roadside-valid');
  const material = await loadMaterial(materialJson(vector));
  const generated = Date.parse(vector.issued.generated_at);
  const early = await verifyQrText(vector.qr_text, material, { at: new Date(generated - 61_000) });
  assert.deepEqual(failed(early), ['freshness']);
  assert.equal(reason(early, 'freshness'),
    'the code is dated 61 s in the future (more than the 60 s allowed for clock differences)');
  assert.equal(early.age_seconds, -61);
  const skewed = await verifyQrText(vector.qr_text, material, { at: new Date(generated - 60_000) });
  assert.equal(skewed.valid, true);
  const stale = await verifyQrText(vector.qr_text, material, { at: new Date(generated + 300_001) });
  assert.deepEqual(failed(stale), ['freshness']);
  assert.equal(reason(stale, 'freshness'), 'the code is 300 s old, older than the 300 s accepted: a screenshot or a replay');
});

test('status: an expired list, no list, a damaged list, a list for another region: unknown, never valid', async () => {
  const vector = byName('roadside-valid');
  const lenient = { policy: { max_age_seconds: 10_000_000, future_skew_seconds: 60 } };
  const material = await loadMaterial(materialJson(vector, lenient));
  const list = statusListFor(material, 640100);
  assert.equal(new Date(list.expiresAt).toISOString(), '2026-03-02T22:30:00.000Z');
  // At exp the list still speaks; a second later the status is unknown, as in the Rust verifier.
  const atExp = await verifyQrText(vector.qr_text, material, { at: new Date(list.expiresAt) });
  assert.equal(atExp.valid, true);
  const after = await verifyQrText(vector.qr_text, material, { at: new Date(list.expiresAt + 1000) });
  assert.deepEqual(failed(after), ['status']);
  assert.deepEqual(after.status, {
    state: 'unknown', reason: 'the status list of region 640100 expired at 2026-03-02T22:30:00Z',
  });
  assert.equal(reason(after, 'status'), 'unknown: the status list of region 640100 expired at 2026-03-02T22:30:00Z');
  assert.equal(after.colour, 'black');

  const none = await loadMaterial(materialJson(vector, { status_lists: [] }));
  const noList = await verifyQrText(vector.qr_text, none, options(vector));
  assert.deepEqual(failed(noList), ['status']);
  assert.deepEqual(noList.status, { state: 'unknown', reason: 'no status list of region 640100 is held' });

  const token = fromHex(vector.verifier.status_list_cwt_hex);
  token[token.length - 1] ^= 1;
  const damaged = await loadMaterial(materialJson(vector, { status_lists: [{ region: 640100, token: toBase64(token) }] }));
  assert.equal(damaged.statusLists.length, 0);
  assert.match(damaged.problems[0], /^status list 0 \(region 640100\) left out: the token's signature does not verify$/);
  assert.deepEqual(failed(await verifyQrText(vector.qr_text, damaged, options(vector))), ['status']);

  const elsewhere = await loadMaterial(materialJson(vector, {
    status_lists: [{ region: 120100, token: toBase64(fromHex(vector.verifier.status_list_cwt_hex)) }],
  }));
  assert.equal(elsewhere.statusLists.length, 0);
  assert.match(elsewhere.problems[0], /declared for region 120100 but signed for 640100/);

  const garbage = await loadMaterial(materialJson(vector, { status_lists: [{ region: 640100, token: toBase64(Uint8Array.of(0xd2, 0x84)) }] }));
  assert.match(garbage.problems[0], /malformed/);
});

test('status: an index beyond the list is unknown; suspended is red; invalid shows nothing', async () => {
  // A status list with 8 entries of 2 bits: 0 valid, 1 invalid, 2 suspended, 3 application-specific,
  // signed here with the vector's document signer (its private key is in the vector: test only).
  const vector = byName('roadside-valid');
  const bytes = Uint8Array.of(0b11_10_01_00, 0);
  const reportFor = async (index) => {
    const token = await statusListToken(vector, bytes);
    const material = await loadMaterial(materialJson(vector, { status_lists: [{ region: '640100', token: toBase64(token) }] }));
    assert.deepEqual(material.problems, []);
    const text = await reissue(vector, index);
    return verifyQrText(text, material, options(vector));
  };
  const valid = await reportFor(0);
  assert.equal(valid.valid, true, JSON.stringify(valid.checks));
  const invalid = await reportFor(1);
  assert.deepEqual(failed(invalid), ['status']);
  assert.equal(invalid.colour, 'none');
  assert.equal(reason(invalid, 'status'), 'the credential is invalid');
  const suspended = await reportFor(2);
  assert.equal(suspended.colour, 'red');
  assert.equal(suspended.status.state, 'suspended');
  const app = await reportFor(3);
  assert.equal(app.status.state, 'application_specific');
  assert.equal(app.colour, 'black');
  const beyond = await reportFor(8);
  assert.deepEqual(beyond.status, { state: 'unknown', reason: "index 8 is beyond the list's 8 entries" });
});

test('the signer: revoked later is still accepted; an expired or not yet valid certificate fails the chain check', async () => {
  const vector = byName('roadside-valid');
  const at = Date.parse(vector.verifier.validation_time);
  const certificate = toBase64(pemToDer(vector.keys.document_signer_pem));
  const later = await loadMaterial(materialJson(vector, {
    signers: [{ certificate, revoked_at: new Date(at + 1000).toISOString().replace('.000', '') }],
  }));
  assert.equal((await verifyQrText(vector.qr_text, later, options(vector))).valid, true);
  const now = await loadMaterial(materialJson(vector, { signers: [{ certificate, revoked_at: vector.verifier.validation_time }] }));
  const revoked = await verifyQrText(vector.qr_text, now, options(vector));
  assert.deepEqual(failed(revoked), ['issuer.signer_not_revoked']);
  assert.equal(reason(revoked, 'issuer.signer_not_revoked'),
    'the document signer was revoked at 2026-03-02T01:30:20Z; codes it signed are no longer accepted');

  const material = await loadMaterial(materialJson(vector, { policy: { max_age_seconds: 1e9, future_skew_seconds: 1e9 } }));
  const expired = await verifyQrText(vector.qr_text, material, { at: new Date('2027-01-01T00:00:00Z') });
  assert.equal(reason(expired, 'issuer.certificate_chain'), 'document_signer.validity: expired at 2026-12-31T00:00:00Z');
  const early = await verifyQrText(vector.qr_text, material, { at: new Date('2025-12-31T00:00:00Z') });
  assert.equal(reason(early, 'issuer.certificate_chain'), 'document_signer.validity: not valid before 2026-01-01T00:00:00Z');
  assert.equal(reason(early, 'credential.validity'), 'the credential is valid only from 2026-03-01T02:00:00Z');
});

test('kid: the signer key identifier is the first 8 bytes of SHA-256 over the certificate', async () => {
  for (const vector of vectors) {
    assert.equal(toHex(await signerKid(pemToDer(vector.keys.document_signer_pem))), vector.keys.document_signer_kid_hex);
  }
  const facts = parseCertificate(pemToDer(byName('roadside-valid').keys.document_signer_pem));
  assert.equal(facts.commonName, '银川市公安局交通警察支队');
  assert.equal(facts.region, 640100);
  assert.equal(facts.isP256, true);
  assert.equal(new Date(facts.notBefore).toISOString(), '2026-01-01T00:00:00.000Z');
  assert.throws(() => parseCertificate(Uint8Array.of(0x30, 0x03, 0x02, 0x01)), /DER/);
});

// ---------------------------------------------------------------------------------------------
// Malformed and tampered codes: a failed check with a clear reason, never an exception

async function material() {
  return loadMaterial(materialJson(byName('roadside-valid')));
}

test('not an EDL1 code: each kind is named by code.format, the rest not checked', async () => {
  const m = await material();
  const cases = [
    ['', 'the code is empty'],
    ['\r\n', 'the code is empty'],
    ['HC1:NCFOXN%TS3DH3ZSUZK+.V0ET', 'this is an EU Digital COVID Certificate (HC1:), not a driving licence'],
    ['https://example.com/x', 'this is a web address, not a driving licence code'],
    ['https://qr.alipay.com/fkx1234', 'this is a payment code, not a driving licence code'],
    ['wxp://f2f0abcdef', 'this is a payment code, not a driving licence code'],
    ['00020101021126360014br.gov.bcb', 'this is a payment code, not a driving licence code'],
    ['EDL2:ABCDEF', 'this is a later version of the e-licence code (EDL2); update the verifier'],
    ['hello 你好', 'this is not an e-licence code (it does not start with EDL1:)'],
    ['A'.repeat(5000), 'the code is 5000 characters, more than any QR code holds'],
  ];
  for (const [text, why] of cases) {
    const report = await verifyQrText(text, m, {});
    assertShape(report, text.slice(0, 20));
    assert.deepEqual(failed(report), ['code.format'], text.slice(0, 20));
    assert.equal(reason(report, 'code.format'), why);
    assert.equal(names(report, 'not_checked').length, CHECK_NAMES.length - 1);
    assert.equal(report.colour, 'none');
    assert.equal(report.generated_at, null);
  }
  for (const odd of [undefined, null, 42, {}]) {
    const report = await verifyQrText(odd, m, {});
    assert.deepEqual(failed(report), ['code.format']);
  }
});

test('bad Base45: a character outside the alphabet, a length of 3k + 1, an overflowing group', async () => {
  const m = await material();
  const text = byName('roadside-valid').qr_text;
  const cases = [
    [text.slice(0, 10) + 'a' + text.slice(11), 'the code is damaged: character 5 is not in the Base45 alphabet'],
    ['EDL1:BB8a', 'the code is damaged: a Base45 text cannot be 4 characters long'],
    ['EDL1:GGW', 'the code is damaged: the group at character 0 encodes more than its bytes can hold'],
    ['EDL1:BB8:Z', 'the code is damaged: the group at character 3 encodes more than its bytes can hold'],
  ];
  for (const [bad, why] of cases) {
    const report = await verifyQrText(bad, m, {});
    assert.deepEqual(failed(report), ['code.format']);
    assert.equal(reason(report, 'code.format'), why);
  }
  // RFC 9285 §4.
  assert.equal(new TextDecoder().decode(base45Decode('%69 VD92EX0')), 'Hello!!');
  assert.equal(new TextDecoder().decode(base45Decode('UJCLQE7W581')), 'base-45');
  assert.equal(new TextDecoder().decode(base45Decode('QED8WEX0')), 'ietf!');
  assert.deepEqual(base45Decode(''), new Uint8Array());
});

test('truncated CBOR: every truncation of a payload fails code.format or credential.structure, with a reason', async () => {
  const m = await material();
  const vector = byName('roadside-valid');
  const payload = fromHex(vector.payload_hex);
  for (let n = 0; n < payload.length; n++) {
    const report = await verifyQrText('EDL1:' + base45Encode(payload.subarray(0, n)), m, options(vector));
    assertShape(report, `truncated to ${n}`);
    assert.equal(report.valid, false);
    assert.deepEqual(failed(report), ['code.format'], `truncated to ${n}`);
    assert.match(reason(report, 'code.format'), /^the code's payload is not well-formed CBOR: /, `truncated to ${n}`);
  }
  const extended = Uint8Array.from([...payload, 0]);
  const trailing = await verifyQrText('EDL1:' + base45Encode(extended), m, options(vector));
  assert.equal(reason(trailing, 'code.format'), "the code's payload is not well-formed CBOR: 1 bytes after the end of the item");

  // A truncated credential inside a well-formed payload.
  const [credential, generated, challenge, signature] = [fromHex(vector.credential_hex), seconds(vector.issued.generated_at), new Uint8Array(), new Uint8Array(64)];
  const short = 'EDL1:' + base45Encode(cborEncode([credential.subarray(0, 100), generated, challenge, signature]));
  const report = await verifyQrText(short, m, options(vector));
  assert.deepEqual(failed(report), ['credential.structure']);
  assert.match(reason(report, 'credential.structure'), /^the credential is not well-formed CBOR: /);
});

test('payload structure: each wrong part is named', async () => {
  const m = await material();
  const credential = fromHex(byName('roadside-valid').credential_hex);
  const cases = [
    [[], 'not an array of four'],
    [[credential, 1, new Uint8Array()], 'not an array of four'],
    ['EDL1', 'not an array'],
    [['x', 1, new Uint8Array(), new Uint8Array(64)], 'the credential is not a byte string'],
    [[new Uint8Array(2049), 1, new Uint8Array(), new Uint8Array(64)], 'the credential is too large'],
    [[credential, 'now', new Uint8Array(), new Uint8Array(64)], 'the generation time is not a time in seconds'],
    [[credential, 253402300800, new Uint8Array(), new Uint8Array(64)], 'the generation time is not a time in seconds'],
    [[credential, 1, 'K7Q2', new Uint8Array(64)], 'the challenge is not a byte string'],
    [[credential, 1, new Uint8Array(33), new Uint8Array(64)], 'the challenge is longer than 32 bytes'],
    [[credential, 1, new Uint8Array(), 'sig'], 'the device signature is not a byte string'],
    [[credential, 1, new Uint8Array(), new Uint8Array(63)], 'the device signature is not 64 bytes'],
  ];
  for (const [value, why] of cases) {
    const report = await verifyQrText('EDL1:' + base45Encode(cborEncode(value)), m, {});
    assert.equal(reason(report, 'code.format'), `the code's payload is malformed: ${why}`);
  }
  // Not strict CBOR: a tag, a float, an indefinite length, a non-shortest head, a duplicate key.
  const strict = [
    [Uint8Array.of(0xc1, 0x00), /a tag at byte 0/],
    [Uint8Array.of(0xf9, 0x3c, 0x00), /a float or simple value at byte 0/],
    [Uint8Array.of(0x9f, 0xff), /indefinite length at byte 0/],
    [Uint8Array.of(0x18, 0x01), /non-shortest length or value at byte 0/],
    [Uint8Array.of(0xa2, 0x01, 0x00, 0x01, 0x00), /duplicate map key at byte 3/],
    [Uint8Array.of(0x62, 0xc3, 0x28), /text at byte 0 is not UTF-8/],
    [Uint8Array.of(0x9a, 0xff, 0xff, 0xff, 0xff), /the length at byte 0 exceeds the input/],
    [Uint8Array.of(...new Array(40).fill(0x81), 0x00), /nested deeper than 32 levels/],
    [Uint8Array.of(0xf7), /reserved or misplaced initial byte at byte 0/],
  ];
  for (const [bytes, why] of strict) {
    assert.throws(() => cborDecode(bytes), why);
    const report = await verifyQrText('EDL1:' + base45Encode(bytes), m, {});
    assert.match(reason(report, 'code.format'), why);
  }
  const map = cborDecode(Uint8Array.of(0xa2, 0x01, 0x20, 0x61, 0x78, 0xf6));
  assert.ok(map instanceof CborMap);
  assert.equal(map.get(1), -1);
  assert.equal(map.get('x'), null);
  assert.equal(cborDecode(Uint8Array.of(0x1b, 0x00, 0xe3, 0x69, 0x51, 0xcf, 0xab, 0x89, 0x0d)), 64010619810711821n);
  assert.equal(cborDecode(Uint8Array.of(0x39, 0x10, 0x70)), -4209);
});

test('a flipped bit in the issuer\'s signature: issuer.signature fails, the claims are never read nor shown', async () => {
  const m = await material();
  const vector = byName('roadside-valid');
  const payload = fromHex(vector.payload_hex);
  const credential = fromHex(vector.credential_hex);
  // The issuer's signature is the credential's last 64 bytes.
  const start = vector.payload_hex.indexOf(vector.credential_hex) / 2;
  assert.ok(Number.isInteger(start) && start > 0);
  for (const [offset, bit] of [[credential.length - 1, 0], [credential.length - 64, 7], [credential.length - 30, 3]]) {
    const tampered = Uint8Array.from(payload);
    tampered[start + offset] ^= 1 << bit;
    const report = await verifyQrText('EDL1:' + base45Encode(tampered), m, options(vector));
    assertShape(report, 'tampered');
    assert.deepEqual(failed(report), ['issuer.signature']);
    assert.equal(reason(report, 'issuer.signature'), "the issuer's signature does not verify");
    assert.deepEqual(names(report, 'not_checked'), CHECK_NAMES.slice(CHECK_NAMES.indexOf('credential.claims')));
    assert.deepEqual(report.fields, {});
    assert.equal(report.purpose, null);
    assert.equal(report.colour, 'none');
  }
  // A changed claim (status letters "A" then points 3 → 4) breaks the same signature.
  const claims = vector.claims_hex;
  assert.equal(claims.split('0f61411003').length, 2);
  const changed = fromHex(vector.payload_hex.replace(claims, claims.replace('0f61411003', '0f61411004')));
  const report = await verifyQrText('EDL1:' + base45Encode(changed), m, options(vector));
  assert.deepEqual(failed(report), ['issuer.signature']);
});

test('a flipped bit in the device signature, the generation time or the challenge: device.signature fails', async () => {
  const m = await material();
  const vector = byName('roadside-valid');
  const payload = fromHex(vector.payload_hex);
  const tampered = Uint8Array.from(payload);
  tampered[tampered.length - 1] ^= 0x80;
  const report = await verifyQrText('EDL1:' + base45Encode(tampered), m, options(vector));
  assert.deepEqual(failed(report), ['device.signature']);
  assert.equal(reason(report, 'device.signature'), 'the device signature does not verify with the device key the credential names');
  // The fields are still shown (the issuer's signature holds), so the checker sees whose code it is.
  assert.equal(report.fields.family_name_national_character, '韦');

  const credential = fromHex(vector.credential_hex);
  const signature = payload.subarray(payload.length - 64);
  const generated = seconds(vector.issued.generated_at);
  const later = cborEncode([credential, generated + 1, new Uint8Array(), signature]);
  assert.deepEqual(failed(await verifyQrText('EDL1:' + base45Encode(later), m, options(vector))), ['device.signature']);
  const withChallenge = cborEncode([credential, generated, Uint8Array.of(1), signature]);
  assert.deepEqual(failed(await verifyQrText('EDL1:' + base45Encode(withChallenge), m, options(vector))), ['device.signature']);
});

test('5000 mutated codes give a complete report each, never an exception, never valid', async () => {
  const m = await material();
  const vector = byName('roadside-valid');
  const payload = fromHex(vector.payload_hex);
  let state = 0x2545f491; // xorshift32, fixed seed: the same cases on every run
  const next = () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state;
  };
  const seen = new Set();
  for (let i = 0; i < 5000; i++) {
    const bytes = Uint8Array.from(payload);
    for (let flips = 1 + (next() % 3); flips > 0; flips--) bytes[next() % bytes.length] = next() & 0xff;
    if (toHex(bytes) === vector.payload_hex) continue;
    const text = i % 5 === 0
      ? vector.qr_text.slice(0, next() % vector.qr_text.length) // a cut text
      : 'EDL1:' + base45Encode(bytes);
    const report = await verifyQrText(text, m, options(vector));
    assert.deepEqual(report.checks.map((c) => c.name), CHECK_NAMES);
    assert.equal(report.valid, false, text);
    seen.add(failed(report)[0]);
  }
  // The mutations reach deep: format, structure, signer and signature failures all occur.
  for (const name of ['code.format', 'credential.structure', 'issuer.signer_known', 'issuer.signature', 'device.signature']) {
    assert.ok(seen.has(name), `${name} among ${[...seen]}`);
  }
});

test('claims that are not EDL1 claims fail credential.claims (signed here with the vector\'s signer key)', async () => {
  const vector = byName('roadside-valid');
  const m = await material();
  const cases = [
    [Uint8Array.of(0xa1, 0x07, 0x00), 'unknown claim 7'],
    [Uint8Array.of(0xa1, 0x01, 0x09), 'unknown purpose'],
    [Uint8Array.of(0xa1, 0x03, 0x00), 'no purpose'],
    [Uint8Array.of(0xa2, 0x01, 0x03, 0x06, 0xa1, 0x03, 0x00), 'element birth_date is not carried for the purpose car_rental'],
    [Uint8Array.of(0xa2, 0x01, 0x01, 0x06, 0xa1, 0x13, 0x00), 'unknown element 19'],
    [Uint8Array.of(0xa2, 0x01, 0x01, 0x06, 0xa1, 0x04, 0x03), 'element sex has the wrong type or range'],
    [Uint8Array.of(0xa2, 0x01, 0x01, 0x06, 0xa0), 'no device key'],
    [Uint8Array.of(0xa1, 0x20, 0x00), 'a claim key is not an unsigned integer'],
    [Uint8Array.of(0x80), 'not a map'],
  ];
  for (const [claims, why] of cases) {
    const text = await reissueClaims(vector, claims);
    const report = await verifyQrText(text, m, options(vector));
    assert.deepEqual(failed(report), ['credential.claims'], why);
    assert.equal(reason(report, 'credential.claims'), `the credential's claims are malformed: ${why}`);
  }
});

test('decompressP256 gives the device key\'s point; a compressed x off the curve is refused', async () => {
  const vector = byName('roadside-valid');
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const compressed = Uint8Array.of(2 | (raw[64] & 1), ...raw.subarray(1, 33));
  assert.deepEqual(decompressP256(compressed), raw);
  assert.equal(decompressP256(fromHex(vector.keys.device_public_compressed_hex))[0], 4);
  assert.equal(decompressP256(Uint8Array.of(2, ...new Array(32).fill(0xff))), null); // x ≥ p
  assert.equal(decompressP256(Uint8Array.of(2, ...new Array(31).fill(0), 1)), null); // x = 1: not on the curve
  // x = 5 is: both parities give a point WebCrypto accepts, with y and p - y.
  for (const prefix of [2, 3]) {
    const point = decompressP256(Uint8Array.of(prefix, ...new Array(31).fill(0), 5));
    assert.equal(point[64] & 1, prefix & 1);
    await crypto.subtle.importKey('raw', point, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  }
  assert.equal(decompressP256(new Uint8Array(32)), null);
});

// ---------------------------------------------------------------------------------------------
// The material

test('loadMaterial refuses what is not the format; materialFreshness follows use_until', async () => {
  const vector = byName('roadside-valid');
  const good = materialJson(vector);
  await assert.rejects(loadMaterial('[]'), /not a JSON object/);
  await assert.rejects(loadMaterial('{'), SyntaxError);
  await assert.rejects(loadMaterial({ ...good, generated_at: 'yesterday' }), /generated_at is not an RFC 3339 time/);
  await assert.rejects(loadMaterial({ ...good, use_until: '2020-01-01T00:00:00Z' }), /use_until is before generated_at/);
  await assert.rejects(loadMaterial({ ...good, signers: [{ certificate: 'not base64!', revoked_at: null }] }),
    /document signer certificate 0 does not parse: not base64/);
  await assert.rejects(loadMaterial({ ...good, signers: [{ certificate: toBase64(Uint8Array.of(1, 2, 3)), revoked_at: null }] }),
    /document signer certificate 0 does not parse/);
  await assert.rejects(loadMaterial({ ...good, signers: [{ certificate: good.signers[0].certificate, revoked_at: 'soon' }] }),
    /revoked_at is not an RFC 3339 time/);
  await assert.rejects(loadMaterial({ ...good, policy: { max_age_seconds: -1 } }), /policy.max_age_seconds/);
  await assert.rejects(loadMaterial({ ...good, status_lists: null }), /status_lists is not an array/);

  const m = await loadMaterial(JSON.stringify(good));
  assert.deepEqual(m.policy, { maxAgeSeconds: 300, futureSkewSeconds: 60 });
  assert.equal(m.signers.length, 1);
  assert.equal(toHex(m.signers[0].kid), vector.keys.document_signer_kid_hex);
  assert.equal(m.statusLists.length, 1);
  assert.equal(m.statusLists[0].uri, 'https://edl.example.cn/status/640100.cwt');
  const defaults = await loadMaterial({ ...good, policy: undefined });
  assert.deepEqual(defaults.policy, { maxAgeSeconds: 300, futureSkewSeconds: 60 });

  const at = Date.parse(vector.verifier.validation_time);
  assert.deepEqual(materialFreshness(m, new Date(at)), { usable: true, ageSeconds: 120, reason: null });
  const late = materialFreshness(m, new Date(at + 86_400_001));
  assert.equal(late.usable, false);
  assert.match(late.reason, /to be used until 2026-03-03T01:30:20Z/);
  assert.equal(materialFreshness(null).usable, false);
  // Without material nothing is trusted: the signer is unknown.
  const report = await verifyQrText(vector.qr_text, null, options(vector));
  assert.deepEqual(failed(report), ['issuer.signer_known']);
  assert.equal(reason(report, 'issuer.signer_known'), 'no document signer with key identifier 5e4b17baea38204c is in the trust list');
});

// ---------------------------------------------------------------------------------------------
// The vendored QR reader

test('the vendored jsQR reads every vector\'s symbol (3 px per module) and the text it reads verifies', async () => {
  const sandbox = {};
  sandbox.self = sandbox;
  vm.runInNewContext(readFileSync(join(ROOT, 'web/vendor/jsqr/jsQR.js'), 'utf8'), sandbox);
  assert.equal(typeof sandbox.jsQR, 'function', 'the UMD bundle defines self.jsQR, as in a classic <script>');
  for (const vector of vectors) {
    const { size, modules } = qrMatrix(vector.qr_text);
    const scale = 3;
    const quiet = 4;
    const n = (size + 2 * quiet) * scale;
    const rgba = new Uint8ClampedArray(n * n * 4).fill(255);
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        if (!modules[r][c]) continue;
        for (let y = 0; y < scale; y++) {
          for (let x = 0; x < scale; x++) {
            const i = (((r + quiet) * scale + y) * n + (c + quiet) * scale + x) * 4;
            rgba[i] = rgba[i + 1] = rgba[i + 2] = 0;
          }
        }
      }
    }
    const read = sandbox.jsQR(rgba, n, n, { inversionAttempts: 'dontInvert' });
    assert.ok(read, `${vector.name}: no code found`);
    assert.equal(read.data, vector.qr_text, vector.name);
    const report = await verifyQrText(read.data, await loadMaterial(materialJson(vector)), options(vector));
    assert.equal(report.valid, vector.expected.valid, vector.name);
  }
});

// ---------------------------------------------------------------------------------------------
// Helpers that sign with the vector's document-signer key (test vectors only: the key is public)

async function signerKey(vector) {
  return crypto.subtle.importKey(
    'pkcs8', fromHex(vector.keys.document_signer_pkcs8_hex), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'],
  );
}

async function es256(key, bytes) {
  return new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, bytes));
}

/** A code whose credential carries `claims` (any bytes), signed by the vector's signer and device. */
async function reissueClaims(vector, claims) {
  const kid = fromHex(vector.keys.document_signer_kid_hex);
  const protectedHeader = Uint8Array.of(0xa1, 0x01, 0x26);
  const issuer = await es256(await signerKey(vector), cborEncode(['Signature1', protectedHeader, new Uint8Array(), claims]));
  const credential = Uint8Array.from([
    0x84, ...cborEncode(protectedHeader), 0xa1, 0x04, ...cborEncode(kid), ...cborEncode(claims), ...cborEncode(issuer),
  ]);
  const device = await crypto.subtle.importKey(
    'pkcs8', fromHex(vector.keys.device_pkcs8_hex), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'],
  );
  const generated = seconds(vector.issued.generated_at);
  // The purpose the device signs: the claims' first entry when it is `1: code`, else roadside.
  const purpose = claims[1] === 0x01 && claims[2] >= 1 && claims[2] <= 5 ? claims[2] : 1;
  const signed = cborEncode(['EDL1', credential, generated, purpose, new Uint8Array()]);
  return 'EDL1:' + base45Encode(cborEncode([credential, generated, new Uint8Array(), await es256(device, signed)]));
}

/** The vector's claims with another status index (key 5), as a complete code. */
async function reissue(vector, index) {
  const claims = vector.claims_hex;
  // `05 18 2a` is the status index 42 in every vector's claims.
  assert.ok(claims.includes('05182a'));
  const replaced = claims.replace('05182a', '05' + toHex(cborEncode(index)));
  return reissueClaims(vector, fromHex(replaced));
}

/** A status-list token over `bytes` (2 bits per entry), signed by the vector's signer, its certificate in x5chain. */
async function statusListToken(vector, bytes) {
  const lst = new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate'))).arrayBuffer());
  const iat = seconds('2026-03-01T22:30:00Z');
  // {2: sub, 4: exp, 6: iat, 65533: {"bits": 2, "lst": lst}}: written by hand (the wallet's encoder writes no maps).
  const claims = Uint8Array.from([
    0xa4,
    0x02, ...cborEncode('https://edl.example.cn/status/640100.cwt'),
    0x04, ...cborEncode(iat + 86400),
    0x06, ...cborEncode(iat),
    0x19, 0xff, 0xfd, 0xa2, ...cborEncode('bits'), 0x02, ...cborEncode('lst'), ...cborEncode(lst),
  ]);
  const protectedHeader = Uint8Array.from([0xa2, 0x01, 0x26, 0x10, ...cborEncode('application/statuslist+cwt')]);
  const signature = await es256(await signerKey(vector), cborEncode(['Signature1', protectedHeader, new Uint8Array(), claims]));
  return Uint8Array.from([
    0xd2, 0x84, ...cborEncode(protectedHeader), 0xa1, 0x18, 0x21, ...cborEncode(pemToDer(vector.keys.document_signer_pem)),
    ...cborEncode(claims), ...cborEncode(signature),
  ]);
}

// edl-verify.js: the checker's offline verifier of EDL1 codes (docs/qr-format.md) for the scanner
// page. It mirrors the Rust `edl_qr::QrVerifier` (crates/qr/src/verify.rs) check for check, in the
// same order and under the same names, and returns the same JSON as `QrReport::to_json`
// (crates/qr/src/report_json.rs). An ES module with no dependency beyond WebCrypto and
// DecompressionStream; it runs unchanged in Chromium and in Node 20 (web/tests/unit).
//
// What it is given instead of a trust list: the "material" the platform serves at
// GET /scanner/api/material (web/scanner/README.md): the document-signer certificates the
// platform's signed trust list names (with their revocation times), the status lists of the
// regions, and the verifier policy. The browser trusts that material because it comes from the
// platform origin that serves this page; the signed trust list and the signer chains to the
// IACAs are verified on the server. What this module still checks itself: the signer's validity
// period and revocation time, every signature (issuer, device, and each status-list token's own
// signature against the certificate it carries), the claims, times, challenge, purpose, status.

import {
  PREFIX,
  CONTEXT,
  PURPOSES,
  BASE45_ALPHABET,
  MAX_CREDENTIAL_BYTES,
  MAX_CHALLENGE_BYTES,
  cborEncode,
  holderSignedBytes,
} from '../wallet/edl-qr.js';

export { PREFIX, CONTEXT, PURPOSES };

/** The longest text read: what a version-40 QR code holds in alphanumeric mode. */
export const MAX_TEXT_CHARS = 4296;
/** The largest status-list token read (as the Rust `MAX_TOKEN_BYTES`). */
export const MAX_TOKEN_BYTES = 8 << 20;
/** The most entries a status list may have (2^27, as the Rust `MAX_ENTRIES`). */
export const MAX_STATUS_ENTRIES = 2 ** 27;
/** The most document signers a material may list (as the Rust `MAX_SIGNERS`). */
export const MAX_SIGNERS = 65536;
/** The default policy (docs/qr-format.md §6). */
export const DEFAULT_POLICY = Object.freeze({ maxAgeSeconds: 300, futureSkewSeconds: 60 });

/** The checks after `code.format`, in order (verify.rs `AFTER_FORMAT`). */
export const AFTER_FORMAT = Object.freeze([
  'credential.structure',
  'issuer.signer_known',
  'issuer.signer_not_revoked',
  'issuer.certificate_chain',
  'issuer.signature',
  'credential.claims',
  'credential.validity',
  'device.signature',
  'freshness',
  'challenge',
  'purpose',
  'status',
]);
/** Every check, in report order. */
export const CHECK_NAMES = Object.freeze(['code.format', ...AFTER_FORMAT, 'licence.status_letters']);

const PURPOSE_NAMES = Object.freeze(Object.fromEntries(Object.entries(PURPOSES).map(([name, code]) => [code, name])));
/** Purpose names in Chinese (crates/mdoc/src/purpose.rs `name_zh`). */
export const PURPOSE_ZH = Object.freeze({
  roadside: '路面执法检查',
  business_window: '交管业务窗口',
  car_rental: '汽车租赁',
  transport_company: '运输企业',
  insurer: '保险',
});

// ---------------------------------------------------------------------------------------------
// Small helpers

const subtle = () => globalThis.crypto.subtle;

export function toHex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error('not an even-length hex string');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function fromBase64(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new Error('not base64 (standard alphabet, padded)');
  }
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function toBase64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// The range of the Rust `time` crate without `large-dates`: years -9999 to 9999.
const MIN_UNIX = -377705116800;
const MAX_UNIX = 253402300799;

/** RFC 3339 of a time in milliseconds, as the Rust report writes it; null outside years 0..9999. */
export function rfc3339(ms) {
  if (!Number.isFinite(ms)) return null;
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) return null;
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ for these years
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return iso.slice(0, 19) + (fraction ? `.${fraction}` : '') + 'Z';
}

/** Whole seconds of a duration in milliseconds, truncated towards zero (Duration::whole_seconds). */
const wholeSeconds = (ms) => Math.trunc(ms / 1000) + 0;

/** An RFC 3339 time (`Z` or an offset) to milliseconds; throws on anything else. */
export function parseRfc3339(text, what = 'a time') {
  if (typeof text !== 'string'
    || !/^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(text)) {
    throw new Error(`${what} is not an RFC 3339 time: ${JSON.stringify(text)}`);
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`${what} is not an RFC 3339 time: ${JSON.stringify(text)}`);
  return ms;
}

// ---------------------------------------------------------------------------------------------
// Base45 (RFC 9285), strict: the errors of crates/qr/src/base45.rs

const BASE45_VALUES = new Int8Array(256).fill(-1);
for (let i = 0; i < BASE45_ALPHABET.length; i++) BASE45_VALUES[BASE45_ALPHABET.charCodeAt(i)] = i;

/**
 * Decodes Base45; throws an Error naming the first problem (a length of 3k + 1, a character
 * outside the alphabet, a group whose value exceeds its bytes). Lengths and positions count the
 * text's UTF-8 bytes, as the Rust decoder does.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function base45Decode(text) {
  const chars = new TextEncoder().encode(text);
  if (chars.length % 3 === 1) throw new Error(`a Base45 text cannot be ${chars.length} characters long`);
  const out = new Uint8Array(Math.floor(chars.length / 3) * 2 + (chars.length % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let start = 0; start < chars.length; start += 3) {
    const end = Math.min(start + 3, chars.length);
    let n = 0;
    let weight = 1;
    for (let i = start; i < end; i++) {
      const v = BASE45_VALUES[chars[i]];
      if (v < 0) throw new Error(`character ${i} is not in the Base45 alphabet`);
      n += v * weight;
      weight *= 45;
    }
    if (end - start === 3) {
      if (n > 0xffff) throw new Error(`the group at character ${start} encodes more than its bytes can hold`);
      out[o++] = n >> 8;
      out[o++] = n & 0xff;
    } else {
      if (n > 0xff) throw new Error(`the group at character ${start} encodes more than its bytes can hold`);
      out[o++] = n;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A strict CBOR decoder (RFC 8949) for what the format uses: definite lengths, shortest heads, no
// duplicate map keys, no tags, no floats, simple values only false/true/null, no trailing bytes,
// nesting at most 32 deep. Integers come back as Number when safe, BigInt otherwise; byte strings
// as Uint8Array; maps as CborMap (entries in the order written).

export const CBOR_MAX_DEPTH = 32;

/** A decoded CBOR map: its entries in order. */
export class CborMap {
  constructor(entries) {
    this.entries = entries;
  }

  get size() {
    return this.entries.length;
  }

  /** The value under an integer or text key (integers compare across Number and BigInt). */
  get(key) {
    for (const [k, v] of this.entries) if (sameKey(k, key)) return v;
    return undefined;
  }

  has(key) {
    return this.entries.some(([k]) => sameKey(k, key));
  }
}

function sameKey(a, b) {
  if (isInt(a) && isInt(b)) return BigInt(a) === BigInt(b);
  return a === b;
}

const isInt = (v) => typeof v === 'number' || typeof v === 'bigint';

class CborError extends Error {}

/**
 * Decodes exactly one CBOR item filling `bytes`; throws an Error saying what is wrong and where.
 * @param {Uint8Array} bytes
 * @param {number} [max] the largest input accepted
 */
export function cborDecode(bytes, max = Infinity) {
  if (!(bytes instanceof Uint8Array)) throw new CborError('the input is not bytes');
  if (bytes.length > max) throw new CborError(`${bytes.length} bytes is more than the ${max} allowed`);
  const state = { bytes, pos: 0 };
  const value = item(state, 0);
  if (state.pos !== bytes.length) throw new CborError(`${bytes.length - state.pos} bytes after the end of the item`);
  return value;
}

function head(state) {
  const { bytes } = state;
  const at = state.pos;
  if (at >= bytes.length) throw new CborError(`truncated at byte ${at}`);
  const initial = bytes[at];
  const major = initial >> 5;
  const info = initial & 0x1f;
  state.pos = at + 1;
  if (info < 24) return { major, info, value: info, at };
  if (info === 31) {
    throw new CborError(major >= 2 && major <= 5 ? `indefinite length at byte ${at}` : `reserved or misplaced initial byte at byte ${at}`);
  }
  if (info > 27) throw new CborError(`reserved or misplaced initial byte at byte ${at}`);
  const size = 1 << (info - 24);
  if (bytes.length - state.pos < size) throw new CborError(`truncated at byte ${state.pos}`);
  let big = 0n;
  for (let i = 0; i < size; i++) big = (big << 8n) | BigInt(bytes[state.pos++]);
  if (major === 7) throw new CborError(`a float or simple value at byte ${at} (neither is used)`);
  const minimum = [24n, 0x100n, 0x10000n, 0x100000000n][info - 24];
  if (big < minimum) throw new CborError(`non-shortest length or value at byte ${at}`);
  return { major, info, value: big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big, at };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function item(state, depth) {
  if (depth > CBOR_MAX_DEPTH) throw new CborError(`nested deeper than ${CBOR_MAX_DEPTH} levels`);
  const { major, info, value, at } = head(state);
  const remaining = state.bytes.length - state.pos;
  switch (major) {
    case 0:
      return value;
    case 1:
      return typeof value === 'number' && value < Number.MAX_SAFE_INTEGER ? -1 - value : -1n - BigInt(value);
    case 2:
    case 3: {
      if (typeof value !== 'number' || value > remaining) throw new CborError(`the length at byte ${at} exceeds the input`);
      const content = state.bytes.slice(state.pos, state.pos + value);
      state.pos += value;
      if (major === 2) return content;
      try {
        return UTF8.decode(content);
      } catch {
        throw new CborError(`text at byte ${at} is not UTF-8`);
      }
    }
    case 4: {
      // Every item is at least one byte: a count beyond the bytes left is refused before looping.
      if (typeof value !== 'number' || value > remaining) throw new CborError(`the length at byte ${at} exceeds the input`);
      const out = [];
      for (let i = 0; i < value; i++) out.push(item(state, depth + 1));
      return out;
    }
    case 5: {
      if (typeof value !== 'number' || value * 2 > remaining) throw new CborError(`the length at byte ${at} exceeds the input`);
      const entries = [];
      const seen = new Set();
      for (let i = 0; i < value; i++) {
        const keyAt = state.pos;
        const key = item(state, depth + 1);
        const raw = toHex(state.bytes.subarray(keyAt, state.pos));
        if (seen.has(raw)) throw new CborError(`duplicate map key at byte ${keyAt}`);
        seen.add(raw);
        entries.push([key, item(state, depth + 1)]);
      }
      return new CborMap(entries);
    }
    case 6:
      throw new CborError(`a tag at byte ${at} (tags are not used)`);
    default: // 7, one-byte simple values
      if (info === 20) return false;
      if (info === 21) return true;
      if (info === 22) return null;
      throw new CborError(`reserved or misplaced initial byte at byte ${at}`);
  }
}

/** An unsigned integer as a BigInt, or null. */
function asUint(v) {
  if (typeof v === 'number') return v >= 0 ? BigInt(v) : null;
  if (typeof v === 'bigint') return v >= 0n ? v : null;
  return null;
}

/** An integer as a BigInt, or null. */
function asInt(v) {
  if (typeof v === 'number' || typeof v === 'bigint') return BigInt(v);
  return null;
}

/** Unix seconds to milliseconds when the Rust `OffsetDateTime::from_unix_timestamp` accepts them. */
function unixSeconds(v) {
  const n = asInt(v);
  if (n === null || n < BigInt(MIN_UNIX) || n > BigInt(MAX_UNIX)) return null;
  return Number(n) * 1000;
}

// ---------------------------------------------------------------------------------------------
// The QR text (crates/qr/src/presentation.rs `decode_text`)

function classifyForeign(text) {
  const upper = text.slice(0, 8).toUpperCase();
  if (upper.startsWith('HC1:')) return 'this is an EU Digital COVID Certificate (HC1:), not a driving licence';
  if (upper.startsWith('HTTP://') || upper.startsWith('HTTPS:/') || upper.startsWith('WWW.')) {
    if (text.includes('qr.alipay.com') || text.includes('wxp://') || text.includes('payapp.weixin')) {
      return 'this is a payment code, not a driving licence code';
    }
    return 'this is a web address, not a driving licence code';
  }
  if (upper.startsWith('WXP://') || upper.startsWith('000201')) return 'this is a payment code, not a driving licence code';
  const later = /^EDL[0-9]+/.test(text) && text.length > 4 ? text.indexOf(':') : -1;
  if (later >= 0) {
    return `this is a later version of the e-licence code (${text.slice(0, later)}); update the verifier`;
  }
  return 'this is not an e-licence code (it does not start with EDL1:)';
}

function utf8Length(text) {
  return new TextEncoder().encode(text).length;
}

/**
 * Reads a QR text: prefix, Base45, strict CBOR, structure. Throws an Error whose message is what
 * the `code.format` check reports.
 * @returns {{credential: Uint8Array, generatedMs: number, generatedSeconds: number, challenge: Uint8Array, deviceSignature: Uint8Array}}
 */
export function decodeText(input) {
  if (typeof input !== 'string') throw new Error('the code is empty');
  const text = input.replace(/[\r\n]+$/, '');
  if (text.length === 0) throw new Error('the code is empty');
  if (utf8Length(text) > MAX_TEXT_CHARS) {
    throw new Error(`the code is ${[...text].length} characters, more than any QR code holds`);
  }
  if (!text.startsWith(PREFIX)) throw new Error(classifyForeign(text));
  let payload;
  try {
    payload = base45Decode(text.slice(PREFIX.length));
  } catch (e) {
    throw new Error(`the code is damaged: ${e.message}`);
  }
  let value;
  try {
    value = cborDecode(payload, MAX_TEXT_CHARS);
  } catch (e) {
    throw new Error(`the code's payload is not well-formed CBOR: ${e.message}`);
  }
  const malformed = (what) => new Error(`the code's payload is malformed: ${what}`);
  if (!Array.isArray(value)) throw malformed('not an array');
  if (value.length !== 4) throw malformed('not an array of four');
  const [credential, generated, challenge, signature] = value;
  if (!(credential instanceof Uint8Array)) throw malformed('the credential is not a byte string');
  if (credential.length > MAX_CREDENTIAL_BYTES) throw malformed('the credential is too large');
  const generatedMs = unixSeconds(generated);
  if (generatedMs === null) throw malformed('the generation time is not a time in seconds');
  if (!(challenge instanceof Uint8Array)) throw malformed('the challenge is not a byte string');
  if (challenge.length > MAX_CHALLENGE_BYTES) throw malformed(`the challenge is longer than ${MAX_CHALLENGE_BYTES} bytes`);
  if (!(signature instanceof Uint8Array)) throw malformed('the device signature is not a byte string');
  if (signature.length !== 64) throw malformed('the device signature is not 64 bytes');
  return { credential, generatedMs, generatedSeconds: generatedMs / 1000, challenge, deviceSignature: signature };
}

// ---------------------------------------------------------------------------------------------
// The compact credential (crates/qr/src/credential.rs)

const PROTECTED_ES256 = Uint8Array.of(0xa1, 0x01, 0x26);

/** `Sig_structure` (RFC 9052 §4.4) for a COSE_Sign1 with `protectedBytes` over `payload`. */
export function sigStructure(protectedBytes, payload) {
  return cborEncode(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

/**
 * Reads the COSE_Sign1 strictly: `[h'A10126', {4: kid}, payload, signature]`. Throws an Error whose
 * message is what `credential.structure` reports.
 */
export function parseCredential(bytes) {
  let value;
  try {
    value = cborDecode(bytes, MAX_CREDENTIAL_BYTES);
  } catch (e) {
    throw new Error(`the credential is not well-formed CBOR: ${e.message}`);
  }
  const structure = (what) => new Error(`the credential is not a COSE_Sign1 of this format: ${what}`);
  if (!Array.isArray(value)) throw structure('not an array');
  if (value.length !== 4) throw structure('not an array of four');
  const [prot, unprotected, payload, signature] = value;
  if (!(prot instanceof Uint8Array) || !bytesEqual(prot, PROTECTED_ES256)) {
    throw structure('the protected header is not exactly {1: -7} (ES256)');
  }
  if (!(unprotected instanceof CborMap) || unprotected.size !== 1) throw structure('the unprotected header is not {4: kid}');
  const [label, kid] = unprotected.entries[0];
  if (!isInt(label) || BigInt(label) !== 4n || !(kid instanceof Uint8Array)) {
    throw structure('the unprotected header is not {4: kid}');
  }
  if (kid.length !== 8) throw structure('the kid is not 8 bytes');
  if (!(payload instanceof Uint8Array)) throw structure('the payload is not a byte string');
  if (!(signature instanceof Uint8Array)) throw structure('the signature is not a byte string');
  if (signature.length !== 64) throw structure('the signature is not 64 bytes');
  return { kid, payload, signature };
}

// The elements (crates/qr/src/claims.rs FIELDS; labels from crates/mdoc/src/elements.rs).
const FIELDS = [
  [1, 'family_name_national_character', '姓', 'text'],
  [2, 'given_name_national_character', '名', 'text'],
  [3, 'birth_date', '出生日期', 'days'],
  [4, 'sex', '性别', 'sex'],
  [5, 'nationality', '国籍', 'text'],
  [6, 'portrait', '照片', 'portrait'],
  [7, 'document_number', '证号', 'citizen_id'],
  [8, 'issue_date', '有效期起始日期', 'days'],
  [9, 'expiry_date', '有效期截止日期', 'days_or_long_term'],
  [10, 'driving_classes', '准驾车型', 'text'],
  [11, 'age_over_18', '年满18周岁', 'bool'],
  [12, 'age_over_70', '年满70周岁', 'bool'],
  [13, 'file_number', '档案编号', 'file_number'],
  [14, 'first_issue_date', '初次领证日期', 'days'],
  [15, 'status_letters', '状态', 'text'],
  [16, 'points', '累积记分', 'uint'],
  [17, 'points_cycle_end', '记分周期截止日期', 'days'],
  [18, 'issuing_authority_name', '发证机关', 'text'],
].map(([key, identifier, label, kind]) => Object.freeze({ key, identifier, label, kind }));

/** Labels on the card by element identifier. */
export const LABELS_ZH = Object.freeze(Object.fromEntries(FIELDS.map((f) => [f.identifier, f.label])));

// Which elements each purpose discloses (crates/mdoc/src/purpose.rs `discloses`), restricted to
// the elements a compact credential can carry.
const COMMON = new Set([
  'family_name_national_character', 'given_name_national_character',
  'driving_classes', 'issue_date', 'expiry_date', 'status_letters',
]);
const DISCLOSES = {
  roadside: () => true,
  business_window: () => true,
  car_rental: (id) => COMMON.has(id) || id === 'portrait' || id === 'age_over_18',
  transport_company: (id) => COMMON.has(id) || ['portrait', 'document_number', 'first_issue_date', 'points',
    'points_cycle_end', 'issuing_authority_name'].includes(id),
  insurer: (id) => COMMON.has(id) || ['document_number', 'birth_date', 'first_issue_date', 'points',
    'points_cycle_end'].includes(id),
};

/** Whether a credential for `purpose` carries the element (`Field::carried_for`). */
export function carriedFor(identifier, purpose) {
  const discloses = DISCLOSES[purpose];
  if (!discloses || !discloses(identifier)) return false;
  if (identifier === 'age_over_18' || identifier === 'age_over_70') return !discloses('birth_date');
  return true;
}

// Dates: days since 1970-01-01 (claims.rs `date_of_days`), proleptic Gregorian.
const MS_PER_DAY = 86400000;

function dateOfDays(v) {
  const n = asInt(v);
  if (n === null || n > 3000000n || n < -3000000n) return null;
  const d = new Date(Number(n) * MS_PER_DAY);
  const year = d.getUTCFullYear();
  if (year > 9999 || year < -9999) return null;
  const yyyy = year < 0 ? `-${String(-year).padStart(4, '0')}` : String(year).padStart(4, '0');
  return `${yyyy}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

// GB 11643 (crates/domain/src/citizen_id.rs): provinces in the region table, ISO 7064 MOD 11-2.
const PROVINCES = new Set([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45,
  46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65]);
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

function citizenId(v) {
  const n = asUint(v);
  if (n === null || n >= 10n ** 17n) return null;
  const first17 = n.toString().padStart(17, '0');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i];
  if (!PROVINCES.has(Number(first17.slice(0, 2)))) return null;
  const year = Number(first17.slice(6, 10));
  const month = Number(first17.slice(10, 12));
  const day = Number(first17.slice(12, 14));
  if (year < 1800 || month < 1 || month > 12 || day < 1) return null;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > last) return null;
  return first17 + ID_CHECK[sum % 11];
}

/**
 * Reads one element value as its kind (`FieldValue::read`): `{ json, display }` or null when it
 * does not fit. `json` is what the report carries (report_json.rs `value`), `display` what a
 * person reads (`FieldValue::display`).
 */
function readValue(kind, v) {
  switch (kind) {
    case 'text':
      return typeof v === 'string' ? { json: v, display: v } : null;
    case 'days': {
      const d = dateOfDays(v);
      return d === null ? null : { json: d, display: d };
    }
    case 'days_or_long_term': {
      if (v === null) return { json: '长期', display: '长期' };
      const d = dateOfDays(v);
      return d === null ? null : { json: d, display: d };
    }
    case 'uint': {
      const n = asUint(v);
      if (n === null || n >= 2n ** 64n) return null;
      return { json: n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString(), display: n.toString() };
    }
    case 'sex': {
      const n = asUint(v);
      if (n === 1n) return { json: '男', display: '男' };
      if (n === 2n) return { json: '女', display: '女' };
      return null;
    }
    case 'bool':
      return typeof v === 'boolean' ? { json: v, display: v ? '是' : '否' } : null;
    case 'citizen_id': {
      const id = citizenId(v);
      return id === null ? null : { json: id, display: id };
    }
    case 'file_number': {
      const n = asUint(v);
      if (n === null || n >= 10n ** 12n) return null;
      const s = n.toString().padStart(12, '0');
      return { json: s, display: s };
    }
    case 'portrait': {
      if (!(v instanceof Uint8Array) || v.length !== 16) return null;
      const h = toHex(v);
      return { json: h, display: h };
    }
    default:
      return null;
  }
}

/**
 * Reads the claims strictly (`Claims::parse`). Throws an Error whose message is what
 * `credential.claims` reports.
 */
export function parseClaims(bytes) {
  const fail = (what) => new Error(`the credential's claims are malformed: ${what}`);
  let value;
  try {
    value = cborDecode(bytes, MAX_CREDENTIAL_BYTES);
  } catch (e) {
    throw fail(e.message);
  }
  if (!(value instanceof CborMap)) throw fail('not a map');
  let purpose = null;
  let deviceKey = null;
  let validFrom = null;
  let validUntil = null;
  let statusIndex = null;
  let elements = null;
  for (const [k, v] of value.entries) {
    const key = asUint(k);
    if (key === null) throw fail('a claim key is not an unsigned integer');
    switch (key) {
      case 1n: {
        const code = asUint(v);
        purpose = code !== null && code <= 5n ? PURPOSE_NAMES[Number(code)] : undefined;
        if (!purpose) throw fail('unknown purpose');
        break;
      }
      case 2n:
        if (!(v instanceof Uint8Array) || v.length !== 33 || (v[0] !== 2 && v[0] !== 3)) {
          throw fail('the device key is not a compressed P-256 point');
        }
        deviceKey = v;
        break;
      case 3n:
        validFrom = unixSeconds(v);
        if (validFrom === null) throw fail('valid_from is not a time in seconds');
        break;
      case 4n:
        validUntil = unixSeconds(v);
        if (validUntil === null) throw fail('valid_until is not a time in seconds');
        break;
      case 5n:
        statusIndex = asUint(v);
        if (statusIndex === null || statusIndex >= 2n ** 64n) throw fail('the status index is not an unsigned integer');
        break;
      case 6n:
        elements = readElements(v, fail);
        break;
      default:
        throw fail(`unknown claim ${key}`);
    }
  }
  if (purpose === null) throw fail('no purpose');
  if (elements === null) throw fail('no elements');
  for (const { field } of elements) {
    if (!carriedFor(field.identifier, purpose)) {
      throw fail(`element ${field.identifier} is not carried for the purpose ${purpose}`);
    }
  }
  if (deviceKey === null) throw fail('no device key');
  if (validFrom === null) throw fail('no valid_from');
  if (validUntil === null) throw fail('no valid_until');
  if (validUntil < validFrom) throw fail('valid_until is before valid_from');
  return { purpose, deviceKey, validFrom, validUntil, statusIndex, elements };
}

function readElements(v, fail) {
  if (!(v instanceof CborMap)) throw fail('the elements are not a map');
  return v.entries.map(([k, value]) => {
    const key = asUint(k);
    if (key === null) throw fail('an element key is not an unsigned integer');
    const field = key >= 1n && key <= 18n ? FIELDS[Number(key) - 1] : undefined;
    if (!field) throw fail(`unknown element ${key}`);
    const read = readValue(field.kind, value);
    if (read === null) throw fail(`element ${field.identifier} has the wrong type or range`);
    return { field, ...read };
  });
}

// ---------------------------------------------------------------------------------------------
// Status letters (crates/domain/src/status.rs): the display rule

const LETTERS = 'ABCDEFGHIJKLMNPRSUZ';
const LETTER_ZH = {
  A: '正常', B: '超分', C: '转出', D: '暂扣', E: '撤销', F: '吊销', G: '注销', H: '违法未处理', I: '事故未处理',
  J: '停止使用', K: '协查', L: '锁定', M: '逾期未换证', N: '延期换证', P: '延期体检', R: '逾期未体检', S: '逾期未审',
  U: '扣留', Z: '其他',
};
/** Display states by severity: 0 black, 1 red, 2 invalid, 3 not displayed. */
const BLACK = 0;
const RED = 1;
const INVALID = 2;
const NOT_DISPLAYED = 3;
const LETTER_STATE = {
  A: BLACK, H: BLACK, I: BLACK, N: BLACK, P: BLACK,
  B: RED, D: RED, U: RED, M: RED, S: RED, R: RED, K: RED, Z: RED,
  L: INVALID, J: INVALID, C: INVALID,
  E: NOT_DISPLAYED, F: NOT_DISPLAYED, G: NOT_DISPLAYED,
};

/** The letters in standard order, or null when they are not a valid GA/T 16.25 status set. */
export function parseStatusLetters(text) {
  if (typeof text !== 'string' || text.length === 0) return null;
  const seen = new Set();
  for (const c of text) {
    if (!LETTERS.includes(c) || seen.has(c)) return null;
    seen.add(c);
  }
  if (seen.has('A') && seen.size > 1) return null;
  return [...LETTERS].filter((l) => seen.has(l));
}

/** The Chinese names of status letters (`正常`, `违法未处理、事故未处理`), or the text itself. */
export function statusLettersZh(text) {
  const letters = parseStatusLetters(text);
  return letters ? letters.map((l) => LETTER_ZH[l]).join('、') : text;
}

// ---------------------------------------------------------------------------------------------
// P-256 keys

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

function modPow(base, exponent, modulus) {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

function bigFromBytes(bytes) {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function bytesFromBig(n, length) {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/**
 * The uncompressed SEC1 point (04 ‖ x ‖ y) of a compressed P-256 point (02/03 ‖ x), or null when
 * it is not a point on the curve. Done here because WebCrypto's `raw` import of compressed points
 * is not available in every browser.
 */
export function decompressP256(compressed) {
  if (!(compressed instanceof Uint8Array) || compressed.length !== 33 || (compressed[0] !== 2 && compressed[0] !== 3)) {
    return null;
  }
  const x = bigFromBytes(compressed.subarray(1));
  if (x >= P) return null;
  const rhs = (((x * x) % P) * x - 3n * x + B) % P;
  const alpha = (rhs + P) % P;
  let y = modPow(alpha, (P + 1n) / 4n, P);
  if ((y * y) % P !== alpha) return null;
  if (Number(y & 1n) !== (compressed[0] & 1)) y = P - y;
  const out = new Uint8Array(65);
  out[0] = 4;
  out.set(bytesFromBig(x, 32), 1);
  out.set(bytesFromBig(y, 32), 33);
  return out;
}

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' };
const ES256 = { name: 'ECDSA', hash: 'SHA-256' };

async function es256Verify(key, signature, data) {
  try {
    return await subtle().verify(ES256, key, signature, data);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// X.509: a small DER walker for what the verifier needs from a document-signer certificate

function derRead(bytes, pos, end = bytes.length) {
  if (pos + 2 > end) throw new Error('the certificate ends inside a DER header');
  const tag = bytes[pos];
  if ((tag & 0x1f) === 0x1f) throw new Error('a DER tag in the high-tag-number form');
  let len = bytes[pos + 1];
  let offset = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('a DER length that is indefinite or longer than 4 bytes');
    if (offset + n > end) throw new Error('the certificate ends inside a DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[offset + i];
    offset += n;
  }
  if (offset + len > end) throw new Error('a DER value longer than the bytes left');
  return { tag, start: pos, contentStart: offset, end: offset + len };
}

function derChildren(bytes, node) {
  const out = [];
  let pos = node.contentStart;
  while (pos < node.end) {
    const child = derRead(bytes, pos, node.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

const OID_CN = '550403';
const OID_SERIAL_NUMBER = '550405';
const OID_EC_PUBLIC_KEY = '2a8648ce3d0201';
const OID_P256 = '2a8648ce3d030107';

function derTime(bytes, node) {
  const text = String.fromCharCode(...bytes.subarray(node.contentStart, node.end));
  let m;
  if (node.tag === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    const yy = Number(m[1]);
    return Date.UTC(yy < 50 ? 2000 + yy : 1900 + yy, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  if (node.tag === 0x18 && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  throw new Error('a validity time that is neither UTCTime nor GeneralizedTime in UTC');
}

function firstAttribute(bytes, name, oidHex) {
  for (const rdn of derChildren(bytes, name)) {
    for (const atv of derChildren(bytes, rdn)) {
      const [oid, value] = derChildren(bytes, atv);
      if (oid && oid.tag === 0x06 && toHex(bytes.subarray(oid.contentStart, oid.end)) === oidHex && value) {
        try {
          const content = bytes.subarray(value.contentStart, value.end);
          if (value.tag === 0x1e) { // BMPString
            let s = '';
            for (let i = 0; i + 1 < content.length; i += 2) s += String.fromCharCode((content[i] << 8) | content[i + 1]);
            return s;
          }
          return UTF8.decode(content);
        } catch {
          return null;
        }
      }
    }
  }
  return null;
}

/**
 * What the verifier reads from a certificate: validity, subject CN and serialNumber (the region,
 * GB/T 2260, six digits), and the SubjectPublicKeyInfo (DER) with its curve. Throws on a
 * certificate it cannot walk.
 * @param {Uint8Array} der
 */
export function parseCertificate(der) {
  const cert = derRead(der, 0);
  if (cert.tag !== 0x30 || cert.end !== der.length) throw new Error('not a DER certificate (one SEQUENCE)');
  const [tbs] = derChildren(der, cert);
  if (!tbs || tbs.tag !== 0x30) throw new Error('no TBSCertificate');
  const parts = derChildren(der, tbs);
  let i = parts[0] && parts[0].tag === 0xa0 ? 1 : 0; // [0] EXPLICIT version
  const [serial, , issuer, validity, subject, spki] = parts.slice(i, i + 6);
  if (!serial || serial.tag !== 0x02 || !issuer || issuer.tag !== 0x30 || !validity || validity.tag !== 0x30
    || !subject || subject.tag !== 0x30 || !spki || spki.tag !== 0x30) {
    throw new Error('the TBSCertificate is not serial, signature, issuer, validity, subject, subjectPublicKeyInfo');
  }
  const [notBefore, notAfter] = derChildren(der, validity);
  if (!notBefore || !notAfter) throw new Error('the validity is not two times');
  const [algorithm, publicKey] = derChildren(der, spki);
  if (!algorithm || algorithm.tag !== 0x30 || !publicKey || publicKey.tag !== 0x03) {
    throw new Error('the subjectPublicKeyInfo is not an algorithm and a BIT STRING');
  }
  const [algOid, params] = derChildren(der, algorithm);
  const oidOf = (node) => (node && node.tag === 0x06 ? toHex(der.subarray(node.contentStart, node.end)) : null);
  const serialNumber = firstAttribute(der, subject, OID_SERIAL_NUMBER);
  return {
    notBefore: derTime(der, notBefore),
    notAfter: derTime(der, notAfter),
    commonName: firstAttribute(der, subject, OID_CN),
    region: serialNumber !== null && /^\d{6}$/.test(serialNumber) ? Number(serialNumber) : null,
    spki: der.slice(spki.start, spki.end),
    isP256: oidOf(algOid) === OID_EC_PUBLIC_KEY && oidOf(params) === OID_P256,
  };
}

/** The signer key identifier: the first 8 bytes of SHA-256 over the certificate's DER. */
export async function signerKid(der) {
  return new Uint8Array(await subtle().digest('SHA-256', der)).slice(0, 8);
}

async function prepareCertificate(der) {
  const facts = parseCertificate(der);
  let key = null;
  if (facts.isP256) {
    key = await subtle().importKey('spki', facts.spki, ECDSA_P256, false, ['verify']);
  }
  return { der, ...facts, key };
}

// ---------------------------------------------------------------------------------------------
// Status list tokens (crates/status-list: a COSE_Sign1 CWT, draft-ietf-oauth-status-list)

const STATUS_LIST_TYP = 'application/statuslist+cwt';

async function inflateZlib(bytes, maxBytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    let step;
    try {
      step = await reader.read();
    } catch {
      throw new Error(`the compressed list does not inflate within ${maxBytes} bytes`);
    }
    if (step.done) break;
    total += step.value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new Error(`the compressed list does not inflate within ${maxBytes} bytes`);
    }
    chunks.push(step.value);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * Reads a status-list token and checks its signature with the certificate its x5chain carries.
 * Whether that certificate chains to a trusted IACA is the server's check (web/scanner/README.md).
 * @returns {Promise<{uri: string, issuedAt: number, expiresAt: number, ttlSeconds: number|null, bits: number, bytes: Uint8Array, signer: object}>}
 */
export async function readStatusListToken(tokenBytes) {
  if (tokenBytes.length > MAX_TOKEN_BYTES) {
    throw new Error(`${tokenBytes.length} bytes is more than the ${MAX_TOKEN_BYTES} a status list token may have`);
  }
  // COSE_Sign1 is tag 18 (0xd2): the only tag accepted, and only around the whole token.
  const body = tokenBytes[0] === 0xd2 ? tokenBytes.subarray(1) : tokenBytes;
  let value;
  try {
    value = cborDecode(body, MAX_TOKEN_BYTES);
  } catch (e) {
    throw new Error(`the token is malformed: ${e.message}`);
  }
  if (!Array.isArray(value) || value.length !== 4) throw new Error('the token is malformed: not a COSE_Sign1');
  const [prot, unprotected, payload, signature] = value;
  if (!(prot instanceof Uint8Array) || !(unprotected instanceof CborMap) || !(payload instanceof Uint8Array)
    || !(signature instanceof Uint8Array)) {
    throw new Error('the token is malformed: not a COSE_Sign1');
  }
  let header;
  try {
    header = cborDecode(prot);
  } catch {
    throw new Error('the protected header is not ES256 with typ application/statuslist+cwt');
  }
  if (!(header instanceof CborMap) || header.size !== 2 || header.get(1) !== -7 || header.get(16) !== STATUS_LIST_TYP) {
    throw new Error('the protected header is not ES256 with typ application/statuslist+cwt');
  }
  const x5chain = unprotected.get(33);
  const chain = x5chain instanceof Uint8Array ? [x5chain]
    : Array.isArray(x5chain) && x5chain.length > 0 && x5chain.every((c) => c instanceof Uint8Array) ? x5chain : null;
  if (!chain) throw new Error('the token is malformed: no x5chain');
  let signer;
  try {
    signer = await prepareCertificate(chain[0]);
  } catch (e) {
    throw new Error(`the token's signer certificate does not parse: ${e.message}`);
  }
  if (!signer.key || signature.length !== 64
    || !(await es256Verify(signer.key, signature, sigStructure(prot, payload)))) {
    throw new Error("the token's signature does not verify");
  }
  let claims;
  try {
    claims = cborDecode(payload, MAX_TOKEN_BYTES);
  } catch {
    throw new Error('the token is malformed: claims are not well-formed CBOR');
  }
  if (!(claims instanceof CborMap)) throw new Error('the token is malformed: claims are not a map');
  const uri = claims.get(2);
  if (typeof uri !== 'string') throw new Error('claim sub is missing or of the wrong type');
  const time = (label, name) => {
    const ms = unixSeconds(claims.get(label));
    if (ms === null || asUint(claims.get(label)) === null) throw new Error(`claim ${name} is missing or of the wrong type`);
    return ms;
  };
  const issuedAt = time(6, 'iat');
  const expiresAt = time(4, 'exp');
  if (expiresAt <= issuedAt) throw new Error('the token expires before it is issued');
  let ttlSeconds = null;
  if (claims.has(65534)) {
    const ttl = asUint(claims.get(65534));
    if (ttl === null) throw new Error('claim ttl is missing or of the wrong type');
    ttlSeconds = Number(ttl);
  }
  const list = claims.get(65533);
  if (!(list instanceof CborMap)) throw new Error('claim status_list is missing or of the wrong type');
  const bits = asUint(list.get('bits'));
  if (bits === null) throw new Error('claim status_list.bits is missing or of the wrong type');
  const lst = list.get('lst');
  if (!(lst instanceof Uint8Array)) throw new Error('claim status_list.lst is missing or of the wrong type');
  if (![1n, 2n, 4n, 8n].includes(bits)) throw new Error(`the list is unusable: ${bits} bits per entry is not one of 1, 2, 4, 8`);
  const bytes = await inflateZlib(lst, (MAX_STATUS_ENTRIES * Number(bits)) / 8);
  return { uri, issuedAt, expiresAt, ttlSeconds, bits: Number(bits), bytes, signer };
}

const STATUS_NAMES = ['valid', 'invalid', 'suspended', 'application_specific'];

/** The status of entry `index` (list.rs `get`): a name, or throws when beyond the list. */
function statusAt(list, index) {
  const len = BigInt(Math.floor((list.bytes.length * 8) / list.bits));
  if (index >= len) throw new Error(`index ${index} is beyond the list's ${len} entries`);
  const bit = Number(index) * list.bits;
  const mask = list.bits === 8 ? 0xff : (1 << list.bits) - 1;
  const value = (list.bytes[Math.floor(bit / 8)] >> (bit % 8)) & mask;
  return value > 3 ? 'application_specific' : STATUS_NAMES[value];
}

// ---------------------------------------------------------------------------------------------
// The material

/**
 * Parses and prepares the trust and status material served at GET /scanner/api/material
 * (web/scanner/README.md): imports every signer's key, reads and checks every status-list token.
 * Throws when the material as a whole is unusable (not the format, a signer certificate that does
 * not parse); a status list that does not verify, or whose signer names another region than the
 * one declared, is left out and named in `problems` (that region's status is then unknown).
 * @param {string|object} json
 */
export async function loadMaterial(json) {
  const m = typeof json === 'string' ? JSON.parse(json) : json;
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new Error('the material is not a JSON object');
  const generatedAt = parseRfc3339(m.generated_at, 'generated_at');
  const useUntil = parseRfc3339(m.use_until, 'use_until');
  if (useUntil < generatedAt) throw new Error('use_until is before generated_at');
  const policy = { ...DEFAULT_POLICY };
  if (m.policy !== undefined && m.policy !== null) {
    for (const [key, name] of [['max_age_seconds', 'maxAgeSeconds'], ['future_skew_seconds', 'futureSkewSeconds']]) {
      const v = m.policy[key];
      if (v === undefined) continue;
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`policy.${key} is not a whole number of seconds`);
      policy[name] = v;
    }
  }
  if (!Array.isArray(m.signers)) throw new Error('signers is not an array');
  if (m.signers.length > MAX_SIGNERS) {
    throw new Error(`${m.signers.length} document signers listed, more than the ${MAX_SIGNERS} accepted`);
  }
  const problems = [];
  const signers = [];
  for (const [index, s] of m.signers.entries()) {
    let signer;
    try {
      const der = fromBase64(s && s.certificate);
      signer = await prepareCertificate(der);
      signer.kid = await signerKid(der);
      signer.revokedAt = s.revoked_at === null || s.revoked_at === undefined
        ? null : parseRfc3339(s.revoked_at, 'revoked_at');
    } catch (e) {
      throw new Error(`document signer certificate ${index} does not parse: ${e.message}`);
    }
    if (!signer.key) problems.push(`document signer ${index} has no P-256 key: its codes cannot verify`);
    signers.push(signer);
  }
  if (!Array.isArray(m.status_lists)) throw new Error('status_lists is not an array');
  const statusLists = [];
  for (const [index, entry] of m.status_lists.entries()) {
    const declared = entry && (typeof entry.region === 'string' ? Number(entry.region) : entry.region);
    try {
      if (!Number.isInteger(declared) || declared < 0 || declared > 999999) throw new Error('its region is not six digits');
      const list = await readStatusListToken(fromBase64(entry.token));
      // Whose list (verify.rs `region_of`): a known signer's region, else the carried certificate's.
      const known = signers.find((s) => bytesEqual(s.der, list.signer.der));
      const region = known ? known.region : list.signer.region;
      if (region !== declared) {
        throw new Error(`it is declared for region ${pad6(declared)} but signed for ${region === null ? 'no region' : pad6(region)}`);
      }
      statusLists.push({ region, ...list });
    } catch (e) {
      problems.push(`status list ${index}${Number.isInteger(declared) ? ` (region ${pad6(declared)})` : ''} left out: ${e.message}`);
    }
  }
  return { generatedAt, useUntil, policy, signers, statusLists, problems, json: m };
}

const pad6 = (n) => String(n).padStart(6, '0');

/**
 * Whether cached material may still be used at `at`, and how old it is.
 * @returns {{usable: boolean, ageSeconds: number, reason: string|null}}
 */
export function materialFreshness(material, at = new Date()) {
  if (!material) return { usable: false, ageSeconds: null, reason: 'no material' };
  const now = at.getTime();
  const ageSeconds = wholeSeconds(now - material.generatedAt);
  if (now > material.useUntil) {
    return { usable: false, ageSeconds, reason: `the material was to be used until ${rfc3339(material.useUntil)}` };
  }
  return { usable: true, ageSeconds, reason: null };
}

/** The newest status list the material holds for a region (as the status check picks it), or null. */
export function statusListFor(material, region) {
  let best = null;
  for (const l of material?.statusLists ?? []) {
    if (l.region === region && (best === null || l.issuedAt >= best.issuedAt)) best = l;
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Verification (crates/qr/src/verify.rs `Run::verify`)

class Run {
  constructor(atMs) {
    this.checks = [];
    this.at = atMs;
    this.generatedMs = null;
    this.purpose = null;
    this.validFrom = null;
    this.validUntil = null;
    this.fields = [];
    this.status = { state: 'not_referenced' };
    this.colour = 'none';
    this.signer = null;
  }

  push(name, outcome, reason = null) {
    this.checks.push({ name, outcome, reason });
  }

  restNotChecked(from, why) {
    for (const name of AFTER_FORMAT.slice(from)) this.push(name, 'not_checked', why);
    this.push('licence.status_letters', 'not_checked', why);
  }

  /** After an unexpected error: the check in progress failed, the rest were not checked. */
  abort(error) {
    const done = new Set(this.checks.map((c) => c.name));
    const remaining = CHECK_NAMES.filter((n) => !done.has(n));
    if (remaining.length === 0) return;
    this.push(remaining[0], 'failed', `the verifier could not complete this check: ${error && error.message ? error.message : String(error)}`);
    for (const name of remaining.slice(1)) this.push(name, 'not_checked', 'the verifier stopped at an earlier check');
  }

  report() {
    const fields = {};
    const labels = {};
    for (const f of this.fields) {
      fields[f.field.identifier] = f.json;
      labels[f.field.identifier] = f.field.label;
    }
    return {
      valid: this.checks.every((c) => c.outcome === 'passed' || c.outcome === 'not_applicable'),
      colour: this.colour,
      validated_at: rfc3339(this.at),
      purpose: this.purpose,
      purpose_zh: this.purpose ? PURPOSE_ZH[this.purpose] : null,
      generated_at: this.generatedMs === null ? null : rfc3339(this.generatedMs),
      age_seconds: this.generatedMs === null ? null : wholeSeconds(this.at - this.generatedMs),
      validity: this.validFrom === null ? null
        : { valid_from: rfc3339(this.validFrom), valid_until: rfc3339(this.validUntil) },
      status: this.status,
      signer: this.signer,
      fields,
      labels,
      checks: this.checks,
    };
  }
}

/**
 * Verifies an EDL1 QR text offline. Never throws: anything wrong with the text is a failed check.
 * @param {string} text the text read from the QR code
 * @param {object|null} material from `loadMaterial`
 * @param {{at?: Date, challenge?: Uint8Array|null, allowedPurposes?: string[]|null}} [options] `at`
 *   is the validation time (default now); `challenge` the challenge the verifier showed, if any;
 *   `allowedPurposes` the purposes the verifier may verify for, if it is limited
 * @returns {Promise<object>} the report, shaped as `QrReport::to_json`
 */
export async function verifyQrText(text, material, options = {}) {
  const at = options.at instanceof Date && !Number.isNaN(options.at.getTime()) ? options.at.getTime() : Date.now();
  const run = new Run(at);
  try {
    await verifyInto(run, text, material, options);
  } catch (error) {
    run.abort(error);
  }
  return run.report();
}

async function verifyInto(run, text, material, options) {
  const at = run.at;
  const policy = material?.policy ?? DEFAULT_POLICY;
  const challenge = options.challenge ?? null;
  const allowed = options.allowedPurposes ?? null;

  let presentation;
  try {
    presentation = decodeText(text);
    run.push('code.format', 'passed');
  } catch (e) {
    run.push('code.format', 'failed', e.message);
    run.restNotChecked(0, 'the code could not be read');
    return;
  }
  run.generatedMs = presentation.generatedMs;

  let parsed;
  try {
    parsed = parseCredential(presentation.credential);
    run.push('credential.structure', 'passed');
  } catch (e) {
    run.push('credential.structure', 'failed', e.message);
    run.restNotChecked(1, 'the credential could not be read');
    return;
  }

  // Which signer: every known certificate with this kid is tried (kids may collide).
  const candidates = (material?.signers ?? []).filter((s) => bytesEqual(s.kid, parsed.kid));
  if (candidates.length === 0) {
    run.push('issuer.signer_known', 'failed',
      `no document signer with key identifier ${toHex(parsed.kid)} is in the trust list`);
    run.restNotChecked(2, 'the signer is unknown');
    return;
  }
  run.push('issuer.signer_known', 'passed');
  const toVerify = sigStructure(PROTECTED_ES256, parsed.payload);
  let signer = null;
  for (const candidate of candidates) {
    if (candidate.key && await es256Verify(candidate.key, parsed.signature, toVerify)) {
      signer = candidate;
      break;
    }
  }
  const chosen = signer ?? candidates[0];
  const region = chosen.region;
  if (chosen.revokedAt !== null && chosen.revokedAt <= at) {
    run.push('issuer.signer_not_revoked', 'failed',
      `the document signer was revoked at ${rfc3339(chosen.revokedAt)}; codes it signed are no longer accepted`);
  } else {
    run.push('issuer.signer_not_revoked', 'passed');
  }
  run.signer = {
    authority: chosen.commonName,
    region: region === null ? null : pad6(region),
    not_after: rfc3339(chosen.notAfter),
  };
  // The chain to the IACA was validated by the server that served the material; what depends on
  // the validation time is checked here: the signer certificate's validity period.
  if (at < chosen.notBefore) {
    run.push('issuer.certificate_chain', 'failed', `document_signer.validity: not valid before ${rfc3339(chosen.notBefore)}`);
  } else if (at > chosen.notAfter) {
    run.push('issuer.certificate_chain', 'failed', `document_signer.validity: expired at ${rfc3339(chosen.notAfter)}`);
  } else {
    run.push('issuer.certificate_chain', 'passed');
  }
  if (!signer) {
    run.push('issuer.signature', 'failed', "the issuer's signature does not verify");
    // Unsigned claims are never read, let alone shown.
    run.restNotChecked(5, "the issuer's signature does not verify");
    return;
  }
  run.push('issuer.signature', 'passed');

  let claims;
  try {
    claims = parseClaims(parsed.payload);
    run.push('credential.claims', 'passed');
  } catch (e) {
    run.push('credential.claims', 'failed', e.message);
    run.restNotChecked(6, 'the claims could not be read');
    return;
  }
  run.purpose = claims.purpose;
  run.validFrom = claims.validFrom;
  run.validUntil = claims.validUntil;
  run.fields = claims.elements;

  if (at < claims.validFrom) {
    run.push('credential.validity', 'failed', `the credential is valid only from ${rfc3339(claims.validFrom)}`);
  } else if (at > claims.validUntil) {
    run.push('credential.validity', 'failed',
      `the credential expired at ${rfc3339(claims.validUntil)}; the holder's wallet must refresh it`);
  } else {
    run.push('credential.validity', 'passed');
  }

  const [deviceOutcome, deviceReason] = await deviceSignature(presentation, claims);
  run.push('device.signature', deviceOutcome, deviceReason);

  const age = at - presentation.generatedMs;
  if (age < -policy.futureSkewSeconds * 1000) {
    run.push('freshness', 'failed',
      `the code is dated ${wholeSeconds(-age)} s in the future (more than the ${policy.futureSkewSeconds} s allowed for clock differences)`);
  } else if (age > policy.maxAgeSeconds * 1000) {
    run.push('freshness', 'failed',
      `the code is ${wholeSeconds(age)} s old, older than the ${policy.maxAgeSeconds} s accepted: a screenshot or a replay`);
  } else {
    run.push('freshness', 'passed');
  }

  if (challenge === null) {
    run.push('challenge', 'not_applicable', 'the verifier showed no challenge');
  } else if (bytesEqual(challenge, presentation.challenge)) {
    run.push('challenge', 'passed');
  } else if (presentation.challenge.length === 0) {
    run.push('challenge', 'failed', 'the code does not carry the challenge shown');
  } else {
    run.push('challenge', 'failed', 'the code carries another challenge');
  }

  if (allowed === null) {
    run.push('purpose', 'not_applicable', 'the verifier is not limited to purposes');
  } else if (allowed.includes(claims.purpose)) {
    run.push('purpose', 'passed');
  } else {
    run.push('purpose', 'failed', `this verifier may not verify for the purpose ${claims.purpose}`);
  }

  const [finding, statusOutcome, statusReason] = statusOf(claims, region, material, at);
  run.status = finding;
  run.push('status', statusOutcome, statusReason);

  const letterValue = claims.elements.find((e) => e.field.identifier === 'status_letters');
  const letters = letterValue ? parseStatusLetters(letterValue.json) : null;
  const shown = letters ? Math.max(BLACK, ...letters.map((l) => LETTER_STATE[l])) : BLACK;
  if (letters === null) {
    run.push('licence.status_letters', 'failed', 'the status letters are not valid GA/T 16.25 letters');
  } else if (shown === BLACK) {
    run.push('licence.status_letters', 'passed');
  } else {
    run.push('licence.status_letters', 'failed',
      `the licence's status (${letters.map((l) => LETTER_ZH[l]).join('、')}) does not allow driving`);
  }
  const listed = finding.state === 'suspended' ? RED : finding.state === 'invalid' ? NOT_DISPLAYED : BLACK;
  const colour = Math.max(shown, listed);
  run.colour = colour === BLACK ? 'black' : colour === NOT_DISPLAYED ? 'none' : 'red';
}

async function deviceSignature(presentation, claims) {
  const point = decompressP256(claims.deviceKey);
  let key = null;
  if (point) {
    try {
      key = await subtle().importKey('raw', point, ECDSA_P256, false, ['verify']);
    } catch {
      key = null;
    }
  }
  if (!key) return ['failed', 'the device key is not a point on P-256'];
  const signed = holderSignedBytes(
    presentation.credential,
    Math.max(0, presentation.generatedSeconds),
    PURPOSES[claims.purpose],
    presentation.challenge,
  );
  if (await es256Verify(key, presentation.deviceSignature, signed)) return ['passed', null];
  return ['failed', 'the device signature does not verify with the device key the credential names'];
}

function statusOf(claims, region, material, at) {
  const unknown = (reason) => [{ state: 'unknown', reason }, 'failed', `unknown: ${reason}`];
  if (claims.statusIndex === null) {
    return [{ state: 'not_referenced' }, 'not_applicable', 'the credential carries no status index'];
  }
  if (region === null) return unknown('the signer certificate names no region');
  const list = statusListFor(material, region);
  if (!list) return unknown(`no status list of region ${pad6(region)} is held`);
  if (at > list.expiresAt) {
    return unknown(`the status list of region ${pad6(region)} expired at ${rfc3339(list.expiresAt)}`);
  }
  let state;
  try {
    state = statusAt(list, claims.statusIndex);
  } catch (e) {
    return unknown(e.message);
  }
  const finding = {
    state,
    list_issued_at: rfc3339(list.issuedAt),
    list_age_seconds: wholeSeconds(at - list.issuedAt),
  };
  return state === 'valid' ? [finding, 'passed', null] : [finding, 'failed', `the credential is ${state}`];
}

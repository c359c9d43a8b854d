// AWS Signature V4 for the driver's own requests (s3-requests.ts). The canonical
// request is the minio client's (same signed headers, same query handling, see the
// tests against its signV4), but the signing key, four chained HMACs of the secret,
// is derived once per UTC day instead of on every request: in a CPU profile of tag
// PUTs on MinIO, signing was 8.6 % of Berth's busy time (docs/BENCHMARKS.md).
import { createHash, createHmac } from 'node:crypto';

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** Headers left out of the signature, as the minio client leaves them out. */
const UNSIGNED_HEADERS = new Set(['authorization', 'content-length', 'content-type', 'user-agent']);

/** 20261207T012345Z */
export function amzDate(date: Date): string {
  const s = date.toISOString();
  return s.slice(0, 4) + s.slice(5, 7) + s.slice(8, 13) + s.slice(14, 16) + s.slice(17, 19) + 'Z';
}

export class SigV4Signer {
  private day = '';
  private key: Buffer = Buffer.alloc(0);
  private scope = '';

  constructor(private readonly accessKey: string, private readonly secretKey: string, private readonly region: string,
    private readonly service = 's3') {}

  /** The signing key and credential scope of `day` (YYYYMMDD), derived again only when the day changes. */
  private keyFor(day: string): Buffer {
    if (day !== this.day) {
      const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
      this.key = hmac(hmac(hmac(hmac(`AWS4${this.secretKey}`, day), this.region), this.service), 'aws4_request');
      this.scope = `${day}/${this.region}/${this.service}/aws4_request`;
      this.day = day;
    }
    return this.key;
  }

  /**
   * The Authorization header of a request. `path` is the escaped path with its query;
   * `headers` (lower-case names) must already hold host, x-amz-date (of `date`) and
   * x-amz-content-sha256 (`payloadHash`).
   */
  authorization(method: string, path: string, headers: Readonly<Record<string, string>>, payloadHash: string, date: Date): string {
    const names = Object.keys(headers).filter((h) => !UNSIGNED_HEADERS.has(h)).sort();
    const q = path.indexOf('?');
    const query = q < 0 ? '' : path.slice(q + 1).split('&').sort().map((e) => (e.includes('=') ? e : `${e}=`)).join('&');
    let canonicalHeaders = '';
    for (const h of names) canonicalHeaders += `${h}:${headers[h].replace(/ +/g, ' ')}\n`;
    const signedHeaders = names.join(';');
    const canonical = `${method}\n${q < 0 ? path : path.slice(0, q)}\n${query}\n${canonicalHeaders}\n${signedHeaders}\n${payloadHash}`;
    const long = amzDate(date);
    const key = this.keyFor(long.slice(0, 8));
    const stringToSign = `${ALGORITHM}\n${long}\n${this.scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
    const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
    return `${ALGORITHM} Credential=${this.accessKey}/${this.scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  }
}

// Assertions on registry answers, for tests that call the HTTP API directly.
import type { Answer } from '../harness/oci-client.js';

/** Asserts an OCI error answer (status, and the first code of its `{"errors":[…]}` body) and returns the body. */
export async function expectError(res: Response | Answer, status: number, code: string): Promise<{ errors: { code: string; message: string; detail?: unknown }[] }> {
  const text = 'arrayBuffer' in res ? await res.text() : res.text;
  expect({ status: res.status, body: text }).toEqual({ status, body: expect.any(String) });
  if (res.headers.get('content-type')?.startsWith('application/json') && text) {
    const body = JSON.parse(text);
    expect(body.errors[0].code).toBe(code);
    return body;
  }
  return { errors: [] };
}

/** A JSON response body, loosely typed for assertions. */
export async function body(res: Response): Promise<any> {
  return res.json();
}

import { Client } from 'minio';
import http from 'node:http';
import net from 'node:net';
const c = new Client({ endPoint: '127.0.0.1', port: 7010, useSSL: false, accessKey: 'benchkey', secretKey: 'benchsecret1234567890', region: 'us-east-1', pathStyle: true });
const url = new URL(await c.presignedGetObject('bkt', process.argv[2], 600));
for (const mode of ['http', 'raw', 'http', 'raw']) {
  const c0 = process.cpuUsage(); const t0 = Date.now();
  let n = 0, k = 0;
  if (mode === 'http') {
    const s = await new Promise((res) => http.get(url, res));
    for await (const b of s) { n += b.length; k++; }
  } else {
    await new Promise((resolve) => {
      const sock = net.connect(7010, '127.0.0.1', () => sock.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`));
      sock.on('data', (b) => { n += b.length; k++; });
      sock.on('end', resolve);
    });
  }
  const cu = process.cpuUsage(c0);
  console.log(mode, n, 'chunks', k, 'MiB/s', (n / 1048576 / ((Date.now() - t0) / 1000)).toFixed(0), 'user', (cu.user / 1000).toFixed(0), 'sys', (cu.system / 1000).toFixed(0));
}

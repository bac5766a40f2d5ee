/**
 * The popular-library peer: node-http-proxy with a keep-alive agent (without one it opens a connection per
 * request and the comparison would be unfair to it).
 * Usage: node http-proxy.js http://127.0.0.1:<upstream port>
 */
import http from 'node:http';
import httpProxy from 'http-proxy';
import { serveChild } from '../lib/serve-child.js';

const target = process.argv[2];
if (!target) throw new Error('usage: http-proxy.js <upstream origin>');

const proxy = httpProxy.createProxyServer({ target, agent: new http.Agent({ keepAlive: true, maxSockets: 128 }) });

proxy.on('error', (_err, _req, res) => {
  if (!(res instanceof http.ServerResponse)) return res.destroy();
  if (res.headersSent) res.destroy();
  else res.writeHead(502, { 'content-length': '0' }).end();
});

serveChild(http.createServer((req, res) => proxy.web(req, res)));

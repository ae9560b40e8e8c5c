import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../services/kafka/client.ts';
import { ensureTopics } from '../../services/kafka/topics.ts';
import { outage } from '../chaos/faults.ts';
import { configOf, testPort, isolatedEnv, repoRoot } from '../support/env.ts';
import { adt } from '../support/hl7-messages.ts';
import { Hl7Process } from '../support/processes.ts';
import { readSourceTopics } from '../support/source-topics.ts';

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;
const frame = (text: string) => Buffer.concat([Buffer.from([VT]), Buffer.from(text, 'utf8'), Buffer.from([FS, CR])]);
const eventIdOf = (controlId: string) => `hl7:COSMIC:USO:${controlId}`;

/**
 * One MLLP connection as an integration engine holds it: a message out, its ACK back, then the
 * next. Written on the raw socket (plain or TLS) so the test sees exactly what goes over the wire.
 */
class MllpSender {
  #buffer = Buffer.alloc(0);
  #waiting: ((ack: string | Error) => void) | null = null;
  closed = false;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, d]);
      const end = this.#buffer.indexOf(Buffer.from([FS, CR]));
      if (end < 0) return;
      const start = this.#buffer.indexOf(VT);
      const ack = this.#buffer.subarray(start + 1, end).toString('utf8');
      this.#buffer = this.#buffer.subarray(end + 2);
      this.#waiting?.(ack);
    });
    const gone = (e?: Error) => {
      this.closed = true;
      this.#waiting?.(e ?? new Error('connection closed'));
    };
    socket.on('error', gone);
    socket.on('close', () => gone());
  }

  /** MSA-1 and MSA-2 of the ACK, or an error on timeout or a closed connection. */
  send(text: string, timeoutMs: number): Promise<{ code: string; ref: string }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no ACK within ${timeoutMs} ms`)), timeoutMs);
      const done = (ack: string | Error) => {
        clearTimeout(timer);
        this.#waiting = null;
        if (ack instanceof Error) return reject(ack);
        const msa = ack.split('\r').find((s) => s.startsWith('MSA|'))?.split('|') ?? [];
        resolve({ code: msa[1] ?? '', ref: msa[2] ?? '' });
      };
      this.#waiting = done;
      this.socket.write(frame(text));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

function connectPlain(port: number): Promise<MllpSender> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new MllpSender(s)));
    s.once('error', reject);
  });
}

function connectTls(port: number, ca: Buffer): Promise<MllpSender> {
  return new Promise((resolve, reject) => {
    // Trusts the throwaway certificate only: a handshake that passes proves the listener served it.
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca }, () => resolve(new MllpSender(s)));
    s.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('utklar hl7: MLLP over TLS, and its promise kept across a Kafka restart', () => {
  const env = isolatedEnv('server');
  const config = configOf(env);
  const tlsPort = testPort();
  const plainPort = tlsPort + 2;
  const certDir = mkdtempSync(path.join(os.tmpdir(), 'utklar-hl7-tls-'));
  const certFile = path.join(certDir, 'cert.pem');
  const keyFile = path.join(certDir, 'key.pem');
  let tlsListener: Hl7Process;
  let plainListener: Hl7Process;

  beforeAll(async () => {
    // Throwaway, made at test time: no key material is kept in the repository.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
    // The namespace's topics exist before the listeners start, as `utklar run` makes them in production.
    await ensureTopics(createKafka(config, `${config.namespace}-test-setup`), config.namespace, config.eventPartitions);
    tlsListener = new Hl7Process(env, tlsPort, tlsPort + 1, ['--tls-cert', certFile, '--tls-key', keyFile]);
    plainListener = new Hl7Process(env, plainPort, plainPort + 1);
    await Promise.all([tlsListener.ready(), plainListener.ready()]);
  });

  afterAll(async () => {
    await tlsListener?.stop();
    await plainListener?.stop();
    rmSync(certDir, { recursive: true, force: true });
    // Whatever happened in the restart test, the shared stack is left running for the next file.
    execFileSync('bash', [path.join(repoRoot, 'infra/stack.sh'), 'up', 'kafka'], { stdio: 'ignore' });
  });

  it('A01 over TLS is AA and on the events topic once; a plain-TCP client to the TLS port gets no ACK', async () => {
    expect(tlsListener.output).toContain('"tls":true');
    const sender = await connectTls(tlsPort, readFileSync(certFile));
    expect(await sender.send(adt({ trigger: 'A01', controlId: 'TLS-A01', episodeId: 'E-TLS-1' }), 20_000)).toEqual({ code: 'AA', ref: 'TLS-A01' });
    sender.close();
    const { events } = await readSourceTopics(config, (e) => e.some((x) => x.eventId === eventIdOf('TLS-A01')));
    expect(events.filter((e) => e.eventId === eventIdOf('TLS-A01'))).toHaveLength(1);

    const plain = await connectPlain(tlsPort);
    await expect(plain.send(adt({ trigger: 'A01', controlId: 'TLS-PLAIN', episodeId: 'E-TLS-2' }), 10_000)).rejects.toThrow(/closed|ECONNRESET|EPIPE/);
    expect(plain.closed).toBe(true);
    expect(tlsListener.child.exitCode).toBeNull();
  });

  it('every message answered AA across a broker restart is on the topic; the listener lives on', async () => {
    const sent = new Map<string, string>();
    for (let i = 0; i < 150; i++) {
      const controlId = `BR-${String(i).padStart(3, '0')}`;
      const episodeId = `E-BR-${Math.floor(i / 2)}`;
      sent.set(controlId, i % 2 === 0
        ? adt({ trigger: 'A01', controlId, episodeId })
        : adt({ trigger: 'A03', controlId, episodeId, recorded: '202611061105+0100', discharged: '202611061100+0100', dischargeDisposition: '01' }));
    }
    const answeredAA = new Set<string>();
    const resent = new Set<string>();
    const answers: Record<string, number> = {};
    let restart: Promise<void> | undefined;
    const deadline = Date.now() + 75_000;

    let sender = await connectPlain(plainPort);
    for (const [controlId, text] of sent) {
      // The broker goes away while the sender is mid-stream, not before it starts or after it ends.
      if (restart === undefined && answeredAA.size === 30) restart = outage('kafka', 4_000);
      for (;;) {
        expect(Date.now(), `${controlId} still without AA`).toBeLessThan(deadline);
        try {
          if (sender.closed) sender = await connectPlain(plainPort);
          const ack = await sender.send(text, 5_000);
          answers[ack.code] = (answers[ack.code] ?? 0) + 1;
          expect(ack.ref).toBe(controlId);
          if (ack.code === 'AA') break;
          expect(ack.code).toBe('AR');
        } catch (e) {
          if ((e as { name?: string }).name === 'AssertionError') throw e;
          // An engine with no ACK in time drops the connection (a late ACK would be ambiguous) and reconnects.
          answers.timeout = (answers.timeout ?? 0) + 1;
          sender.close();
        }
        resent.add(controlId);
        await sleep(250);
      }
      answeredAA.add(controlId);
      // Spread over a few seconds, as a ward's traffic is, so the restart falls among them.
      await sleep(40);
    }
    sender.close();
    await restart;

    // The restart happened among the messages and was noticed by the sender.
    expect(restart).toBeDefined();
    expect(resent.size, JSON.stringify(answers)).toBeGreaterThan(0);
    expect(answeredAA.size).toBe(150);

    const after = await connectPlain(plainPort);
    expect(await after.send(adt({ trigger: 'A01', controlId: 'BR-AFTER', episodeId: 'E-BR-AFTER' }), 30_000)).toEqual({ code: 'AA', ref: 'BR-AFTER' });
    after.close();
    expect(plainListener.child.exitCode).toBeNull();

    const expected = new Set([...answeredAA, 'BR-AFTER'].map(eventIdOf));
    const { events } = await readSourceTopics(config, (e) => {
      const seen = new Set(e.map((x) => x.eventId));
      return [...expected].every((id) => seen.has(id));
    }, 60_000);
    const known = new Set([...sent.keys(), 'BR-AFTER', 'TLS-A01'].map(eventIdOf));
    const counts = new Map<string, number>();
    for (const e of events) counts.set(e.eventId, (counts.get(e.eventId) ?? 0) + 1);
    expect([...counts.keys()].filter((id) => !known.has(id))).toEqual([]);
    expect([...expected].filter((id) => !counts.has(id))).toEqual([]);
    // A message stored but whose AA never arrived is sent again: only those may be there twice.
    const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    expect(twice.filter((id) => !resent.has(id.replace('hl7:COSMIC:USO:', '')))).toEqual([]);
    // No personal data in the listener's log, even when it reports the outage.
    expect(plainListener.output).not.toMatch(/194003071232|Svensson|Storgatan/);
  }, 120_000);
});

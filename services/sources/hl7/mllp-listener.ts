import net from 'node:net';
import { Hl7Message, Hl7Segment } from '@medplum/core';
import { Hl7Connection, type Hl7ErrorEvent, type Hl7MessageEvent } from '@medplum/hl7';
import { UtklarError } from '../../core/errors.ts';
import { logger } from '../../core/log.ts';
import type { Pseudonymiser } from '../../contract/pseudonymise.ts';
import type { SourceIngest } from '../ingest.ts';
import type { SourceMetrics } from '../metrics.ts';
import { scrubPersonnummer } from '../scrub.ts';
import type { AdtMapping } from './adt-mapping.ts';
import { mapAdt } from './map-adt.ts';
import { redactHl7 } from './redact.ts';

const log = logger('hl7');

type AckCode = 'AA' | 'AE' | 'AR';

/** HL7 table 0357 codes for ERR-3. */
const ERR_CODE: Record<AckCode, string> = { AA: '0^Message accepted^HL70357', AE: '207^Application internal error^HL70357', AR: '100^Segment sequence error^HL70357' };

function escapeHl7(text: string, m: Hl7Message): string {
  const c = m.context;
  const e = c.escapeCharacter;
  return text.replace(/[\r\n]+/g, ' ').split('').map((ch) => (ch === e ? `${e}E${e}` : ch === c.fieldSeparator ? `${e}F${e}` : ch === c.componentSeparator ? `${e}S${e}` : ch === c.subcomponentSeparator ? `${e}T${e}` : ch === c.repetitionSeparator ? `${e}R${e}` : ch)).join('');
}

/** The ACK with the reason in MSA-3 (what most engines show) and an ERR segment. */
export function buildAck(message: Hl7Message, code: AckCode, reason?: string): Hl7Message {
  if (code === 'AA' || reason === undefined) return message.buildAck({ ackCode: code });
  const text = escapeHl7(reason, message).slice(0, 800);
  const err = new Hl7Segment(['ERR', '', '', ERR_CODE[code], 'E', '', '', '', text], message.context);
  const ack = message.buildAck({ ackCode: code, errSegment: err });
  ack.getSegment('MSA')!.setField(3, text);
  return ack;
}

export interface ListenerOptions {
  host: string;
  port: number;
  /** Character set of the frames (MSH-18 is not read: senders rarely fill it in right). */
  encoding: string;
}

/**
 * `utklar hl7`: an MLLP listener for ADT messages. Framing and parsing are @medplum/hl7's
 * Hl7Connection; its Hl7Server is not used because it listens on every interface with no way to
 * name one (utklar listens on loopback unless told otherwise) and retries a busy port forever.
 *
 * A connection's messages are handled one after the other, so a sender's order is Kafka's order.
 * A message is answered AA only once Kafka has its event; AE (and a dead letter) when it cannot
 * be mapped; AR when it is malformed (also dead-lettered) or when Kafka cannot be reached
 * (nothing stored: the sender sends it again).
 */
export class MllpListener {
  readonly #server: net.Server;
  readonly #connections = new Set<Hl7Connection>();
  readonly #work = new Set<Promise<void>>();

  constructor(
    private readonly ingest: SourceIngest,
    private readonly mapping: AdtMapping,
    private readonly pseudonymiser: Pseudonymiser,
    private readonly metrics: SourceMetrics,
    private readonly opts: ListenerOptions,
  ) {
    this.#server = net.createServer((socket) => this.#accept(socket));
  }

  /** Resolves with the port bound (0 asks the system for one). */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', (e) => reject(new UtklarError('CONFIG', `MLLP listener on ${this.opts.host}:${this.opts.port}: ${e.message}`, { cause: e })));
      this.#server.listen(this.opts.port, this.opts.host, () => {
        const port = (this.#server.address() as net.AddressInfo).port;
        log.info({ host: this.opts.host, port, mapping: this.mapping.file }, 'MLLP listener ready');
        resolve(port);
      });
    });
  }

  /** Stops accepting, lets messages in hand finish (their ACKs go out), then closes the connections. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((r) => this.#server.close(() => r()));
    await Promise.allSettled([...this.#work]);
    await Promise.allSettled([...this.#connections].map((c) => c.close()));
    await closed;
  }

  #accept(socket: net.Socket): void {
    const connection = new Hl7Connection(socket, this.opts.encoding);
    this.#connections.add(connection);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    log.debug({ peer }, 'MLLP connection');
    let chain = Promise.resolve();
    const track = (p: Promise<void>) => {
      this.#work.add(p);
      void p.finally(() => this.#work.delete(p));
    };
    connection.addEventListener('message', (ev: Hl7MessageEvent) => {
      chain = chain.then(() => this.#handle(connection, ev.message)).catch((e) => log.error({ err: e, peer }, 'HL7 message not handled'));
      track(chain);
    });
    connection.addEventListener('error', (ev: Hl7ErrorEvent) => {
      // Hl7Message.parse refuses a frame that does not start with MSH; the connection has then
      // dropped what it had buffered after it, so the sender is told and the connection closed:
      // the sender sends again whatever it has no ACK for.
      if ((ev.error as { type?: string }).type === 'entity.parse.failed') {
        chain = chain.then(() => this.#notHl7(connection)).catch((e) => log.error({ err: e, peer }, 'AR for a frame that is no HL7 not sent'));
        track(chain);
      } else log.debug({ peer, err: ev.error.message }, 'MLLP connection error');
    });
    connection.addEventListener('close', () => {
      this.#connections.delete(connection);
      log.debug({ peer }, 'MLLP connection closed');
    });
  }

  async #handle(connection: Hl7Connection, message: Hl7Message): Promise<void> {
    let mapped: ReturnType<typeof mapAdt>;
    try {
      mapped = mapAdt(message, this.mapping);
    } catch (e) {
      // A defect here must still answer the sender, and not as AA.
      log.error({ err: e }, 'HL7 message could not be mapped');
      mapped = { ok: false, ack: 'AR', controlId: null, trigger: null, error: new UtklarError('INTERNAL', 'internal error while mapping the message') };
    }
    const raw = redactHl7(message, this.mapping, (text) => scrubPersonnummer(text, this.pseudonymiser));
    let code: AckCode;
    let reason: string | undefined;
    try {
      const [outcome] = await this.ingest.ingest([
        mapped.ok ? { ref: 1, value: mapped.event, raw, rawFormat: 'hl7v2' } : { ref: 1, error: mapped.error, raw, rawFormat: 'hl7v2' },
      ]);
      if (outcome!.ok) code = 'AA';
      else {
        code = mapped.ok ? 'AE' : mapped.ack;
        // The contract's validation names a line; here there is one message.
        reason = outcome!.error.message.replace(/^line 1: /, '');
      }
    } catch (e) {
      code = 'AR';
      reason = `not stored, send again: ${e instanceof UtklarError && e.retriable ? 'Kafka or the schema registry is unavailable' : 'internal error'}`;
      log.warn({ err: e, controlId: mapped.controlId }, 'HL7 message not stored');
    }
    this.metrics.answered.inc({ channel: 'hl7', code });
    log.info({ controlId: mapped.controlId, trigger: mapped.trigger, ack: code, ...(reason ? { reason } : {}) }, 'HL7 message answered');
    if (connection.isClosed()) {
      log.warn({ controlId: mapped.controlId, ack: code }, 'the connection closed before the ACK: the sender will send the message again');
      return;
    }
    connection.send(buildAck(message, code, reason));
  }

  async #notHl7(connection: Hl7Connection): Promise<void> {
    const error = new UtklarError('MALFORMED_MESSAGE', 'not an HL7 v2 message: an MLLP frame must start with MSH');
    try {
      await this.ingest.ingest([{ ref: 1, error, raw: '', rawFormat: 'hl7v2' }]);
    } catch (e) {
      log.warn({ err: e }, 'dead letter for a frame that is no HL7 not stored');
    }
    this.metrics.answered.inc({ channel: 'hl7', code: 'AR' });
    log.info({ ack: 'AR', reason: error.message }, 'HL7 message answered');
    if (!connection.isClosed()) {
      // No control id to refer to: MSA-2 stays empty.
      const now = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
      connection.send(new Hl7Message([
        new Hl7Segment(['MSH', '^~\\&', 'UTKLAR', '', '', '', now, '', 'ACK', `utklar-${Date.now()}`, 'P', '2.5']),
        new Hl7Segment(['MSA', 'AR', '', error.message]),
        new Hl7Segment(['ERR', '', '', ERR_CODE.AR, 'E', '', '', '', error.message]),
      ]));
      await connection.close();
    }
  }
}

import net from 'node:net';
import tls from 'node:tls';
import { Hl7Message, Hl7Segment } from '@medplum/core';
import { Hl7Connection, type Hl7ErrorEvent, type Hl7MessageEvent } from '@medplum/hl7';
import { UtklarError } from '../../core/errors.ts';
import { logger } from '../../core/log.ts';
import type { Pseudonymiser } from '../../contract/pseudonymise.ts';
import type { SourceIngest } from '../ingest.ts';
import type { SourceMetrics } from '../metrics.ts';
import { deadLetterEpisodeKey, scrubPersonnummer } from '../scrub.ts';
import type { AdtMapping } from './adt-mapping.ts';
import { mapAdt } from './map-adt.ts';
import { redactHl7 } from './redact.ts';
import { FrameLimit } from './frame-limit.ts';
import { IngestBatcher } from './ingest-batcher.ts';

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
  /** The largest frame taken, in bytes (`--max-message-bytes`). */
  maxMessageBytes?: number;
  /** MLLP over TLS (`--tls-cert`, `--tls-key`, …); absent: plain TCP. */
  tls?: tls.TlsOptions;
}

/**
 * 8 MiB, as `POST /api/v1/events` takes: far above an ADT message (a few kB; a long NTE or
 * Z-segment tail makes one 1 MB), well below what would let one sender fill the listener's memory.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/** A dead letter keeps at most this much of the redacted message: Kafka refuses records above 1 MB. */
const MAX_DEAD_LETTER_RAW = 100_000;

/**
 * What MSH-1 and MSH-2 declare is only usable as five different separators that cannot occur in
 * text: any other value makes every field read wrong, so such a message is refused, not guessed.
 * MSH-2 has four characters (five from v2.7: the truncation character).
 */
export function encodingProblem(message: Hl7Message): string | null {
  const msh = message.getSegment('MSH');
  const declared = msh?.fields[1]?.toString() ?? '';
  const c = message.context;
  const all = [c.fieldSeparator, declared.slice(0, 4), declared.slice(4)].join('').split('');
  const bad = declared.length < 4 || declared.length > 5 || new Set(all).size !== all.length || all.some((ch) => /[\p{L}\p{N}\s]/u.test(ch) || ch < ' ');
  return bad ? `MSH-1/MSH-2: encoding characters ${JSON.stringify(c.fieldSeparator + declared)} are not a field separator and four (or five) other distinct separators such as |^~\\&` : null;
}

/** An ACK in the standard separators: for a message whose own cannot be trusted. */
function plainAck(code: AckCode, controlId: string, reason: string): Hl7Message {
  const now = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const text = escapeHl7(reason, new Hl7Message([])).slice(0, 800);
  return new Hl7Message([
    new Hl7Segment(['MSH', '^~\\&', 'UTKLAR', '', '', '', now, '', 'ACK', `utklar-${Date.now()}`, 'P', '2.5']),
    new Hl7Segment(['MSA', code, controlId.replace(/[|^~\\&]/g, ''), text]),
    new Hl7Segment(['ERR', '', '', ERR_CODE[code], 'E', '', '', '', text]),
  ]);
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
  readonly #batcher: IngestBatcher;

  constructor(
    private readonly ingest: SourceIngest,
    private readonly mapping: AdtMapping,
    private readonly pseudonymiser: Pseudonymiser,
    private readonly metrics: SourceMetrics,
    private readonly opts: ListenerOptions,
  ) {
    // A TLS socket is a net.Socket once its handshake is done, so both kinds go through the same
    // FrameLimit, Hl7Connection and ACK logic.
    if (opts.tls) {
      const server = tls.createServer(opts.tls, (socket) => this.#accept(socket));
      // A client that does not speak TLS (or offers no valid certificate) never gets a socket:
      // node closes it; the log says why without the bytes it sent.
      server.on('tlsClientError', (e, socket) => log.debug({ peer: `${socket.remoteAddress}:${socket.remotePort}`, err: e.message }, 'MLLP TLS handshake failed'));
      this.#server = server;
    } else this.#server = net.createServer((socket) => this.#accept(socket));
    this.#batcher = new IngestBatcher(ingest);
  }

  /** Resolves with the port bound (0 asks the system for one). */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', (e) => reject(new UtklarError('CONFIG', `MLLP listener on ${this.opts.host}:${this.opts.port}: ${e.message}`, { cause: e })));
      this.#server.listen(this.opts.port, this.opts.host, () => {
        const port = (this.#server.address() as net.AddressInfo).port;
        log.info({ host: this.opts.host, port, tls: this.opts.tls !== undefined, mapping: this.mapping.file }, 'MLLP listener ready');
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
    const frames = new FrameLimit(socket, this.opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    // FrameLimit has the parts of a socket Hl7Connection uses (on, write, end, destroy, closed).
    const connection = new Hl7Connection(frames as unknown as net.Socket, this.opts.encoding);
    this.#connections.add(connection);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    log.debug({ peer }, 'MLLP connection');
    let chain = Promise.resolve();
    const track = (p: Promise<void>) => {
      this.#work.add(p);
      void p.finally(() => this.#work.delete(p));
    };
    connection.addEventListener('message', (ev: Hl7MessageEvent) => {
      const cut = frames.nextFrameWasCut();
      chain = chain.then(() => this.#handle(connection, ev.message, cut)).catch((e) => log.error({ err: e, peer }, 'HL7 message not handled'));
      track(chain);
    });
    connection.addEventListener('error', (ev: Hl7ErrorEvent) => {
      // Hl7Message.parse refuses a frame that does not start with MSH; the connection has then
      // dropped what it had buffered after it, so the sender is told and the connection closed:
      // the sender sends again whatever it has no ACK for.
      if ((ev.error as { type?: string }).type === 'entity.parse.failed') {
        frames.nextFrameWasCut();
        chain = chain.then(() => this.#notHl7(connection)).catch((e) => log.error({ err: e, peer }, 'AR for a frame that is no HL7 not sent'));
        track(chain);
      } else log.debug({ peer, err: ev.error.message }, 'MLLP connection error');
    });
    connection.addEventListener('close', () => {
      this.#connections.delete(connection);
      log.debug({ peer }, 'MLLP connection closed');
    });
  }

  async #handle(connection: Hl7Connection, message: Hl7Message, cut: boolean): Promise<void> {
    const limit = this.opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const encoding = encodingProblem(message);
    let mapped: ReturnType<typeof mapAdt>;
    try {
      mapped = mapAdt(message, this.mapping);
    } catch (e) {
      // A defect here must still answer the sender, and not as AA.
      log.error({ err: e }, 'HL7 message could not be mapped');
      mapped = { ok: false, ack: 'AR', controlId: null, trigger: null, error: new UtklarError('INTERNAL', 'internal error while mapping the message') };
    }
    if (encoding !== null || cut) {
      // With unusable separators the parsed components cannot be trusted: MSH-10 is the MSH line's tenth field.
      const controlId = encoding === null ? mapped.controlId : message.segments[0]!.toString().split(message.context.fieldSeparator)[9]?.trim().slice(0, 199) || null;
      const reason = encoding ?? `the message is larger than ${limit} bytes (the listener's --max-message-bytes): not taken; send it without what makes it so large`;
      mapped = { ok: false, ack: 'AR', controlId, trigger: null, error: new UtklarError('MALFORMED_MESSAGE', reason) };
    }
    // With unusable separators the other segments' fields cannot be told apart (a name could pass
    // for a code): nothing but the MSH segment is kept.
    const kept = encoding === null ? message : new Hl7Message([message.segments[0]!], message.context);
    const redacted = redactHl7(kept, this.mapping, (text) => scrubPersonnummer(text, this.pseudonymiser), (id) => deadLetterEpisodeKey(this.pseudonymiser, id));
    const raw = redacted.length > MAX_DEAD_LETTER_RAW ? `${redacted.slice(0, MAX_DEAD_LETTER_RAW)}\r[${redacted.length - MAX_DEAD_LETTER_RAW} more characters not kept]` : redacted;
    let code: AckCode;
    let reason: string | undefined;
    try {
      const outcome = await this.#batcher.submit(mapped.ok ? { value: mapped.event, raw, rawFormat: 'hl7v2' } : { error: mapped.error, raw, rawFormat: 'hl7v2' });
      if (outcome.ok) code = 'AA';
      else {
        code = mapped.ok ? 'AE' : mapped.ack;
        // The contract's validation names its place in the batch as a line; the sender sent one message.
        reason = outcome.error.message.replace(/^line \d+: /, '');
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
    connection.send(encoding !== null ? plainAck(code, mapped.controlId ?? '', reason ?? encoding) : buildAck(message, code, reason));
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
      connection.send(plainAck('AR', '', error.message));
      await connection.close();
    }
  }
}

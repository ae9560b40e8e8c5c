import { EventEmitter } from 'node:events';
import type net from 'node:net';

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;

/**
 * The socket as @medplum/hl7's Hl7Connection sees it, with a frame size limit the library does
 * not have (it buffers a frame until FS CR, however long). A frame past the limit is cut there:
 * its head (which holds the MSH, so the sender can be answered by control id) goes on as a frame
 * of its own, marked oversized, and the rest is dropped as it arrives, up to its FS CR. The
 * connection stays usable. Frames are found as Hl7Connection finds them: VT … FS CR.
 */
export class FrameLimit extends EventEmitter {
  #inFrame = false;
  #discarding = false;
  #size = 0;
  #afterFs = false;
  /** One entry per frame passed on (in order): whether it was cut. */
  readonly #cut: boolean[] = [];

  constructor(readonly socket: net.Socket, private readonly limit: number) {
    super();
    socket.on('data', (chunk: Buffer) => this.#data(chunk));
    socket.on('error', (e) => this.emit('error', e));
    socket.on('close', (hadError) => this.emit('close', hadError));
  }

  get closed(): boolean {
    return this.socket.closed;
  }
  write(data: Buffer): boolean {
    return this.socket.write(data);
  }
  end(): this {
    this.socket.end();
    return this;
  }
  destroy(): this {
    this.socket.destroy();
    return this;
  }

  /** Whether the next frame handed on was cut at the limit (asked once per message or parse error). */
  nextFrameWasCut(): boolean {
    return this.#cut.shift() ?? false;
  }

  #data(chunk: Buffer): void {
    const out: Buffer[] = [];
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (!this.#inFrame) {
        if (b === VT) {
          this.#inFrame = true;
          this.#size = 0;
          this.#afterFs = false;
        }
        continue;
      }
      if (this.#afterFs && b === CR) {
        this.#inFrame = false;
        this.#afterFs = false;
        if (this.#discarding) {
          this.#discarding = false;
          from = i + 1;
        } else this.#cut.push(false);
        continue;
      }
      this.#afterFs = b === FS;
      if (this.#discarding) continue;
      if (++this.#size > this.limit) {
        out.push(chunk.subarray(from, i), Buffer.from([FS, CR]));
        this.#cut.push(true);
        this.#discarding = true;
      }
    }
    if (!this.#discarding) out.push(chunk.subarray(from));
    const data = Buffer.concat(out);
    // Hl7Connection parses and dispatches the frames before emit returns, so #cut is already filled.
    if (data.length > 0) this.emit('data', data);
  }
}

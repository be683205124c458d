/**
 * Rows in PostgreSQL's binary COPY format, for `COPY … FROM STDIN (FORMAT binary)` through
 * pg-copy-streams: the server reads each value as stored, with no text to parse, which makes a
 * bulk load several times cheaper for the server than text COPY or INSERT.
 *
 * The writer fills fixed-size buffers; `take()` hands over the full ones (and the last, partial,
 * one once `end()` has written the trailer) so the caller can send them with backpressure.
 *
 * @example
 * const rows = new BinaryCopyWriter();
 * rows.row(2); rows.int8(1); rows.text("Sales");
 * rows.end();
 * for (const chunk of rows.take()) stream.write(chunk);
 */

const header = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
const twoTo32 = 4_294_967_296;
/** Seconds from the Unix epoch to PostgreSQL's (2000-01-01T00:00:00Z). */
const postgresEpochSeconds = 946_684_800;
/** Room kept free before each row; a row that needs more grows the buffer it is written in. */
const rowReserve = 4096;

export class BinaryCopyWriter {
  private buffer: Buffer;
  private offset = 0;
  private readonly full: Buffer[] = [];
  private ended = false;
  private readonly chunkBytes: number;

  constructor(chunkBytes = 1 << 20) {
    this.chunkBytes = chunkBytes;
    this.buffer = Buffer.allocUnsafe(chunkBytes);
    this.buffer.set(header, 0);
    this.offset = header.length;
  }

  /** Starts a row of `fields` values; each value below writes one field, in column order. */
  row(fields: number): void {
    if (this.buffer.length - this.offset < rowReserve) this.flush(rowReserve);
    this.buffer.writeInt16BE(fields, this.offset);
    this.offset += 2;
  }

  null(): void {
    this.buffer.writeInt32BE(-1, this.offset);
    this.offset += 4;
  }

  int2(value: number): void {
    this.buffer.writeInt32BE(2, this.offset);
    this.buffer.writeInt16BE(value, this.offset + 4);
    this.offset += 6;
  }

  int4(value: number): void {
    this.buffer.writeInt32BE(4, this.offset);
    this.buffer.writeInt32BE(value, this.offset + 4);
    this.offset += 8;
  }

  /** A bigint given as a JavaScript number (exact up to 2^53). */
  int8(value: number): void {
    this.buffer.writeInt32BE(8, this.offset);
    this.writeInt64(value, this.offset + 4);
    this.offset += 12;
  }

  /** A timestamptz at whole seconds since the Unix epoch. */
  timestamptz(unixSeconds: number): void {
    this.buffer.writeInt32BE(8, this.offset);
    this.writeInt64((unixSeconds - postgresEpochSeconds) * 1_000_000, this.offset + 4);
    this.offset += 12;
  }

  text(value: string): void {
    const room = this.buffer.length - this.offset - 4;
    if (value.length * 3 > room) this.flush(value.length * 3 + 4 + rowReserve, true);
    const bytes = this.buffer.write(value, this.offset + 4, "utf8");
    this.buffer.writeInt32BE(bytes, this.offset);
    this.offset += 4 + bytes;
  }

  /** A uuid whose first 8 bytes are `high` and whose last 8 are the number `low`. */
  uuid(high: Uint8Array, low: number): void {
    this.buffer.writeInt32BE(16, this.offset);
    this.buffer.set(high, this.offset + 4);
    this.writeInt64(low, this.offset + 12);
    this.offset += 20;
  }

  /** Writes the trailer; `take()` then returns the rest. */
  end(): void {
    if (this.buffer.length - this.offset < 2) this.flush(2);
    this.buffer.writeInt16BE(-1, this.offset);
    this.offset += 2;
    this.ended = true;
  }

  /** The buffers ready to send, oldest first. */
  take(): Buffer[] {
    if (this.ended && this.offset > 0) {
      this.full.push(this.buffer.subarray(0, this.offset));
      this.buffer = Buffer.alloc(0);
      this.offset = 0;
    }
    return this.full.splice(0);
  }

  private writeInt64(value: number, at: number): void {
    const high = Math.floor(value / twoTo32);
    this.buffer.writeInt32BE(high, at);
    this.buffer.writeUInt32BE(value - high * twoTo32, at + 4);
  }

  /**
   * Sets the filled part aside and continues in a fresh buffer with room for `bytes`; with
   * `grow`, the current buffer's content moves into a larger one instead.
   */
  private flush(bytes: number, grow = false): void {
    if (grow) {
      const larger = Buffer.allocUnsafe(this.offset + Math.max(this.chunkBytes, bytes));
      larger.set(this.buffer.subarray(0, this.offset), 0);
      this.buffer = larger;
      return;
    }
    const next = Buffer.allocUnsafe(Math.max(this.chunkBytes, bytes));
    if (this.offset > 0) this.full.push(this.buffer.subarray(0, this.offset));
    this.buffer = next;
    this.offset = 0;
  }
}

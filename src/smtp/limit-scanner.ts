/** Limits that the scanner enforces; see DEFAULT_MESSAGE_LIMITS for their meaning. */
export interface LineLimits {
  maxHeaderSize: number;
  maxHeaderLines: number;
  maxLineLength: number;
}

/** The first limit that a message broke, and for the line length, which line broke it. */
export type LimitViolation =
  | { limit: 'header-size'; maxBytes: number }
  | { limit: 'header-lines'; maxLines: number }
  | { limit: 'line-length'; maxBytes: number; lineNumber: number };

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const COLON = 0x3a;
const BYTE_ORDER_MARK = [0xef, 0xbb, 0xbf];
const MBOX_FROM = Buffer.from('From ');

/**
 * State of the current line of the header block. A line is a field once its name and
 * colon were seen (`FIELD_LINE` in src/message/header.ts), a continuation when it starts
 * with whitespace, and the first body line when it is anything else.
 */
type HeaderLineState = 'start' | 'name' | 'space' | 'cr' | 'header' | 'mbox-from';

/**
 * Checks a message against the header and line limits as its bytes stream in, with
 * constant memory: it keeps counters only, never the bytes.
 *
 * It finds the end of the header block by the rules of `parseHeader`: an empty line ends
 * it, and so does the first line that is neither a field nor a continuation line, which
 * then counts as body. A leading UTF-8 byte order mark and an mbox `From ` first line
 * belong to the header block.
 */
export class LimitScanner {
  private violation: LimitViolation | null = null;
  private inHeader = true;
  /** Bytes of the header block so far, the current line included. */
  private headerBytes = 0;
  /** Header lines completed so far. */
  private headerLines = 0;
  private lineState: HeaderLineState = 'start';
  /** Bytes of the current line seen so far, a CR before its LF included. */
  private lineLength = 0;
  private lineNumber = 1;
  /** Byte order mark bytes matched at the start of the message. */
  private markBytes = 0;
  /** Last byte before the current position, to tell a CR of the line end at the LF. */
  private lastByte = -1;
  /** Bytes of the message seen while in the header block. */
  private offset = 0;
  private parseEnd: number | null = null;

  constructor(private readonly limits: LineLimits) {}

  /** The first limit broken so far, or null. */
  get exceeded(): LimitViolation | null {
    return this.violation;
  }

  /**
   * How many bytes from the start `parseHeader` needs to find the same end of the header
   * block: through the empty line, or through the byte that showed that a line is no
   * field. Null while the header block has not ended.
   */
  get headerParseLength(): number | null {
    return this.parseEnd;
  }

  /** Scans the next chunk. Returns the first violation once one is found. */
  add(chunk: Buffer): LimitViolation | null {
    let start = 0;
    while (this.inHeader && start < chunk.length && this.violation === null) {
      this.scanHeaderByte(chunk[start] as number);
      start += 1;
    }
    if (!this.inHeader && this.violation === null) {
      this.scanBody(chunk, start);
    }
    return this.violation;
  }

  private scanHeaderByte(byte: number): void {
    this.offset += 1;
    if (byte === LF) {
      if (!this.endLine()) {
        this.endHeaderLine();
      }
      return;
    }
    this.addLineBytes(1, byte);
    if (this.violation !== null) {
      return;
    }
    this.headerBytes += 1;

    if (this.isByteOrderMark(byte)) {
      this.markBytes += 1;
      return;
    }

    switch (this.lineState) {
      case 'start':
        if (byte === SPACE || byte === TAB) {
          this.lineState = 'header';
        } else if (byte === CR) {
          this.lineState = 'cr';
        } else if (this.lineNumber === 1 && byte === MBOX_FROM[0]) {
          this.lineState = 'mbox-from';
        } else if (isFieldNameByte(byte)) {
          this.lineState = 'name';
          this.checkUndecidedLine();
          return;
        } else {
          this.endHeaderBlock();
          return;
        }
        break;
      case 'mbox-from': {
        const index = this.lineLength - this.markBytes - 1;
        if (byte === MBOX_FROM[index]) {
          if (index === MBOX_FROM.length - 1) {
            this.lineState = 'header';
          }
        } else {
          this.lineState = 'name';
          this.nameByte(byte);
          return;
        }
        break;
      }
      case 'name':
        this.nameByte(byte);
        return;
      case 'space':
        if (byte === COLON) {
          this.lineState = 'header';
        } else if (byte === SPACE || byte === TAB) {
          this.checkUndecidedLine();
          return;
        } else {
          this.endHeaderBlock();
          return;
        }
        break;
      case 'cr':
        this.endHeaderBlock();
        return;
      case 'header':
        break;
    }
    this.checkHeaderSize();
  }

  /** True for a byte of a UTF-8 byte order mark at the very start of the message. */
  private isByteOrderMark(byte: number): boolean {
    return (
      this.lineNumber === 1 &&
      this.lineState === 'start' &&
      this.markBytes === this.lineLength - 1 &&
      byte === BYTE_ORDER_MARK[this.markBytes]
    );
  }

  /** Takes one more byte of a line that may still turn out to be a field. */
  private nameByte(byte: number): void {
    if (byte === COLON) {
      this.lineState = 'header';
      this.checkHeaderSize();
    } else if (byte === SPACE || byte === TAB) {
      this.lineState = 'space';
      this.checkUndecidedLine();
    } else if (isFieldNameByte(byte)) {
      this.checkUndecidedLine();
    } else {
      this.endHeaderBlock();
    }
  }

  /**
   * Takes a line without a colon yet as the first body line once the header block would
   * be over its limit with it, because no field name is that long. So a long first line of
   * a message without a header gets the line length limit, not the header size limit.
   */
  private checkUndecidedLine(): void {
    if (this.headerBytes > this.limits.maxHeaderSize) {
      this.endHeaderBlock();
    }
  }

  /** Handles the LF that ends a header line, after `endLine` checked its length. */
  private endHeaderLine(): void {
    const state = this.lineState;
    if (state === 'start' || state === 'cr') {
      // An empty line ends the header block and is not part of it.
      this.headerBytes -= this.lineLength;
      this.inHeader = false;
      this.parseEnd = this.offset;
    } else if (state === 'name' || state === 'space') {
      // A line without a colon is the first body line.
      this.endHeaderBlock();
    } else {
      this.headerBytes += 1;
      this.headerLines += 1;
      if (this.headerLines > this.limits.maxHeaderLines) {
        this.violation = { limit: 'header-lines', maxLines: this.limits.maxHeaderLines };
      } else {
        this.checkHeaderSize();
      }
    }
    this.startLine();
  }

  /**
   * Ends the header block before the current line, which becomes the first body line,
   * once the byte just scanned showed that the line is no field.
   */
  private endHeaderBlock(): void {
    this.headerBytes -= this.lineLength;
    this.inHeader = false;
    this.parseEnd = this.offset;
  }

  private checkHeaderSize(): void {
    if (this.inHeader && this.headerBytes > this.limits.maxHeaderSize) {
      this.violation = { limit: 'header-size', maxBytes: this.limits.maxHeaderSize };
    }
  }

  /** Adds `count` bytes of the current line, the last of them `last`, and checks its length. */
  private addLineBytes(count: number, last: number): void {
    this.lineLength += count;
    this.lastByte = last;
    // A CR right before the LF belongs to the line end, so only one more byte than the
    // limit proves the line too long before its LF arrives.
    if (this.lineLength > this.limits.maxLineLength + 1) {
      this.lineTooLong();
    }
  }

  /**
   * Checks the length of the line that an LF just ended. Returns true when it is too
   * long. The caller starts the next line.
   */
  private endLine(): boolean {
    const content = this.lastByte === CR ? this.lineLength - 1 : this.lineLength;
    if (content > this.limits.maxLineLength) {
      this.lineTooLong();
      return true;
    }
    return false;
  }

  private lineTooLong(): void {
    this.violation = {
      limit: 'line-length',
      maxBytes: this.limits.maxLineLength,
      lineNumber: this.lineNumber,
    };
  }

  private startLine(): void {
    this.lineState = 'start';
    this.lineLength = 0;
    this.lineNumber += 1;
    this.lastByte = -1;
  }

  /** Checks line lengths past the header block, jumping from one LF to the next. */
  private scanBody(chunk: Buffer, from: number): void {
    let start = from;
    while (start < chunk.length && this.violation === null) {
      const lf = chunk.indexOf(LF, start);
      const end = lf === -1 ? chunk.length : lf;
      if (end > start) {
        this.addLineBytes(end - start, chunk[end - 1] as number);
      }
      if (lf === -1 || this.violation !== null) {
        return;
      }
      if (this.endLine()) {
        return;
      }
      this.startLine();
      start = lf + 1;
    }
  }
}

/** Tests for a field name byte: printable US-ASCII except the colon (RFC 5322 section 3.6.8). */
function isFieldNameByte(byte: number): boolean {
  return byte >= 0x21 && byte <= 0x7e && byte !== COLON;
}

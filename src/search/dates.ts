/**
 * Reads the loose dates of `after:` and `before:`, such as `2024-01-31`,
 * `2024-01-31 14:00`, `2024/01/31`, `31 Jan 2024` or an RFC 1123 date. A date without a
 * zone is read in `timeZone` (an IANA name such as `Europe/Berlin`), or in the server's
 * local time when none is given. Returns milliseconds since the epoch, or null when the
 * text is no date.
 *
 * NOTE: Mailpit reads these dates with the Go package dateparse, which reads more
 * formats. The ones above, ISO 8601 with a zone and whatever `Date.parse` reads cover
 * what people type.
 */
export function parseSearchDate(text: string, timeZone?: string): number | null {
  const local =
    /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ t](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/i.exec(text);
  if (local !== null) {
    const field = (index: number): number => Number(local[index] ?? 0);
    const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map(field) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return null;
    return zonedTimeToEpoch({ year, month, day, hour, minute, second }, timeZone);
  }

  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) return null;
  if (hasZone(text)) return parsed;
  // Date.parse reads a date without a zone in local time. Read the same wall-clock time
  // again in the requested zone.
  const wall = new Date(parsed);
  return zonedTimeToEpoch(
    {
      year: wall.getFullYear(),
      month: wall.getMonth() + 1,
      day: wall.getDate(),
      hour: wall.getHours(),
      minute: wall.getMinutes(),
      second: wall.getSeconds(),
    },
    timeZone,
  );
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Returns true when the text names a zone: `Z`, `GMT`, `UTC` or an offset like `+0200`. */
function hasZone(text: string): boolean {
  return /(?:\dz|\bgmt|\butc|[+-]\d{2}:?\d{2})$/i.test(text.trim());
}

/** Converts a wall-clock time in `timeZone` (local time when missing or invalid) to epoch ms. */
function zonedTimeToEpoch(wall: WallTime, timeZone: string | undefined): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const zone = validZone(timeZone);
  if (zone === null) {
    return new Date(
      wall.year,
      wall.month - 1,
      wall.day,
      wall.hour,
      wall.minute,
      wall.second,
    ).getTime();
  }
  // The zone's offset at the guessed instant, applied twice so that a time next to a
  // daylight saving change lands on the offset valid at the result.
  let result = asUtc - zoneOffset(zone, asUtc);
  result = asUtc - zoneOffset(zone, result);
  return result;
}

function validZone(timeZone: string | undefined): string | null {
  if (timeZone === undefined || timeZone === '') return null;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return timeZone;
  } catch {
    return null;
  }
}

/** Returns the offset of `timeZone` from UTC at `epoch`, in milliseconds. */
function zoneOffset(timeZone: string, epoch: number): number {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const parts = Object.fromEntries(
    format.formatToParts(new Date(epoch)).map((part) => [part.type, part.value]),
  );
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return wall - Math.floor(epoch / 1000) * 1000;
}

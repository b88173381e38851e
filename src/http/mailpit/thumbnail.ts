import { Jimp } from 'jimp';

/** Size of Mailpit's attachment thumbnails, in pixels. */
export const THUMBNAIL_WIDTH = 180;
export const THUMBNAIL_HEIGHT = 120;

/** Image types whose size `imageSize` reads and that jimp decodes in pure JavaScript. */
const DECODABLE_TYPES = new Set([
  'image/jpeg',
  'image/jpg',
  'image/pjpeg',
  'image/png',
  'image/gif',
  'image/bmp',
  'image/x-ms-bmp',
]);

/**
 * Images with more pixels get the blank frame. A small compressed file can declare a huge
 * image, and decoding allocates 4 bytes per pixel, so the size is read from the header first.
 */
const MAX_PIXELS = 25_000_000;

/**
 * Larger images get the blank frame. Decoding keeps every pixel in memory, so this bounds
 * the work a single request can cause.
 */
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

const WHITE = 0xffffffff;

/**
 * Makes Mailpit's 180×120 JPEG thumbnail of an attachment. An image at least that large
 * is scaled to cover the frame and cropped at the centre. A smaller one is centred on a
 * white frame without scaling. Anything that is not a decodable image, or fails to
 * decode, gets a blank white frame.
 */
export async function makeThumbnail(contentType: string, content: Buffer): Promise<Buffer> {
  const frame = new Jimp({ width: THUMBNAIL_WIDTH, height: THUMBNAIL_HEIGHT, color: WHITE });
  if (DECODABLE_TYPES.has(contentType.toLowerCase()) && content.length <= MAX_IMAGE_BYTES) {
    try {
      const size = imageSize(content);
      if (size !== null && size.width * size.height <= MAX_PIXELS) {
        placeImage(frame, await Jimp.read(content));
      }
    } catch {
      // Not a valid image after all: the blank frame stays.
    }
  }
  return frame.getBuffer('image/jpeg', { quality: 80 });
}

type JimpImage = Awaited<ReturnType<typeof Jimp.read>>;

function placeImage(frame: InstanceType<typeof Jimp>, image: JimpImage): void {
  const { width, height } = image.bitmap;
  if (width >= THUMBNAIL_WIDTH && height >= THUMBNAIL_HEIGHT) {
    image.cover({ w: THUMBNAIL_WIDTH, h: THUMBNAIL_HEIGHT });
    frame.composite(image, 0, 0);
    return;
  }
  // Smaller than the frame on at least one side: shrink only the side that is too large.
  const scale = Math.min(1, THUMBNAIL_WIDTH / width, THUMBNAIL_HEIGHT / height);
  if (scale < 1) {
    image.resize({
      w: Math.max(1, Math.round(width * scale)),
      h: Math.max(1, Math.round(height * scale)),
    });
  }
  const x = Math.floor((THUMBNAIL_WIDTH - image.bitmap.width) / 2);
  const y = Math.floor((THUMBNAIL_HEIGHT - image.bitmap.height) / 2);
  frame.composite(image, x, y);
}

/**
 * Reads the width and height that a PNG, GIF, BMP or JPEG header declares, without
 * decoding the image. Returns null for another format or a truncated header.
 */
export function imageSize(data: Buffer): { width: number; height: number } | null {
  if (data.length >= 24 && data.readUInt32BE(0) === 0x89504e47) {
    return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
  }
  if (data.length >= 10 && data.subarray(0, 3).toString('latin1') === 'GIF') {
    return { width: data.readUInt16LE(6), height: data.readUInt16LE(8) };
  }
  if (data.length >= 26 && data.subarray(0, 2).toString('latin1') === 'BM') {
    return { width: Math.abs(data.readInt32LE(18)), height: Math.abs(data.readInt32LE(22)) };
  }
  if (data.length >= 4 && data.readUInt16BE(0) === 0xffd8) return jpegSize(data);
  return null;
}

/** Walks the JPEG markers to the first start-of-frame segment, which gives the size. */
function jpegSize(data: Buffer): { width: number; height: number } | null {
  let offset = 2;
  while (offset + 9 <= data.length) {
    if (data[offset] !== 0xff) return null;
    const marker = data[offset + 1] as number;
    const length = data.readUInt16BE(offset + 2);
    // Start-of-frame markers are C0 to CF except DHT (C4), JPG (C8) and DAC (CC), per ITU-T T.81
    // table B.1.
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return { width: data.readUInt16BE(offset + 7), height: data.readUInt16BE(offset + 5) };
    }
    offset += 2 + length;
  }
  return null;
}

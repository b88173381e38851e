import { Jimp } from 'jimp';
import { describe, expect, it } from 'vitest';

import { imageSize, makeThumbnail } from '../../src/http/mailpit/thumbnail.js';

const BLUE = 0x3366ccff;

async function encoded(mime: 'image/png' | 'image/jpeg' | 'image/bmp' | 'image/gif') {
  return new Jimp({ width: 300, height: 200, color: BLUE }).getBuffer(mime);
}

/** Returns the red, green and blue of one pixel of a decoded JPEG. */
async function pixel(jpeg: Buffer, x: number, y: number): Promise<[number, number, number]> {
  const image = await Jimp.read(jpeg);
  const color = image.getPixelColor(x, y);
  return [(color >>> 24) & 0xff, (color >>> 16) & 0xff, (color >>> 8) & 0xff];
}

describe('imageSize', () => {
  it.each(['image/png', 'image/jpeg', 'image/bmp', 'image/gif'] as const)(
    'reads the size of %s',
    async (mime) => {
      expect(imageSize(await encoded(mime))).toEqual({ width: 300, height: 200 });
    },
  );

  it('returns null for other data', () => {
    expect(imageSize(Buffer.from('not an image at all'))).toBeNull();
  });
});

describe('makeThumbnail', () => {
  it('crops a large image to 180x120', async () => {
    const thumb = await makeThumbnail('image/png', await encoded('image/png'));
    const image = await Jimp.read(thumb);
    expect(image.bitmap.width).toBe(180);
    expect(image.bitmap.height).toBe(120);
    const [red, , blue] = await pixel(thumb, 2, 2);
    expect(blue).toBeGreaterThan(150);
    expect(red).toBeLessThan(100);
  });

  it('centres a small image on white', async () => {
    const small = await new Jimp({ width: 60, height: 40, color: BLUE }).getBuffer('image/png');
    const thumb = await makeThumbnail('image/png', small);
    expect(await pixel(thumb, 2, 2)).toEqual([255, 255, 255]);
    const [red, , blue] = await pixel(thumb, 90, 60);
    expect(blue).toBeGreaterThan(150);
    expect(red).toBeLessThan(100);
  });

  it('draws no image that declares too many pixels', async () => {
    // A PNG header that declares 100000×100000 pixels, followed by nothing decodable.
    const header = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header, 0);
    header.writeUInt32BE(13, 8);
    header.write('IHDR', 12, 'latin1');
    header.writeUInt32BE(100_000, 16);
    header.writeUInt32BE(100_000, 20);
    const thumb = await makeThumbnail('image/png', header);
    expect((await Jimp.read(thumb)).bitmap.width).toBe(180);
    expect(await pixel(thumb, 90, 60)).toEqual([255, 255, 255]);
  });

  it('draws a blank frame for a non-image', async () => {
    const thumb = await makeThumbnail('application/pdf', Buffer.from('%PDF-1.4'));
    expect(await pixel(thumb, 90, 60)).toEqual([255, 255, 255]);
  });
});

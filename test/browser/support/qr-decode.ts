import jsQR from 'jsqr';
import type { Page } from 'playwright-core';

interface Raster {
  width: number;
  height: number;
  /** One byte per pixel (the green channel of black-on-white), base64: small over the wire. */
  grey: string;
}

// Runs in the page (kept as source: the test tsconfig has no DOM types). Draws the SVG element
// onto a canvas as a screen would show it and returns the pixels.
const rasterise = (selector: string) => `(async () => {
  const element = document.querySelector(${JSON.stringify(selector)});
  const size = 264;
  const markup = new XMLSerializer().serializeToString(element);
  const img = new Image(size, size);
  img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(markup);
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, size, size);
  ctx.drawImage(img, 0, 0, size, size);
  const rgba = ctx.getImageData(0, 0, size, size).data;
  let grey = '';
  for (let i = 0; i < rgba.length; i += 4) grey += String.fromCharCode(rgba[i + 1]);
  return { width: size, height: size, grey: btoa(grey) };
})()`;

/** Decodes the QR code the SVG element at `selector` shows, with an independent decoder (jsQR). */
export async function decodeQrSvg(page: Page, selector: string): Promise<string | null> {
  const image = await page.evaluate<Raster>(rasterise(selector));
  const grey = Buffer.from(image.grey, 'base64');
  const rgba = new Uint8ClampedArray(grey.length * 4);
  grey.forEach((value, i) => {
    rgba.set([value, value, value, 255], i * 4);
  });
  const decoded = jsQR.default(rgba, image.width, image.height);
  return decoded?.data ?? null;
}

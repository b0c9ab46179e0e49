#!/usr/bin/env node
// Renders the 128×128 marketplace icon (media/icon.png) from media/jarvis.svg with Debian's headless
// Chromium: the activity-bar glyph, white on a rounded square. Headless Chromium will not make a
// window that small, so the page is drawn in the top-left corner of a larger one and cropped here
// (a few lines of PNG with node:zlib). Run it after changing the glyph:
//   node scripts/make-icon.js            (CHROMIUM=/path/to/chromium to use another browser)
// The PNG is committed; packaging does not need a browser.
const { execFileSync } = require('child_process');
const zlib = require('zlib');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'media', 'icon.png');
const glyph = fs.readFileSync(path.join(root, 'media', 'jarvis.svg'), 'utf8')
  .replace(/<!--[\s\S]*?-->/g, '')
  .replace(/width="24" height="24"/, 'width="88" height="88"')
  .replace(/stroke="currentColor"/, 'stroke="#ffffff"');
const html = `<!doctype html><html><head><style>
html, body { margin: 0; width: 128px; height: 128px; background: transparent; overflow: hidden; }
.tile { box-sizing: border-box; width: 128px; height: 128px; border-radius: 24px;
  background: linear-gradient(160deg, #2563a8 0%, #173a66 100%);
  display: flex; align-items: center; justify-content: center; }
</style></head><body><div class="tile">${glyph}</div></body></html>`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-icon-'));
try {
  const page = path.join(dir, 'icon.html');
  fs.writeFileSync(page, html);
  const shot = path.join(dir, 'icon.png');
  execFileSync(process.env.CHROMIUM || '/usr/bin/chromium', [
    '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--force-device-scale-factor=1',
    '--default-background-color=00000000', '--window-size=600,600', `--user-data-dir=${path.join(dir, 'profile')}`,
    `--screenshot=${shot}`, 'file://' + page,
  ], { stdio: 'pipe' });
  const png = encodePng(crop(decodePng(fs.readFileSync(shot)), 128, 128));
  fs.writeFileSync(out, png);
  console.log(`wrote ${path.relative(root, out)} (${png.length} bytes)`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** 8-bit RGB or RGBA, not interlaced (what Chromium writes) → { width, height, rgba }. */
function decodePng(buf) {
  let p = 8, ihdr, idat = [];
  while (p < buf.length) {
    const len = buf.readUInt32BE(p), type = buf.toString('ascii', p + 4, p + 8), data = buf.subarray(p + 8, p + 8 + len);
    if (type === 'IHDR') ihdr = data;
    else if (type === 'IDAT') idat.push(data);
    p += 12 + len;
  }
  const width = ihdr.readUInt32BE(0), height = ihdr.readUInt32BE(4), depth = ihdr[8], color = ihdr[9], interlace = ihdr[12];
  if (depth !== 8 || (color !== 2 && color !== 6) || interlace) throw new Error(`unexpected PNG (depth ${depth}, colour type ${color})`);
  const bpp = color === 6 ? 4 : 3, stride = width * bpp;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const px = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[y * stride + x - bpp] : 0, b = y ? px[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y ? px[(y - 1) * stride + x - bpp] : 0;
      const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      px[y * stride + x] = (line[x] + pred) & 0xff;
    }
  }
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    px.copy(rgba, i * 4, i * bpp, i * bpp + 3);
    rgba[i * 4 + 3] = bpp === 4 ? px[i * bpp + 3] : 255;
  }
  return { width, height, rgba };
}

function crop(img, width, height) {
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) img.rgba.copy(rgba, y * width * 4, y * img.width * 4, (y * img.width + width) * 4);
  return { width, height, rgba };
}

function encodePng({ width, height, rgba }) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    for (let k = 0; k < 8; k++) n = n & 1 ? 0xedb88320 ^ (n >>> 1) : n >>> 1;
    return n >>> 0;
  });
  const crc = b => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const head = Buffer.alloc(8); head.writeUInt32BE(data.length, 0); head.write(type, 4, 'ascii');
    const tail = Buffer.alloc(4); tail.writeUInt32BE(crc(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, tail]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4); ihdr[8] = 8; ihdr[9] = 6;
  const lines = [];
  for (let y = 0; y < height; y++) lines.push(Buffer.from([0]), rgba.subarray(y * width * 4, (y + 1) * width * 4));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.concat(lines), { level: 9 })), chunk('IEND', Buffer.alloc(0)),
  ]);
}

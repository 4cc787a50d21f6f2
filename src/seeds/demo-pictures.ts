import sharp from 'sharp'

/**
 * The demo site's pictures, drawn in code (simple SVG scenes, rasterized to JPEG by sharp): nothing is
 * downloaded, and every picture goes through the same upload path (storeImage) as an editor's. No text
 * in the scenes: the machine may have no CJK font, and the ▲ caption says what the picture shows.
 */

export const DEMO_PICTURE_KEYS = ['harbour', 'street', 'food', 'market', 'ferry', 'park', 'lanterns', 'bus'] as const
export type DemoPictureKey = typeof DEMO_PICTURE_KEYS[number]

// Wider than the article column (760 px), so the upload service also stores a column-width copy.
const W = 960
const H = 600

const sky = (top: string, bottom: string): string =>
  `<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${top}"/><stop offset="1" stop-color="${bottom}"/></linearGradient></defs><rect width="${W}" height="${H}" fill="url(#sky)"/>`

function range (n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}

const SCENES: Record<DemoPictureKey, () => string> = {
  // Dusk over the harbour: skyline, water with reflections, the new promenade's railing.
  harbour: () => sky('#f3a65b', '#fbd9a0') +
    '<circle cx="720" cy="250" r="60" fill="#ffe7b0"/>' +
    range(14).map((i) => `<rect x="${40 + i * 64}" y="${230 - ((i * 37) % 110)}" width="48" height="${140 + ((i * 37) % 110)}" fill="#5b4a6b" opacity="0.85"/>`).join('') +
    `<rect y="370" width="${W}" height="230" fill="#3f6e8c"/>` +
    range(9).map((i) => `<rect x="${60 + i * 100}" y="${395 + (i % 3) * 30}" width="60" height="4" fill="#ffd89a" opacity="0.7"/>`).join('') +
    `<rect y="520" width="${W}" height="80" fill="#8a6f55"/><rect y="500" width="${W}" height="6" fill="#2f2f2f"/>` +
    range(25).map((i) => `<rect x="${i * 40}" y="500" width="4" height="24" fill="#2f2f2f"/>`).join(''),
  // An arcade street (骑楼): columns, shop fronts, a red awning.
  street: () => sky('#9fd0f0', '#e6f3fb') +
    `<rect y="90" width="${W}" height="420" fill="#e8d3b0"/>` +
    range(8).map((i) => `<rect x="${30 + i * 120}" y="130" width="70" height="90" fill="#7aa3b8"/><rect x="${i * 120}" y="300" width="26" height="220" fill="#cdb48c"/><rect x="${36 + i * 120}" y="330" width="70" height="170" fill="${i % 2 === 0 ? '#b5453a' : '#3f7f5f'}" opacity="0.85"/>`).join('') +
    `<rect y="270" width="${W}" height="30" fill="#a23b2c"/><rect y="510" width="${W}" height="90" fill="#9a9a94"/>` +
    '<circle cx="660" cy="520" r="22" fill="#333"/><circle cx="760" cy="520" r="22" fill="#333"/><rect x="650" y="470" width="120" height="36" rx="10" fill="#2b6cb0"/>',
  // A bowl of beef-ball soup on a table.
  food: () => `<rect width="${W}" height="${H}" fill="#c98b52"/>` +
    range(6).map((i) => `<rect y="${i * 100}" width="${W}" height="4" fill="#a86d3c"/>`).join('') +
    '<ellipse cx="480" cy="330" rx="300" ry="170" fill="#f7f3ea"/><ellipse cx="480" cy="310" rx="250" ry="125" fill="#d9a35a"/>' +
    range(7).map((i) => `<circle cx="${330 + i * 50}" cy="${300 + (i % 2) * 30}" r="30" fill="#7a4b2f"/><circle cx="${322 + i * 50}" cy="${292 + (i % 2) * 30}" r="8" fill="#a87457"/>`).join('') +
    range(12).map((i) => `<rect x="${300 + i * 32}" y="${250 + (i % 3) * 40}" width="14" height="6" rx="3" fill="#3f9b46"/>`).join('') +
    '<rect x="760" y="120" width="18" height="360" rx="8" fill="#5a3a22" transform="rotate(20 760 300)"/>',
  // Morning market stalls: crates of greens, oranges, tomatoes under striped awnings.
  market: () => sky('#cfe8f5', '#f6fbfd') +
    range(4).map((i) => `<rect x="${20 + i * 235}" y="120" width="220" height="60" fill="${['#d94b3d', '#2f8f5b', '#e0a21b', '#2b6cb0'][i] ?? '#888'}"/><rect x="${20 + i * 235}" y="180" width="220" height="8" fill="#fff"/><rect x="${30 + i * 235}" y="180" width="8" height="220" fill="#7b5b3a"/><rect x="${222 + i * 235}" y="180" width="8" height="220" fill="#7b5b3a"/>`).join('') +
    range(4).map((s) => range(10).map((j) => `<circle cx="${50 + s * 235 + (j % 5) * 40}" cy="${400 + Math.floor(j / 5) * 40}" r="20" fill="${['#e8742a', '#4caf50', '#d63b2f', '#f2c94c'][s] ?? '#888'}"/>`).join('')).join('') +
    `<rect y="470" width="${W}" height="130" fill="#9c7a55"/>`,
  // The ferry to the island: sea, a small white boat, the island with a lighthouse.
  ferry: () => sky('#7ec3ec', '#d9f0fb') +
    '<path d="M560 330 Q700 200 900 330 Z" fill="#4f8a4a"/><rect x="780" y="210" width="18" height="60" fill="#fff"/><rect x="776" y="200" width="26" height="14" fill="#d94b3d"/>' +
    `<rect y="330" width="${W}" height="270" fill="#2e78a8"/>` +
    range(10).map((i) => `<path d="M${i * 100} ${420 + (i % 3) * 40} q25 -12 50 0" stroke="#cfe9f7" stroke-width="4" fill="none"/>`).join('') +
    '<path d="M160 380 L520 380 L480 440 L200 440 Z" fill="#f4f4f4"/><rect x="230" y="330" width="220" height="50" fill="#ffffff"/><rect x="250" y="342" width="180" height="16" fill="#4a90c2"/><rect x="320" y="300" width="14" height="30" fill="#d94b3d"/>',
  // The lighthouse park in autumn: lawn, trees in orange and yellow, a bench.
  park: () => sky('#a9d8f2', '#eef8fd') +
    `<rect y="380" width="${W}" height="220" fill="#8fbf5a"/>` +
    range(6).map((i) => `<rect x="${90 + i * 150}" y="300" width="18" height="110" fill="#6b4a2b"/><circle cx="${99 + i * 150}" cy="${270 - (i % 2) * 20}" r="${70 - (i % 3) * 8}" fill="${['#e07b27', '#f2b632', '#c9542d'][i % 3] ?? '#e07b27'}"/>`).join('') +
    '<rect x="420" y="470" width="140" height="12" fill="#7b5b3a"/><rect x="430" y="482" width="8" height="30" fill="#555"/><rect x="542" y="482" width="8" height="30" fill="#555"/>' +
    '<rect x="820" y="140" width="34" height="250" fill="#f4f4f4"/><rect x="820" y="200" width="34" height="24" fill="#d94b3d"/><rect x="814" y="124" width="46" height="20" fill="#333"/>',
  // Lanterns in a covered walkway at night.
  lanterns: () => sky('#1d2340', '#3a2f5c') +
    range(3).map((r) => range(7).map((i) => `<line x1="${80 + i * 135}" y1="${60 + r * 150}" x2="${80 + i * 135}" y2="${100 + r * 150}" stroke="#c9a44a" stroke-width="3"/><ellipse cx="${80 + i * 135}" cy="${140 + r * 150}" rx="42" ry="48" fill="#e0342b"/><rect x="${62 + i * 135}" y="${88 + r * 150}" width="36" height="8" fill="#c9a44a"/><rect x="${62 + i * 135}" y="${184 + r * 150}" width="36" height="8" fill="#c9a44a"/>`).join('')).join('') +
    `<rect y="540" width="${W}" height="60" fill="#2a2238"/>`,
  // A city bus at a stop.
  bus: () => sky('#b8dff5', '#f0f9fe') +
    `<rect y="440" width="${W}" height="160" fill="#7d7d78"/><rect y="500" width="${W}" height="6" fill="#f2f2f2"/>` +
    '<rect x="180" y="230" width="560" height="220" rx="26" fill="#1f8a5b"/><rect x="200" y="255" width="520" height="80" fill="#cfe9f7"/>' +
    range(5).map((i) => `<rect x="${210 + i * 102}" y="260" width="90" height="70" fill="#9fcbe6"/>`).join('') +
    '<rect x="180" y="360" width="560" height="16" fill="#f2c94c"/><circle cx="290" cy="455" r="36" fill="#222"/><circle cx="630" cy="455" r="36" fill="#222"/>' +
    '<rect x="820" y="200" width="10" height="250" fill="#555"/><rect x="790" y="180" width="70" height="50" fill="#2b6cb0"/>'
}

/** The scene as SVG source (exported for tests: a picture is small to draw). */
export function demoPictureSvg (key: DemoPictureKey): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${SCENES[key]()}</svg>`
}

// Drawn once per process: tests seed the demo many times, and the rasterizing is the slow part.
const drawn = new Map<DemoPictureKey, Promise<Buffer>>()

/** The scene as a JPEG, as a camera would hand it in (the upload service re-encodes it anyway). */
export async function demoPictureJpeg (key: DemoPictureKey): Promise<Buffer> {
  let picture = drawn.get(key)
  if (picture === undefined) {
    picture = sharp(Buffer.from(demoPictureSvg(key))).jpeg({ quality: 88 }).toBuffer()
    drawn.set(key, picture)
    picture.catch(() => drawn.delete(key))
  }
  return await picture
}

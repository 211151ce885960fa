/**
 * Deterministic pseudo-random numbers (mulberry32) and the small vocabularies the synthetic content is made
 * of. The same seed gives the same bytes on every machine, so two runs measure the same store.
 */

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }

  /** `n` distinct elements (n <= list.length). */
  distinct<T>(list: readonly T[], n: number): T[] {
    const out = new Set<T>();
    for (let guard = 0; out.size < n && guard < n * 50; guard++) out.add(this.pick(list));
    return [...out];
  }

  words(list: readonly string[], n: number): string {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.pick(list));
    return out.join(' ');
  }

  /** A sentence: capitalised, `min`..`max` words, ending with a full stop. */
  sentence(list: readonly string[], min: number, max: number): string {
    const s = this.words(list, this.int(min, max));
    return `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;
  }
}

export const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export const WORDS_ID = [
  'pemerintah', 'menteri', 'presiden', 'warga', 'kota', 'wilayah', 'perbatasan', 'pasukan', 'gencatan', 'senjata',
  'perundingan', 'delegasi', 'kesepakatan', 'bantuan', 'kemanusiaan', 'pengungsi', 'ekonomi', 'harga', 'minyak',
  'gas', 'pasar', 'investasi', 'pembangunan', 'jalan', 'pelabuhan', 'bandara', 'rumah', 'sakit', 'sekolah',
  'mahasiswa', 'guru', 'petani', 'nelayan', 'pedagang', 'buruh', 'parlemen', 'partai', 'pemilihan', 'suara',
  'kampanye', 'kebijakan', 'anggaran', 'pajak', 'utang', 'inflasi', 'mata', 'uang', 'bank', 'sentral',
  'diplomat', 'kedutaan', 'konferensi', 'pertemuan', 'tingkat', 'tinggi', 'dewan', 'keamanan', 'resolusi',
  'sanksi', 'embargo', 'ekspor', 'impor', 'gandum', 'pangan', 'air', 'bersih', 'listrik', 'energi', 'matahari',
  'angin', 'banjir', 'gempa', 'kekeringan', 'cuaca', 'iklim', 'hutan', 'sungai', 'laut', 'pulau', 'gunung',
  'desa', 'provinsi', 'ibu', 'kota', 'timur', 'barat', 'utara', 'selatan', 'tengah', 'hari', 'minggu', 'bulan',
  'tahun', 'lalu', 'depan', 'kemarin', 'besok', 'menurut', 'laporan', 'sumber', 'resmi', 'juru', 'bicara',
  'mengatakan', 'menyatakan', 'menegaskan', 'membantah', 'mengumumkan', 'menolak', 'menerima', 'meminta',
  'mendesak', 'menyerukan', 'bahwa', 'dan', 'atau', 'dengan', 'untuk', 'dari', 'dalam', 'pada', 'oleh', 'yang',
  'akan', 'telah', 'sudah', 'belum', 'masih', 'juga', 'tidak', 'lebih', 'kurang', 'banyak', 'sedikit', 'baru',
  'lama', 'besar', 'kecil', 'penting', 'sulit', 'mudah', 'cepat', 'lambat', 'damai', 'aman', 'tegang',
];

export const WORDS_EN = [
  'government', 'minister', 'president', 'residents', 'city', 'region', 'border', 'troops', 'ceasefire', 'arms',
  'talks', 'delegation', 'agreement', 'aid', 'humanitarian', 'refugees', 'economy', 'prices', 'oil', 'gas',
  'market', 'investment', 'development', 'road', 'port', 'airport', 'hospital', 'school', 'students', 'teachers',
  'farmers', 'fishermen', 'traders', 'workers', 'parliament', 'party', 'election', 'vote', 'campaign', 'policy',
  'budget', 'tax', 'debt', 'inflation', 'currency', 'central', 'bank', 'diplomats', 'embassy', 'conference',
  'meeting', 'summit', 'council', 'security', 'resolution', 'sanctions', 'embargo', 'exports', 'imports', 'wheat',
  'food', 'water', 'electricity', 'energy', 'solar', 'wind', 'flood', 'earthquake', 'drought', 'weather',
  'climate', 'forest', 'river', 'sea', 'island', 'mountain', 'village', 'province', 'capital', 'east', 'west',
  'north', 'south', 'day', 'week', 'month', 'year', 'last', 'next', 'yesterday', 'tomorrow', 'according', 'to',
  'report', 'source', 'official', 'spokesperson', 'said', 'stated', 'stressed', 'denied', 'announced', 'rejected',
  'accepted', 'asked', 'urged', 'called', 'for', 'that', 'and', 'or', 'with', 'from', 'in', 'on', 'by', 'which',
  'will', 'has', 'already', 'not', 'yet', 'still', 'also', 'more', 'less', 'many', 'few', 'new', 'old', 'large',
  'small', 'important', 'difficult', 'easy', 'quickly', 'slowly', 'peaceful', 'safe', 'tense',
];

/** 10 topics x 5 regions = the 50 categories, labelled in both languages. */
const TOPICS: readonly [string, string, string][] = [
  ['politik', 'Politik', 'politics'],
  ['ekonomi', 'Ekonomi', 'economy'],
  ['keamanan', 'Keamanan', 'security'],
  ['diplomasi', 'Diplomasi', 'diplomacy'],
  ['energi', 'Energi', 'energy'],
  ['kemanusiaan', 'Kemanusiaan', 'humanitarian affairs'],
  ['lingkungan', 'Lingkungan', 'environment'],
  ['pendidikan', 'Pendidikan', 'education'],
  ['kesehatan', 'Kesehatan', 'health'],
  ['budaya', 'Budaya', 'culture'],
];
const REGIONS: readonly [string, string, string][] = [
  ['timur-tengah', 'Timur Tengah', 'Middle East'],
  ['kaukasus', 'Kaukasus', 'Caucasus'],
  ['asia-tengah', 'Asia Tengah', 'Central Asia'],
  ['afrika-utara', 'Afrika Utara', 'North Africa'],
  ['asia-tenggara', 'Asia Tenggara', 'Southeast Asia'],
];

export interface CategoryDef {
  slug: string;
  id: string;
  en: string;
}

export const CATEGORIES: readonly CategoryDef[] = TOPICS.flatMap(([t, tId, tEn]) =>
  REGIONS.map(([r, rId, rEn]) => ({ slug: `${t}-${r}`, id: `${tId} ${rId}`, en: `${rEn} ${tEn}` })),
);

export const UPSTREAM_CATEGORIES = [
  'World', 'Middle East', 'Politics', 'Business', 'Energy', 'Conflict', 'Diplomacy', 'Climate', 'Health', 'Culture',
  'Asia', 'Europe', 'Africa', 'Analysis', 'Opinion',
];

export const PEOPLE = [
  'Siti Rahma', 'Ahmad Fauzi', 'Dewi Lestari', 'Budi Santoso', 'Nur Aini', 'Rizky Pratama', 'Maya Sari', 'Hendra Wijaya',
  'Lina Marlina', 'Yusuf Hakim', 'Fitri Handayani', 'Agus Salim',
];

package textmodel

import "math/bits"

// Every word, negated word and word pair is a 64-bit FNV-1a hash of its
// canonical text. The model's tables are keyed by these hashes, so the hot
// path never builds a string: the tokenizer hashes the bytes it writes, a
// pair is a mix of two hashes, a negated word a mix with a salt. The files
// under data/ keep the readable text ("tidak enak", "!enak"); Parse hashes
// it the same way. With 64 bits and well under a million keys, an unknown
// word landing on a known key is a 1 in 10^13 event per lookup; we accept it.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// hashBytes and hashString are FNV-1a. (An eight-bytes-at-a-time hash was
// tried: on words of four to ten letters it was slower, the tail loop
// costing more than the multiplies it saved.)
func hashBytes(b []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

func hashString(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

const negSalt = 0x6e65676174656421 // "negated!"

// mix64 is the murmur3 finalizer: a cheap bijection that spreads bits.
func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// pairHash is the key of the word pair "a b".
func pairHash(a, b uint64) uint64 { return mix64(a ^ bits.RotateLeft64(b, 23) ^ 0x9e3779b97f4a7c15) }

// negHash is the key of a negated word "!w".
func negHash(h uint64) uint64 { return mix64(h ^ negSalt) }

// featureHash hashes a feature as written in data/*.tsv: "w", "!w" or "a b".
func featureHash(f string) uint64 {
	if len(f) > 1 && f[0] == '!' {
		return negHash(hashString(f[1:]))
	}
	for i := 0; i < len(f); i++ {
		if f[i] == ' ' {
			return pairHash(hashString(f[:i]), hashString(f[i+1:]))
		}
	}
	return hashString(f)
}

// table is an open-addressing hash map from key hash to entry index. It is
// built once by Parse and then only read, so concurrent Analyze calls need
// no lock. Each slot is one uint64: the top 40 bits of the key's hash (its
// fingerprint) and the entry index plus one in the low 24 bits, 0 for an
// empty slot. One word per slot halves the memory a lookup touches (the
// table of the shipped model fits in about a megabyte); a word that is not
// in the table matches a 40-bit fingerprint in its probe chain about once
// in 10^11 lookups, which we accept.
//
// Most lookups miss (word pairs nobody trained on, rare words), and a miss
// in a megabyte-sized table is a cache miss. A one-bit-per-key filter of
// 8 bits per slot (128 KiB for the shipped model, which stays in cache)
// answers most misses first.
type table struct {
	slots []uint64
	shift uint
	bloom []uint64
	bbits uint // log2 of the filter's size in bits
	all   []kv // every key put, to rehash when growing (cold)
}

type kv struct {
	h uint64
	v int32
}

const (
	idxBits = 24
	idxMask = 1<<idxBits - 1
)

func fingerprint(h uint64) uint64 {
	fp := h >> idxBits
	if fp == 0 {
		fp = 1
	}
	return fp << idxBits
}

func newTable(n int) *table {
	size := 64
	for size < 2*n {
		size <<= 1
	}
	t := &table{slots: make([]uint64, size), shift: uint(64 - bits.TrailingZeros(uint(size)))}
	t.bbits = uint(bits.TrailingZeros(uint(size))) + 3
	t.bloom = make([]uint64, (1<<t.bbits)/64)
	return t
}

func (t *table) bloomBit(h uint64) uint64 { return (h * 0xff51afd7ed558ccd) >> (64 - t.bbits) }

func (t *table) slot(h uint64) int { return int((h * 0x9e3779b97f4a7c15) >> t.shift) }

// get returns the entry index of h, or -1.
func (t *table) get(h uint64) int32 {
	if b := t.bloomBit(h); t.bloom[b>>6]&(1<<(b&63)) == 0 {
		return -1
	}
	fp := fingerprint(h)
	mask := len(t.slots) - 1
	for i := t.slot(h); ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return -1
		}
		if s&^idxMask == fp {
			return int32(s&idxMask) - 1
		}
	}
}

// getDirect is get without the filter: for keys that are usually present
// (the words of a text), where the filter would be one more cache line.
func (t *table) getDirect(h uint64) int32 {
	fp := fingerprint(h)
	mask := len(t.slots) - 1
	for i := t.slot(h); ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return -1
		}
		if s&^idxMask == fp {
			return int32(s&idxMask) - 1
		}
	}
}

// weightFilter is a one-bit-per-key filter over the keys that carry the
// weights of one language's heads. Most word pairs and negated words of a
// text carry none; an English text asks the English filter, which holds a
// few thousand keys in 16 KiB (it stays in a fast cache), instead
// of the table's filter over every key of both languages.
type weightFilter struct {
	bits []uint64
	n    uint // log2 of the size in bits
}

func newWeightFilter(keys []uint64) weightFilter {
	n := uint(9)
	for 1<<n < 16*len(keys) {
		n++
	}
	f := weightFilter{bits: make([]uint64, (1<<n)/64), n: n}
	for _, h := range keys {
		b := f.bit(h)
		f.bits[b>>6] |= 1 << (b & 63)
	}
	return f
}

func (f *weightFilter) bit(h uint64) uint64 { return (h * 0xc4ceb9fe1a85ec53) >> (64 - f.n) }

// has reports whether h may be one of the keys (false: it is not).
func (f *weightFilter) has(h uint64) bool {
	b := f.bit(h)
	return f.bits[b>>6]&(1<<(b&63)) != 0
}

// put sets h to v, growing the table to stay at most half full.
func (t *table) put(h uint64, v int32) {
	if v < 0 || v >= idxMask {
		panic("textmodel: table index out of range")
	}
	if t.place(h, v) {
		t.all = append(t.all, kv{h, v})
		if 2*len(t.all) > len(t.slots) {
			t.slots = make([]uint64, 2*len(t.slots))
			t.shift--
			t.bbits++
			t.bloom = make([]uint64, (1<<t.bbits)/64)
			for _, e := range t.all {
				t.place(e.h, e.v)
			}
		}
	} else {
		for k := range t.all {
			if t.all[k].h == h {
				t.all[k].v = v
			}
		}
	}
}

// place writes h -> v into the slots and reports whether h is new.
func (t *table) place(h uint64, v int32) bool {
	b := t.bloomBit(h)
	t.bloom[b>>6] |= 1 << (b & 63)
	fp := fingerprint(h)
	mask := len(t.slots) - 1
	for i := t.slot(h); ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			t.slots[i] = fp | uint64(v+1)
			return true
		}
		if s&^idxMask == fp {
			t.slots[i] = fp | uint64(v+1)
			return false
		}
	}
}

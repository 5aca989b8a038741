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
	negSalt   = 0x6e65676174656421 // "negated!"
)

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
// no lock. A probe compares one integer; 0 marks an empty slot (a key that
// hashes to 0 is stored as 1, see normKey).
type table struct {
	keys  []uint64
	vals  []int32
	n     int
	shift uint
}

func normKey(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

func newTable(n int) *table {
	size := 64
	for size < 3*n {
		size <<= 1
	}
	return &table{keys: make([]uint64, size), vals: make([]int32, size), shift: uint(64 - bits.TrailingZeros(uint(size)))}
}

func (t *table) slot(h uint64) int { return int((h * 0x9e3779b97f4a7c15) >> t.shift) }

// get returns the entry index of h, or -1.
func (t *table) get(h uint64) int32 {
	h = normKey(h)
	mask := len(t.keys) - 1
	for i := t.slot(h); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case h:
			return t.vals[i]
		case 0:
			return -1
		}
	}
}

// put sets h to v, growing the table to stay at most a third full (short
// probe chains matter more than memory here).
func (t *table) put(h uint64, v int32) {
	h = normKey(h)
	mask := len(t.keys) - 1
	for i := t.slot(h); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case h:
			t.vals[i] = v
			return
		case 0:
			t.keys[i], t.vals[i] = h, v
			t.n++
			if 3*t.n > len(t.keys) {
				t.grow()
			}
			return
		}
	}
}

func (t *table) grow() {
	old := *t
	*t = *newTable(2 * old.n)
	for i, k := range old.keys {
		if k != 0 {
			t.put(k, old.vals[i])
		}
	}
}

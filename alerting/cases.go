package alerting

import (
	"sync"
	"time"

	"github.com/pantau/pantau/store"
)

// A case groups near-duplicate complaints: reposts, the same grievance on
// several platforms, a thread of follow-ups. Its key is the key of its
// first mention (Score.Case). Its spread (distinct sources, distinct
// people) feeds virality.
//
// The pipeline keeps a bounded in-memory index of recent complaint
// signatures. A complaint joins a case when
//
//   - it is in the thread of a post in the case and is either by that
//     post's author (a follow-up) or a complaint itself ("same here, mine
//     is lost too"); or
//   - its text is a near-duplicate of a complaint in the case: MinHash over
//     word bigrams of the normalised text (slang mapped to canonical words,
//     handles and links dropped), with an estimated Jaccard similarity of
//     at least caseSimilarity. Banded locality-sensitive hashing finds the
//     candidates without scanning the index.
//
// Texts shorter than caseMinShingles bigrams are never matched by text:
// "kecewa bgt min" from two people is two complaints, not one case. Two
// texts that both carry long numbers (order and receipt numbers) but share
// none are never one case either: "paket saya belum sampai, resi KX123"
// and the same words with resi JT998 are two customers' parcels. Only
// mentions of the same brand are compared.

// CaseInfo describes a mention's case.
type CaseInfo struct {
	Key     string // the case's first mention
	Size    int    // mentions in the case, this one included
	Sources int    // distinct configured sources
	// Authors is the largest number of distinct authors on any one
	// platform: handles cannot be linked across platforms, so this is a
	// lower bound on the people involved (one person cross-posting is
	// one, not two).
	Authors int
}

const (
	caseRows        = 3  // MinHash values per LSH band
	caseBands       = 16 // bands; 48 values in all
	caseHashes      = caseRows * caseBands
	caseMinShingles = 5
	// caseSimilarity is the estimated Jaccard similarity of word bigrams
	// from which two complaints are one case. Reposts with a comment added
	// and cross-posts trimmed to a platform's length stay well above it;
	// two people describing their own problems stay below it.
	caseSimilarity = 0.5
	// caseWindow and caseLimit bound the index: grievances are grouped
	// while they are recent, and memory stays flat (about 400 bytes an
	// entry, 20 MB at the limit). The window matches the daemon's sweep
	// window (7 days): a swept mention whose case had been forgotten would
	// lose its Case and its spread.
	caseWindow = 7 * 24 * time.Hour
	caseLimit  = 50000
	// caseBucketCap keeps the newest entries of one LSH bucket. A viral
	// complaint reposted thousands of times fills its buckets with
	// near-copies; the newest few find the case just as well, and each
	// placement stays cheap instead of growing with the case.
	caseBucketCap = 32
)

// caseSeeds are the MinHash permutations: fixed, so signatures are the same
// in every run and the index can be rebuilt from the store.
var caseSeeds = func() (s [caseHashes]uint64) {
	x := uint64(0x9e3779b97f4a7c15)
	for i := range s {
		x += 0x9e3779b97f4a7c15
		s[i] = mix64(x)
	}
	return s
}()

// mix64 is the splitmix64 finaliser: a cheap, well-spread 64-bit mix.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

type caseEntry struct {
	key, caseKey, brand, source string
	kind, author                string
	at                          time.Time // when the mention was first seen; eviction order
	sig                         []uint32  // nil: too short to match by text
	ids                         []uint64  // hashes of the text's long numbers
	stamp                       uint64    // last query that looked at it
}

type caseGroup struct {
	n       int
	sources map[string]int
	authors map[string]map[string]int // kind -> handle -> count
}

// caseIndex is safe for concurrent use.
type caseIndex struct {
	mu     sync.Mutex
	window time.Duration
	limit  int
	lx     *lexicon
	pool   sync.Pool // *scratch, for normalising text

	byKey map[string]*caseEntry
	queue []*caseEntry // insertion order; queue[head:] are live
	head  int
	bands map[uint64][]*caseEntry
	cases map[string]*caseGroup
	stamp uint64
}

func newCaseIndex(window time.Duration, limit int) *caseIndex {
	x := &caseIndex{
		window: window, limit: limit, lx: newLexicon(),
		byKey: map[string]*caseEntry{}, bands: map[uint64][]*caseEntry{}, cases: map[string]*caseGroup{},
	}
	x.pool.New = func() any { return &scratch{norm: make([]byte, 0, 512), toks: make([]token, 0, 128)} }
	return x
}

func isComplaint(sc *store.Score) bool {
	return sc != nil && sc.Scored && sc.Complaint >= complaintMin
}

// info returns the case of an indexed mention; zero when it is not indexed.
func (x *caseIndex) info(key string) CaseInfo {
	x.mu.Lock()
	defer x.mu.Unlock()
	if e := x.byKey[key]; e != nil {
		return x.groupInfo(e.caseKey)
	}
	return CaseInfo{}
}

func (x *caseIndex) groupInfo(caseKey string) CaseInfo {
	g := x.cases[caseKey]
	if g == nil {
		return CaseInfo{}
	}
	ci := CaseInfo{Key: caseKey, Size: g.n, Sources: len(g.sources)}
	for _, hs := range g.authors {
		ci.Authors = max(ci.Authors, len(hs))
	}
	return ci
}

// place puts a stored, scored mention into its case, if it belongs to one,
// and returns the case. thread is the mention's thread when known. A
// mention already placed keeps its case.
func (x *caseIndex) place(m *store.Mention, thread []store.Mention, now time.Time) CaseInfo {
	if m.ByBrand || m.Score == nil {
		return CaseInfo{}
	}
	complaint := isComplaint(m.Score)
	var sig []uint32
	var ids []uint64
	if complaint {
		sig, ids = x.signature(m) // outside the lock: it is the costly part
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if e := x.byKey[m.Key]; e != nil {
		return x.groupInfo(e.caseKey)
	}
	x.evict(now)
	caseKey := ""
	if anc := x.ancestor(m, thread); anc != nil && (complaint || (anc.author == m.Author.Handle && anc.kind == m.Kind && anc.author != "")) {
		caseKey = anc.caseKey
	}
	if caseKey == "" && !complaint {
		return CaseInfo{}
	}
	if caseKey == "" && sig != nil {
		if best := x.match(sig, ids, m.Brand, m.Key); best != nil {
			caseKey = best.caseKey
		}
	}
	if caseKey == "" {
		caseKey = m.Key
	}
	x.add(m, caseKey, sig, ids, now)
	return x.groupInfo(caseKey)
}

// restore re-indexes a stored mention at start-up, trusting the case its
// score already names, so cases keep their keys across restarts.
func (x *caseIndex) restore(m *store.Mention, now time.Time) {
	if m.ByBrand || m.Score == nil {
		return
	}
	if m.Score.Case == "" {
		if isComplaint(m.Score) {
			x.place(m, nil, now)
		}
		return
	}
	var sig []uint32
	var ids []uint64
	if isComplaint(m.Score) {
		sig, ids = x.signature(m)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.byKey[m.Key] == nil {
		x.evict(now)
		x.add(m, m.Score.Case, sig, ids, now)
	}
}

// ancestor finds the nearest indexed post above m in its thread.
func (x *caseIndex) ancestor(m *store.Mention, thread []store.Mention) *caseEntry {
	parent := func(k string) string { return "" }
	if len(thread) > 0 {
		byKey := make(map[string]*store.Mention, len(thread))
		for i := range thread {
			byKey[thread[i].Key] = &thread[i]
		}
		parent = func(k string) string {
			if p := byKey[k]; p != nil {
				return p.ReplyTo
			}
			return ""
		}
	}
	// Walk up the reply chain (bounded: hostile data can loop).
	for k, hops := m.ReplyTo, 0; k != "" && hops < 100; k, hops = parent(k), hops+1 {
		if e := x.byKey[k]; e != nil && k != m.Key {
			return e
		}
	}
	if k := m.ThreadRoot; k != "" && k != m.Key {
		return x.byKey[k]
	}
	return nil
}

// match returns the most similar indexed complaint of the same brand, if
// any is similar enough.
func (x *caseIndex) match(sig []uint32, ids []uint64, brand, key string) *caseEntry {
	x.stamp++
	var best *caseEntry
	bestEq := int(caseSimilarity * caseHashes) // equal values needed, at least
	for b := range caseBands {
		for _, e := range x.bands[bandKey(sig, b)] {
			if e.stamp == x.stamp || e.brand != brand || e.key == key {
				continue
			}
			e.stamp = x.stamp
			if best != nil && e.caseKey == best.caseKey {
				continue // that case is already a match; only another case could win
			}
			if len(ids) > 0 && len(e.ids) > 0 && !sharesAny(ids, e.ids) {
				continue // two customers' own order numbers
			}
			eq := 0
			for i, v := range sig {
				if e.sig[i] == v {
					eq++
				}
			}
			if eq > bestEq || (eq == bestEq && best == nil) {
				best, bestEq = e, eq
				if eq == caseHashes {
					return best // a copy: nothing can match better
				}
			}
		}
	}
	return best
}

func (x *caseIndex) add(m *store.Mention, caseKey string, sig []uint32, ids []uint64, now time.Time) {
	at := m.SeenAt
	if at.IsZero() {
		at = now // not stored yet: it is seen now
	}
	e := &caseEntry{key: m.Key, caseKey: caseKey, brand: m.Brand, source: m.Source, kind: m.Kind, author: m.Author.Handle, at: at, sig: sig, ids: ids}
	x.byKey[e.key] = e
	x.queue = append(x.queue, e)
	if sig != nil {
		for b := range caseBands {
			k := bandKey(sig, b)
			list := x.bands[k]
			if len(list) >= caseBucketCap {
				list = append(list[:0], list[1:]...) // remove() skips entries no longer listed
			}
			x.bands[k] = append(list, e)
		}
	}
	g := x.cases[caseKey]
	if g == nil {
		g = &caseGroup{sources: map[string]int{}, authors: map[string]map[string]int{}}
		x.cases[caseKey] = g
	}
	g.n++
	g.sources[e.source]++
	if e.author != "" {
		hs := g.authors[e.kind]
		if hs == nil {
			hs = map[string]int{}
			g.authors[e.kind] = hs
		}
		hs[e.author]++
	}
}

// evict drops the entries older than the window, and the oldest beyond the
// limit.
func (x *caseIndex) evict(now time.Time) {
	cut := now.Add(-x.window)
	for x.head < len(x.queue) {
		e := x.queue[x.head]
		if len(x.byKey) < x.limit && !e.at.Before(cut) {
			break
		}
		x.queue[x.head] = nil
		x.head++
		x.remove(e)
	}
	if x.head > 1024 && x.head*2 > len(x.queue) {
		x.queue = append(x.queue[:0], x.queue[x.head:]...)
		x.head = 0
	}
}

func (x *caseIndex) remove(e *caseEntry) {
	delete(x.byKey, e.key)
	if e.sig != nil {
		for b := range caseBands {
			k := bandKey(e.sig, b)
			list := x.bands[k]
			for i, o := range list {
				if o == e {
					list = append(list[:i], list[i+1:]...)
					break
				}
			}
			if len(list) == 0 {
				delete(x.bands, k)
			} else {
				x.bands[k] = list
			}
		}
	}
	g := x.cases[e.caseKey]
	if g == nil {
		return
	}
	g.n--
	if g.sources[e.source]--; g.sources[e.source] <= 0 {
		delete(g.sources, e.source)
	}
	if hs := g.authors[e.kind]; hs != nil && e.author != "" {
		if hs[e.author]--; hs[e.author] <= 0 {
			delete(hs, e.author)
		}
		if len(hs) == 0 {
			delete(g.authors, e.kind)
		}
	}
	if g.n <= 0 {
		delete(x.cases, e.caseKey)
	}
}

// bandKey hashes one band of a signature, with the band's number, so equal
// values in different bands do not collide.
func bandKey(sig []uint32, band int) uint64 {
	h := mix64(uint64(band) + 1)
	for _, v := range sig[band*caseRows : (band+1)*caseRows] {
		h = mix64(h ^ uint64(v))
	}
	return h
}

// fnv64 is FNV-1a over a word.
func fnv64[T string | []byte](w T) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(w); i++ {
		h = (h ^ uint64(w[i])) * 1099511628211
	}
	return h
}

func sharesAny(a, b []uint64) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// minIDDigits is the length from which a number is read as an order or
// receipt number rather than a count ("3 hari") or a time.
const minIDDigits = 3

// signature is the MinHash of the mention's word bigrams (nil when the text
// is too short to tell one complaint from another) and the hashes of its
// long numbers.
func (x *caseIndex) signature(m *store.Mention) ([]uint32, []uint64) {
	z := x.pool.Get().(*scratch)
	defer x.pool.Put(z)
	z.reset()
	z.tokenize(x.lx, m.Title)
	z.tokenize(x.lx, m.Text)
	// Hash each word in its canonical spelling ("blm nyampe" and "belum
	// sampai" are the same words); numbers stay, so two customers' order
	// numbers keep their complaints apart.
	words := make([]uint64, 0, len(z.toks))
	var ids []uint64
	for i := range z.toks {
		t := &z.toks[i]
		switch {
		case t.kind == tWord && t.ent != nil:
			words = append(words, fnv64(t.ent.canon))
		case t.kind == tWord || t.kind == tNum:
			h := fnv64(z.text(t))
			words = append(words, h)
			if t.kind == tNum && t.e-t.s >= minIDDigits {
				ids = append(ids, h)
			}
		}
	}
	if len(words)-1 < caseMinShingles {
		return nil, ids
	}
	sig := make([]uint32, caseHashes)
	for i := range sig {
		sig[i] = ^uint32(0)
	}
	for i := 0; i+1 < len(words); i++ {
		sh := mix64(words[i]*31 + words[i+1])
		for j := range sig {
			if v := uint32(mix64(sh^caseSeeds[j]) >> 32); v < sig[j] {
				sig[j] = v
			}
		}
	}
	return sig, ids
}

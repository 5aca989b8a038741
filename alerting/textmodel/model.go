package textmodel

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"sync"
)

// The generated model files. The train command writes them; nothing else
// should (their header says how they were made).
//
//go:embed data/*.tsv
var embedded embed.FS

// Weight slots: every feature (word, negated word, word pair) carries one
// weight per slot, so one table lookup serves every head.
const (
	slotIDNeg   = iota // Indonesian sentiment, 3 classes (SmSA)
	slotIDNeu          //
	slotIDPos          //
	slotIDAnger        // Indonesian anger vs other emotions (EmoT)
	slotENNeg          // English sentiment, 3 classes (complaints-en sentiment labels + lexicons)
	slotENNeu          //
	slotENPos          //
	slotENAnger        // English anger (complaints-en emotion labels)
	slotENCompl        // English complaint (complaints-en)
	slotENSev1         // English severity 1..4 of a complaint (complaints-en severity)
	slotENSev2
	slotENSev3
	slotENSev4
	nSlots
)

// SlotNames names the weight slots, in order: the columns of
// data/weights.tsv and the heads of data/heads.tsv.
var SlotNames = [nSlots]string{"id_neg", "id_neu", "id_pos", "id_anger", "en_neg", "en_neu", "en_pos", "en_anger", "en_complaint", "en_sev1", "en_sev2", "en_sev3", "en_sev4"}

// Generic heads read language-neutral features only (sentiment and anger
// probabilities from the text's own language, and the dense cue counts).
// They are fitted on English complaints and applied to Indonesian, which
// has no labeled complaints: see docs/scorer.md.
const (
	genCompl = iota
	genSev1
	genSev2
	genSev3
	genSev4
	nGenHeads
)

// GenHeadNames names the generic heads in data/heads.tsv.
var GenHeadNames = [nGenHeads]string{"gen_complaint", "gen_sev1", "gen_sev2", "gen_sev3", "gen_sev4"}

// entry is what the hot path needs to know about one key: a word (its
// roles, valence, language evidence and weights) or a negated word or word
// pair (weights only). It is exactly 64 bytes, one cache line, with the
// weights inside: a word costs the CPU two cache lines (its table slot and
// its entry) instead of three or four when the weights lived in arrays of
// their own. That matters when other work has evicted the model from the
// fast caches, which in a daemon is the common case. The cold parts (name,
// hash, phrases) live in parallel slices of Model, indexed alike.
type entry struct {
	roles role
	val   float32 // English-lexicon or emoji valence, VADER scale -4..4
	alias int16   // informal spelling: index of its canonical word(s) in Model.aliases; -1 otherwise
	lang  int8    // language evidence, x100: > 0 Indonesian, < 0 English
	fl    entryFlags
	w     [nSlots]float32 // one weight per head slot; zero where fl says none
}

// entryFlags say which parts of an entry are set.
type entryFlags uint8

const (
	efOther entryFlags = 1 << iota // a word of a language we do not score
	efID                           // carries weights for the Indonesian heads (slots 0..3)
	efEN                           // carries weights for the English heads (slots 4..12)
)

// aliasTarget is what an informal spelling stands for: one or two canonical
// words, their entries and keys side by side (the tokenizer needs both,
// and one cache line is cheaper than two).
type aliasTarget struct {
	e [2]int32 // entries; e[1] < 0 for one word
	h [2]uint64
}

// Model is a parsed model. It is immutable after Parse and safe for
// concurrent use.
type Model struct {
	tab     *table
	ents    []entry
	names   []string      // canonical text of each entry
	hashes  []uint64      // key of each entry
	phrOf   [][]int32     // phrases that start with each entry's word
	aliases []aliasTarget // canonical word(s) of each informal spelling

	bias   [nSlots]float32
	dense  [nDense][nSlots]float32 // by feature, then slot: one row per nonzero feature
	gbias  [nGenHeads]float32
	gen    [nGenHeads][nGen]float32
	thr    map[string]float64
	phr    []phrase
	threat []string // threat names, by id

	// Frequently used thresholds, copied out of thr.
	enComplThr, genComplThr     float64
	enComplLogit, genComplLogit float64 // their logits, subtracted from the heads' scores

	// Filters over the keys with Indonesian, English and any weights
	// (infer asks the one of the languages in play before the table).
	wfID, wfEN, wfAny weightFilter
	numE              int32 // entry of the number token "#"
	minE              int32 // entry of "min" (the agent, or minutes after a number)

	pool sync.Pool
}

var (
	defaultOnce  sync.Once
	defaultModel *Model
)

// Default returns the embedded, generated model. It is parsed once; a
// corrupt embedded file is a build error, so it panics.
func Default() *Model {
	defaultOnce.Do(func() {
		m, err := Parse(embedded)
		if err != nil {
			panic("textmodel: embedded model: " + err.Error())
		}
		defaultModel = m
	})
	return defaultModel
}

// Parse reads a model from the files lexicon.tsv, lang.tsv, weights.tsv,
// heads.tsv and thresholds.tsv under data/ in fsys. A missing file leaves
// its part empty, which the train command uses to build the model in
// stages. Seed lists (seeds.go) are always included.
func Parse(fsys fs.FS) (*Model, error) {
	m := &Model{tab: newTable(1 << 14), thr: map[string]float64{}}
	m.pool.New = func() any { return newScratch() }
	m.seed()
	var errs []error
	for _, f := range []struct {
		name string
		fn   func(line int, cols []string) error
	}{
		{"lexicon.tsv", m.readLexicon},
		{"lang.tsv", m.readLang},
		{"weights.tsv", m.readWeights},
		{"heads.tsv", m.readHeads},
		{"thresholds.tsv", m.readThreshold},
	} {
		b, err := fs.ReadFile(fsys, "data/"+f.name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
		for line := 1; sc.Scan(); line++ {
			t := sc.Text()
			if t == "" || t[0] == '#' {
				continue
			}
			if err := f.fn(line, strings.Split(t, "\t")); err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: %w", f.name, line, err))
				if len(errs) > 10 {
					return nil, errors.Join(errs...)
				}
			}
		}
		if err := sc.Err(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	m.enComplThr = m.threshold("en_complaint", 0.5)
	m.genComplThr = m.threshold("gen_complaint", 0.5)
	m.enComplLogit, m.genComplLogit = logit(m.enComplThr), logit(m.genComplThr)
	m.linkPhrases()
	var kID, kEN, kAny []uint64
	for i := range m.ents {
		e := &m.ents[i]
		if e.fl&efID != 0 {
			kID = append(kID, m.hashes[i])
		}
		if e.fl&efEN != 0 {
			kEN = append(kEN, m.hashes[i])
		}
		if e.fl&(efID|efEN) != 0 {
			kAny = append(kAny, m.hashes[i])
		}
	}
	m.wfID, m.wfEN, m.wfAny = newWeightFilter(kID), newWeightFilter(kEN), newWeightFilter(kAny)
	m.numE = m.tab.get(hashNum)
	m.minE = m.tab.get(hashString("min"))
	for i, name := range m.names {
		if strings.IndexByte(name, '#') >= 0 {
			m.ents[i].roles |= rNoShow
		}
	}
	return m, nil
}

func (m *Model) threshold(name string, def float64) float64 {
	if v, ok := m.thr[name]; ok {
		return v
	}
	return def
}

// word returns the entry of a canonical word, creating it.
func (m *Model) word(name string) int32 {
	h := hashString(name)
	if i := m.tab.get(h); i >= 0 {
		return i
	}
	return m.add(name, h)
}

// add appends a new entry for key h.
func (m *Model) add(name string, h uint64) int32 {
	i := int32(len(m.ents))
	m.ents = append(m.ents, entry{alias: -1})
	m.names = append(m.names, name)
	m.hashes = append(m.hashes, h)
	m.phrOf = append(m.phrOf, nil)
	m.tab.put(h, i)
	return i
}

// seed loads the hand-written lists of seeds.go.
func (m *Model) seed() {
	for _, g := range roles {
		for _, w := range strings.Fields(g.words) {
			m.ents[m.word(w)].roles |= g.r | rLex
		}
	}
	for _, g := range funcWords {
		for _, w := range strings.Fields(g.words) {
			e := &m.ents[m.word(w)]
			switch g.lang {
			case LangEN:
				e.lang = -100
			case LangID:
				e.lang = 100
			default:
				e.fl |= efOther
			}
		}
	}
	for _, w := range strings.Fields(ambiguousWords) {
		m.ents[m.word(w)].roles |= rNoLang
	}
	for alias, canon := range slang {
		parts := strings.Fields(canon)
		if alias == canon || len(parts) == 0 {
			m.ents[m.word(alias)].roles |= rLex
			continue
		}
		var targets [2]int32
		targets[1] = -1
		for k, p := range parts[:min(2, len(parts))] {
			targets[k] = m.word(p)
			m.ents[targets[k]].roles |= rLex
		}
		if len(parts) == 1 && parts[0] == alias {
			continue
		}
		a := m.word(alias)
		m.ents[a].alias = int16(len(m.aliases))
		al := aliasTarget{e: targets}
		for k, t := range targets {
			if t >= 0 {
				al.h[k] = m.hashes[t]
			}
		}
		m.aliases = append(m.aliases, al)
		m.ents[a].roles |= rLex
	}
	m.seedPhrases()
}

// readLexicon reads "token<TAB>valence<TAB>source".
func (m *Model) readLexicon(_ int, c []string) error {
	if len(c) < 2 {
		return errors.New("want token, valence")
	}
	v, err := strconv.ParseFloat(c[1], 64)
	if err != nil {
		return err
	}
	name := c[0]
	if key, n := canonEmoticon(name, nil); n > 0 && n == len(name) {
		name = string(key)
	}
	i := m.word(name)
	e := &m.ents[i]
	if e.alias >= 0 {
		return nil // the canonical spelling carries the valence
	}
	e.val = float32(v)
	e.roles |= rLex
	return nil
}

// readLang reads "word<TAB>evidence" (> 0 Indonesian, < 0 English). The
// hand-written function words keep their full weight.
func (m *Model) readLang(_ int, c []string) error {
	if len(c) < 2 {
		return errors.New("want word, evidence")
	}
	v, err := strconv.ParseFloat(c[1], 64)
	if err != nil {
		return err
	}
	e := &m.ents[m.word(c[0])]
	if e.lang == 0 && e.fl&efOther == 0 && e.alias < 0 && e.roles&rNoLang == 0 {
		e.lang = int8(math.Round(math.Max(-1, math.Min(1, v)) * 100))
	}
	return nil
}

// readWeights reads "feature<TAB>w_slot0 ... w_slot12".
func (m *Model) readWeights(_ int, c []string) error {
	if len(c) != 1+nSlots {
		return fmt.Errorf("want %d columns, got %d", 1+nSlots, len(c))
	}
	f := c[0]
	var i int32
	if f[0] == '!' || strings.IndexByte(f, ' ') >= 0 {
		h := featureHash(f)
		if i = m.tab.get(h); i < 0 {
			i = m.add(f, h)
		}
	} else {
		i = m.word(f)
	}
	var row [nSlots]float32
	var anyID, anyEN bool
	for k := range nSlots {
		v, err := strconv.ParseFloat(c[1+k], 64)
		if err != nil {
			return err
		}
		row[k] = float32(v)
		if v != 0 {
			anyID = anyID || k < slotENNeg
			anyEN = anyEN || k >= slotENNeg
		}
	}
	e := &m.ents[i]
	if anyID {
		e.fl |= efID
		copy(e.w[:slotENNeg], row[:slotENNeg])
	}
	if anyEN {
		e.fl |= efEN
		copy(e.w[slotENNeg:], row[slotENNeg:])
	}
	return nil
}

// readHeads reads "head<TAB>feature<TAB>weight" for the dense features and
// biases of every head.
func (m *Model) readHeads(_ int, c []string) error {
	if len(c) < 3 {
		return errors.New("want head, feature, weight")
	}
	v, err := strconv.ParseFloat(c[2], 64)
	if err != nil {
		return err
	}
	for s, name := range SlotNames {
		if name != c[0] {
			continue
		}
		if c[1] == "_bias" {
			m.bias[s] = float32(v)
			return nil
		}
		for d, dn := range DenseNames {
			if dn == c[1] {
				m.dense[d][s] = float32(v)
				return nil
			}
		}
		return fmt.Errorf("unknown dense feature %q", c[1])
	}
	for g, name := range GenHeadNames {
		if name != c[0] {
			continue
		}
		if c[1] == "_bias" {
			m.gbias[g] = float32(v)
			return nil
		}
		for d, dn := range GenNames {
			if dn == c[1] {
				m.gen[g][d] = float32(v)
				return nil
			}
		}
		return fmt.Errorf("unknown generic feature %q", c[1])
	}
	return fmt.Errorf("unknown head %q", c[0])
}

// readThreshold reads "name<TAB>value<TAB>how it was chosen".
func (m *Model) readThreshold(_ int, c []string) error {
	if len(c) < 2 {
		return errors.New("want name, value")
	}
	v, err := strconv.ParseFloat(c[1], 64)
	if err != nil {
		return err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return errors.New("not a finite number")
	}
	m.thr[c[0]] = v
	return nil
}

package textmodel

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing/fstest"
	"unicode/utf8"
)

// This file builds the model from shared/data: the lexicon, the language
// evidence, and every head's weights, thresholds and hyper-parameters. The
// train command writes what Build returns; `pantau eval` and the
// regression test call the same functions to cross-validate.

// Folds is the number of cross-validation folds used everywhere.
const Folds = 10

// The L2 penalties tried for each head (chosen by cross-validated log-loss
// on that head's training data only). The Indonesian heads have five times
// the data and want less.
var (
	idGrid = []float64{3e-4, 1e-3, 3e-3}
	enGrid = []float64{1e-3, 3e-3, 1e-2}
)

// Built is what Build produces: the data files and the figures measured on
// the way (all on training data, cross-validated).
type Built struct {
	Files map[string][]byte
	Notes []string
}

// fold assigns a text to a cross-validation fold by a hash of its text, so
// that the same tweet lands in the same fold in complaints_dev.csv and
// severity_dev.csv.
func fold(text string, k int) int {
	h := fnv.New32a()
	h.Write([]byte(text))
	return int(h.Sum32() % uint32(k))
}

// corpus is a set of extracted examples.
type corpus struct {
	ex   []Extracted
	text []string
}

func extractAll(m *Model, texts []string, hint string) corpus {
	c := corpus{ex: make([]Extracted, len(texts)), text: texts}
	for i, t := range texts {
		c.ex[i] = m.Extract(t, hint)
	}
	return c
}

// Build trains every part of the model. log receives progress notes.
func Build(d *Data, log io.Writer) (*Built, error) {
	b := &Built{Files: map[string][]byte{}}
	note := func(format string, a ...any) {
		s := fmt.Sprintf(format, a...)
		b.Notes = append(b.Notes, s)
		if log != nil {
			fmt.Fprintln(log, s)
		}
	}
	for k, v := range d.Dropped {
		note("dropped %d %s rows whose text is also in an evaluation set", v, k)
	}

	b.Files["lexicon.tsv"] = buildLexicon(d)
	m0, err := parseFiles(b.Files)
	if err != nil {
		return nil, err
	}
	st := newStages(d, m0)
	note("%s", st.xNote)
	b.Files["lang.tsv"] = st.langEvidence()

	// Heads.
	w := newWeightsWriter()
	h := &headsWriter{}
	thr := &thresholdWriter{}

	// Indonesian sentiment: SmSA train.
	idSent := st.fitSelect(st.smsa, st.smsaY, nil, 3, 2, sentimentPriors, "id_sentiment", note)
	w.add(idSent, []int{slotIDNeg, slotIDNeu, slotIDPos})
	h.add(idSent, []int{slotIDNeg, slotIDNeu, slotIDPos})

	// Indonesian anger: EmoT train.
	idAnger := st.fitSelect(st.emot, st.emotY, nil, 2, 2, nil, "id_anger", note)
	w.add(idAnger, []int{-1, slotIDAnger})
	h.add(idAnger, []int{-1, slotIDAnger})
	oof := st.oofProbs(st.emot, st.emotY, nil, 2, 2, idAnger.l2)
	t, f1 := bestF1Threshold(oof, st.emotY)
	thr.add("id_anger", t, fmt.Sprintf("F1-best on %d-fold out-of-fold EmoT train predictions (F1 %.3f)", Folds, f1))

	// English heads: complaints-en (allowed for weights; never embedded as text).
	en := st.english(allRows(len(st.cmp.ex)), note)
	w.add(en.sent, []int{slotENNeg, slotENNeu, slotENPos})
	h.add(en.sent, []int{slotENNeg, slotENNeu, slotENPos})
	w.add(en.anger, []int{-1, slotENAnger})
	h.add(en.anger, []int{-1, slotENAnger})
	w.add(en.compl, []int{-1, slotENCompl})
	h.add(en.compl, []int{-1, slotENCompl})
	w.add(en.sev, []int{slotENSev1, slotENSev2, slotENSev3, slotENSev4})
	h.add(en.sev, []int{slotENSev1, slotENSev2, slotENSev3, slotENSev4})
	h.addGen(en.gen, []int{-1, genCompl}, 0)
	h.addGen(en.genSev, []int{genSev1, genSev2, genSev3, genSev4}, 0)
	thr.add("en_complaint", en.complThr, fmt.Sprintf("F1-best on %d-fold out-of-fold complaints-en predictions", Folds))
	thr.add("dfpow_en_complaint", en.complDFPow, fmt.Sprintf("L2 on a word scaled by (tweets it is in / %d)^this; 0, 0.5 or 1, chosen with the L2 by cross-validated log-loss", dfRef))
	thr.add("gen_complaint", en.genThr, fmt.Sprintf("F1-best on %d-fold out-of-fold complaints-en predictions of the generic head", Folds))
	for k, v := range en.l2 {
		thr.add("l2_"+k, v, "L2 penalty chosen by cross-validated log-loss")
	}
	for k, v := range en.minDF {
		thr.add("words_"+k, float64(b2i(v != noWords)), "1: the head reads words, 0: lexicon and cue features only (chosen by cross-validated log-loss)")
	}
	thr.add("l2_id_sentiment", idSent.l2, "L2 penalty chosen by cross-validated log-loss")
	thr.add("l2_id_anger", idAnger.l2, "L2 penalty chosen by cross-validated log-loss")

	b.Files["weights.tsv"] = w.bytes()
	b.Files["heads.tsv"] = h.bytes()
	b.Files["thresholds.tsv"] = thr.bytes()
	if _, err := parseFiles(b.Files); err != nil {
		return nil, fmt.Errorf("the built model does not parse: %w", err)
	}
	return b, nil
}

func parseFiles(files map[string][]byte) (*Model, error) {
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys["data/"+k] = &fstest.MapFile{Data: v}
	}
	return Parse(fsys)
}

func allRows(n int) []int {
	r := make([]int, n)
	for i := range r {
		r[i] = i
	}
	return r
}

// header is the comment at the top of every generated file.
func header(what string) string {
	return "# " + what + "\n# Generated by `go run ./alerting/textmodel/train -data ../shared/data` from the files in\n" +
		"# shared/data; do not edit by hand. See docs/scorer.md and NOTICE.\n"
}

// ---- lexicon ----------------------------------------------------------------

// buildLexicon merges VADER (word valences, -4..4, MIT) and AFINN-165
// (-5..5, Apache-2.0, scaled by 0.8 onto VADER's range; VADER wins where
// both have a word), their emoticons, and VADER's emoji list, whose
// valences are the VADER valences of each emoji's description words (what
// VADER itself does with them).
func buildLexicon(d *Data) []byte {
	type row struct {
		tok    string
		val    float64
		source string
	}
	acc := map[string][]float64{}
	src := map[string]string{}
	addWord := func(tok string, v float64, s string) {
		if _, ok := src[tok]; ok && src[tok] != s {
			return // the first source wins
		}
		acc[tok] = append(acc[tok], v)
		src[tok] = s
	}
	for _, set := range []struct {
		m     map[string]float64
		scale float64
		name  string
	}{{d.Vader, 1, "vader"}, {d.Afinn, 0.8, "afinn"}, {d.AfinnEmoticon, 0.8, "afinn"}} {
		keys := sortedKeys(set.m)
		for _, k := range keys {
			v := set.m[k] * set.scale
			if key, n := canonEmoticon(k, nil); n > 0 && n == len(k) {
				addWord(string(key), v, set.name)
				continue
			}
			w := lexWord(k)
			if w == "" {
				continue
			}
			addWord(w, v, set.name)
		}
	}
	for _, k := range sortedKeys(d.VaderEmoji) {
		var r []rune
		for _, c := range k {
			if !isEmojiModifier(c) {
				r = append(r, c)
			}
		}
		if len(r) != 1 || !isEmoji(r[0]) {
			continue
		}
		v := 0.0
		for _, f := range strings.Fields(strings.ToLower(d.VaderEmoji[k])) {
			v += d.Vader[f]
		}
		v = math.Max(-4, math.Min(4, v))
		if v != 0 {
			acc[string(r)] = []float64{v}
			src[string(r)] = "vader-emoji"
		}
	}
	var rows []row
	for k, v := range emojiSeeds {
		if _, ok := acc[k]; !ok {
			acc[k] = []float64{v}
			src[k] = "seed"
		}
	}
	for k, vs := range acc {
		s := 0.0
		for _, v := range vs {
			s += v
		}
		rows = append(rows, row{k, s / float64(len(vs)), src[k]})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].tok < rows[j].tok })
	var buf bytes.Buffer
	buf.WriteString(header("English valence lexicon (VADER, AFINN-165) with emoji and emoticons: token, valence -4..4, source."))
	for _, r := range rows {
		fmt.Fprintf(&buf, "%s\t%s\t%s\n", r.tok, ftoa(r.val), r.source)
	}
	return buf.Bytes()
}

// lexWord normalises a lexicon word the way the tokenizer does (lower
// case, apostrophes dropped); it returns "" for anything that is not one
// plain word.
func lexWord(k string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(k) {
		switch {
		case c == '\'':
		case c >= 'a' && c <= 'z':
			b.WriteRune(c)
		default:
			return ""
		}
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func ftoa(v float64) string {
	s := strconv.FormatFloat(v, 'f', 4, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}

// ---- stages: the extracted corpora -----------------------------------------

type stages struct {
	m      *Model
	smsa   corpus
	smsaY  []int
	emot   corpus
	emotY  []int
	cmp    corpus // complaints_dev.csv
	cmpY   []int
	sev    []Complaint // severity_dev.csv labels joined to cmp rows (by text)
	hasSev []bool

	// Translate-train (translate.go): SmSA train in pseudo-English and
	// the English sentiment head fitted on it.
	xen   corpus
	xenY  []int
	xhead *head
	xNote string
}

var sentClasses = map[string]int{"negative": 0, "neutral": 1, "positive": 2}

func newStages(d *Data, m *Model) *stages {
	st := &stages{m: m}
	texts := func(ls []Labeled) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = l.Text
		}
		return out
	}
	st.smsa = extractAll(m, texts(d.SmSATrain), "")
	for _, l := range d.SmSATrain {
		st.smsaY = append(st.smsaY, sentClasses[l.Label])
	}
	st.emot = extractAll(m, texts(d.EmoTTrain), "")
	for _, l := range d.EmoTTrain {
		st.emotY = append(st.emotY, b2i(l.Label == "anger"))
	}
	ct := make([]string, len(d.Complaints))
	for i, c := range d.Complaints {
		ct[i] = c.Text
		st.cmpY = append(st.cmpY, c.Label)
	}
	st.cmp = extractAll(m, ct, "")
	bySev := map[string]Complaint{}
	for _, s := range d.Severity {
		bySev[s.Text] = s
	}
	st.sev = make([]Complaint, len(ct))
	st.hasSev = make([]bool, len(ct))
	for i, t := range ct {
		st.sev[i], st.hasSev[i] = bySev[t]
	}
	st.translateTrain(d)
	return st
}

// translateTrain renders SmSA train as pseudo-English through the glossary
// and fits the English sentiment head on it (L2 chosen by cross-validated
// log-loss on the pseudo-English). Nothing here reads complaints-en, so it
// runs once, outside the complaints-en cross-validation, and its
// predictions on complaints-en rows are out-of-sample.
//
// The head reads words and negated words and the dense features, not word
// pairs: the glossary translates word by word, so its pairs are in
// Indonesian order ("food tasty"), which English does not write; they made
// no difference to its agreement on NusaX train and ten times the weights.
func (st *stages) translateTrain(d *Data) {
	texts := make([]string, 0, len(d.SmSATrain))
	st.xenY = st.xenY[:0]
	covered := 0.0
	for _, l := range d.SmSATrain {
		t, cov := defaultGlossary.translate(l.Text, translateOptions{})
		texts = append(texts, t)
		st.xenY = append(st.xenY, sentClasses[l.Label])
		covered += cov
	}
	st.xen = extractAll(st.m, texts, "en")
	for i := range st.xen.ex {
		e := &st.xen.ex[i]
		fs, vs := e.Features[:0], e.Values[:0]
		for n, f := range e.Features {
			if strings.IndexByte(f, ' ') < 0 {
				fs = append(fs, f)
				vs = append(vs, e.Values[n])
			}
		}
		e.Features, e.Values = fs, vs
	}
	rows := allRows(len(st.xen.ex))
	l2 := selectL2(st.xen, rows, st.xenY, nil, nil, 3, 2, sentimentPriors, idGrid)
	st.xhead = fit(st.xen, rows, st.xenY, nil, nil, 3, 2, l2, sentimentPriors)
	st.xNote = fmt.Sprintf("en_sentiment (translate-train): %d SmSA train texts in pseudo-English (%.1f%% of their words in the glossary), %d features, L2 %g",
		len(texts), 100*covered/float64(max(len(texts), 1)), st.xhead.fz.dim(), l2)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// langEvidence derives each word's language evidence from how often it
// occurs in the Indonesian corpora (SmSA and EmoT train) and the English
// one (complaints-en tweets, VADER and AFINN words): a smoothed log ratio
// of relative frequencies, scaled to -1..1. Words seen fewer than 3 times
// carry none (and are not listed: rare words would only leak text).
func (st *stages) langEvidence() []byte {
	idc, enc := map[string]int{}, map[string]int{}
	count := func(c corpus, dst map[string]int) int {
		n := 0
		for _, e := range c.ex {
			for _, f := range e.Features {
				if f[0] == '!' {
					f = f[1:]
				}
				if strings.IndexByte(f, ' ') >= 0 || f == "#" {
					continue
				}
				if r, _ := utf8.DecodeRuneInString(f); r >= utf8.RuneSelf && isEmoji(r) {
					continue
				}
				dst[f]++
				n++
			}
		}
		return n
	}
	nID := count(st.smsa, idc) + count(st.emot, idc)
	nEN := count(st.cmp, enc)
	// Lexicon words are English even when no tweet used them.
	for i := range st.m.ents {
		e := &st.m.ents[i]
		if e.val != 0 && e.alias < 0 {
			if r, _ := utf8.DecodeRuneInString(st.m.names[i]); r < utf8.RuneSelf && isASCIILetter(byte(r)) {
				enc[st.m.names[i]] += 2
				nEN += 2
			}
		}
	}
	words := map[string]bool{}
	for k := range idc {
		words[k] = true
	}
	for k := range enc {
		words[k] = true
	}
	var buf bytes.Buffer
	buf.WriteString(header("Language evidence per word: > 0 Indonesian, < 0 English; log ratio of relative frequencies in the\n# Indonesian (SmSA, EmoT train) and English (complaints-en, VADER, AFINN) corpora, /3, clipped to -1..1;\n# a word seen n >= 2 times on one side only: 0.4 + 0.1 log2 n toward that side."))
	for _, k := range sortedKeys(words) {
		a, b := idc[k], enc[k]
		var v float64
		switch {
		case b == 0 && a >= 2:
			// Only ever seen in Indonesian: the English side is small, so
			// absence there is weak evidence; presence here counts.
			v = math.Min(1, 0.4+0.1*math.Log2(float64(a)))
		case a == 0 && b >= 2:
			v = -math.Min(1, 0.4+0.1*math.Log2(float64(b)))
		case a+b >= 3:
			lr := math.Log((float64(a)+0.5)/float64(nID)) - math.Log((float64(b)+0.5)/float64(nEN))
			v = math.Max(-1, math.Min(1, lr/3))
		}
		if math.Abs(v) < 0.1 {
			continue
		}
		fmt.Fprintf(&buf, "%s\t%s\n", k, ftoa(v))
	}
	return buf.Bytes()
}

// ---- heads --------------------------------------------------------------------

// featurizer maps feature names to columns: the vocabulary (names seen in
// at least minDF training texts) first, then the dense features, then any
// extra per-row features.
type featurizer struct {
	vocab  map[string]int32
	names  []string
	df     []int // training texts each name was seen in
	nExtra int
}

func newFeaturizer(c corpus, rows []int, minDF int, nExtra int) *featurizer {
	df := map[string]int{}
	seen := map[string]bool{}
	for _, i := range rows {
		clear(seen)
		for _, f := range c.ex[i].Features {
			if !seen[f] {
				seen[f] = true
				df[f]++
			}
		}
	}
	fz := &featurizer{vocab: map[string]int32{}, nExtra: nExtra}
	for _, k := range sortedKeys(df) {
		if df[k] >= minDF {
			fz.vocab[k] = int32(len(fz.names))
			fz.names = append(fz.names, k)
			fz.df = append(fz.df, df[k])
		}
	}
	return fz
}

func (fz *featurizer) dim() int { return len(fz.names) + nDense + fz.nExtra }

// row builds the sparse row of example e; extra (may be nil) are the extra
// per-row features.
func (fz *featurizer) row(e *Extracted, extra []float64, y int, w float64) sparseRow {
	r := sparseRow{y: y, w: w}
	pos := map[int32]int{}
	for n, f := range e.Features {
		j, ok := fz.vocab[f]
		if !ok {
			continue
		}
		v := float32(e.Values[n])
		if p, ok := pos[j]; ok {
			r.val[p] += v
			continue
		}
		pos[j] = len(r.idx)
		r.idx = append(r.idx, j)
		r.val = append(r.val, v)
	}
	base := int32(len(fz.names))
	for d, x := range e.Dense {
		if x != 0 {
			r.idx = append(r.idx, base+int32(d))
			r.val = append(r.val, float32(x))
		}
	}
	for k, x := range extra {
		if x != 0 {
			r.idx = append(r.idx, base+nDense+int32(k))
			r.val = append(r.val, float32(x))
		}
	}
	return r
}

// head is one fitted head.
type head struct {
	fz  *featurizer
	lm  *linModel
	l2  float64
	gen bool // the generic head: no vocabulary, the extra features are GenNames
}

func (h *head) probs(e *Extracted, extra []float64) []float64 {
	r := h.fz.row(e, extra, 0, 1)
	return h.lm.probs(&r)
}

// headOpts are fitting options beyond the L2 penalty and the priors.
type headOpts struct {
	// dfPow, when not 0, scales the L2 penalty on each word, negated word
	// and word pair by (df/dfRef)^dfPow, df being the number of training
	// texts it occurs in: a word seen in many texts is held more tightly
	// than a rare one (the dense features keep the plain penalty). Dropout
	// regularises a logistic regression much like this, an L2 penalty
	// that grows with how often a feature is active (Wager, Wang and Liang
	// 2013, "Dropout training as adaptive regularization"): the fit leans
	// less on a handful of frequent words and spreads over the rarer
	// words each tweet has.
	dfPow float64
}

// dfRef is the document frequency at which dfPow leaves the penalty as it
// is (the L2 chosen with it sets the overall level).
const dfRef = 5

// l2Scale returns the per-column scale of the L2 penalty for fz, or nil
// when every column has the same.
func (o headOpts) l2Scale(fz *featurizer) []float64 {
	if o.dfPow == 0 {
		return nil
	}
	sc := make([]float64, fz.dim())
	for j := range sc {
		sc[j] = 1
		if j < len(fz.names) {
			sc[j] = math.Pow(float64(fz.df[j])/dfRef, o.dfPow)
		}
	}
	return sc
}

func firstOpts(o []headOpts) headOpts {
	if len(o) > 0 {
		return o[0]
	}
	return headOpts{}
}

// fit fits a head on the given rows of c.
func fit(c corpus, rows []int, ys []int, ws []float64, extra [][]float64, K, minDF int, l2 float64, pr priors, o ...headOpts) *head {
	fz := newFeaturizer(c, rows, minDF, extraWidth(extra))
	sr := make([]sparseRow, len(rows))
	for n, i := range rows {
		w := 1.0
		if ws != nil {
			w = ws[i]
		}
		var x []float64
		if extra != nil {
			x = extra[i]
		}
		sr[n] = fz.row(&c.ex[i], x, ys[i], w)
	}
	return &head{fz: fz, lm: fitLR(sr, K, fz.dim(), fitOptions{L2: l2, PriorL2: priorL2, Prior: pr.vector(K, fz.dim(), len(fz.names), DenseNames[:]), L2Scale: firstOpts(o).l2Scale(fz)}), l2: l2}
}

// fitGeneric fits a head on generic features only (no words).
//
// The generic heads are fitted on English and applied to Indonesian, so a
// weight learned from a handful of English tweets must not steer them: a
// feature seen in fewer than genMinSupport of the training rows is left
// out of the fit, and its weight stays at its prior (zero for most). The
// agent-address words ("min", "kak") are the case in point: four English
// tweets have one, every other Indonesian complaint does.
func fitGeneric(gen [][]float64, rows []int, ys []int, ws []float64, K int, l2 float64, pr priors) *head {
	fz := &featurizer{vocab: map[string]int32{}, nExtra: 0}
	var support [nGen]int
	for _, i := range rows {
		for k, x := range gen[i] {
			if x != 0 {
				support[k]++
			}
		}
	}
	sr := make([]sparseRow, len(rows))
	for n, i := range rows {
		w := 1.0
		if ws != nil {
			w = ws[i]
		}
		r := sparseRow{y: ys[i], w: w}
		for k, x := range gen[i] {
			if x != 0 && support[k] >= genMinSupport {
				r.idx = append(r.idx, int32(k))
				r.val = append(r.val, float32(x))
			}
		}
		sr[n] = r
	}
	return &head{fz: fz, lm: fitLR(sr, K, nGen, fitOptions{L2: l2, PriorL2: priorL2, Prior: pr.vector(K, nGen, 0, GenNames[:])}), l2: l2, gen: true}
}

func (h *head) genProbs(g []float64) []float64 {
	r := sparseRow{}
	for k, x := range g {
		if x != 0 {
			r.idx = append(r.idx, int32(k))
			r.val = append(r.val, float32(x))
		}
	}
	return h.lm.probs(&r)
}

func extraWidth(extra [][]float64) int {
	for _, x := range extra {
		return len(x)
	}
	return 0
}

// foldsOf splits rows into Folds folds by text hash.
func foldsOf(c corpus, rows []int) [][]int {
	f := make([][]int, Folds)
	for _, i := range rows {
		k := fold(c.text[i], Folds)
		f[k] = append(f[k], i)
	}
	return f
}

func without(folds [][]int, k int) []int {
	var out []int
	for j, f := range folds {
		if j != k {
			out = append(out, f...)
		}
	}
	return out
}

// oofProbsRows returns out-of-fold class probabilities for rows (indexed
// like c), fitting on the other folds of rows.
func oofProbsRows(c corpus, rows []int, ys []int, ws []float64, extra [][]float64, K, minDF int, l2 float64, pr priors, o ...headOpts) [][]float64 {
	out := make([][]float64, len(c.ex))
	folds := foldsOf(c, rows)
	for k, test := range folds {
		if len(test) == 0 {
			continue
		}
		h := fit(c, without(folds, k), ys, ws, extra, K, minDF, l2, pr, o...)
		for _, i := range test {
			var x []float64
			if extra != nil {
				x = extra[i]
			}
			out[i] = h.probs(&c.ex[i], x)
		}
	}
	return out
}

func (st *stages) oofProbs(c corpus, ys []int, ws []float64, K, minDF int, l2 float64) [][]float64 {
	return oofProbsRows(c, allRows(len(c.ex)), ys, ws, nil, K, minDF, l2, nil)
}

// priors are prior means for the weights of named dense (or generic)
// features, one per class, toward which the L2 penalty pulls instead of
// zero. They carry what the seed lists know and the data barely shows: a
// threat to call a lawyer is a complaint even though complaints-en has a
// handful. With many examples the data moves a weight off its prior; with
// few it stays near it. The values are in seeds.go.
type priors map[string][]float64

// vector lays the priors out like the model's weights (class-major, D
// columns, named columns from base on).
func (pr priors) vector(K, D, base int, names []string) []float64 {
	if len(pr) == 0 {
		return nil
	}
	v := make([]float64, K*D)
	for j, name := range names {
		p, ok := pr[name]
		if !ok || len(p) != K {
			continue
		}
		for k := range K {
			v[k*D+base+j] = p[k]
		}
	}
	return v
}

// genMinSupport is the number of training rows a feature must be seen in
// for a generic head to learn its weight.
const genMinSupport = 10

// priorL2 is the penalty that holds weights with a prior near it.
const priorL2 = 0.03

// noWords as a minimum document frequency leaves the vocabulary empty: the
// head reads the dense features only.
const noWords = 1 << 30

// selectConfig picks the L2 penalty, whether to read words at all (minDF
// or noWords) and, when candidates are given, the other fitting options,
// with the lowest cross-validated log-loss. To stay fast it holds out 4 of
// the 10 folds in turn.
func selectConfig(c corpus, rows []int, ys []int, ws []float64, extra [][]float64, K int, pr priors, grid []float64, minDFs []int, opts ...headOpts) (int, float64, headOpts) {
	folds := foldsOf(c, rows)
	if len(opts) == 0 {
		opts = []headOpts{{}}
	}
	bestDF, best, bestOpt, bestLoss := minDFs[0], grid[0], opts[0], math.Inf(1)
	for _, o := range opts {
		for _, minDF := range minDFs {
			for _, l2 := range grid {
				loss, n := 0.0, 0.0
				for k := 0; k < Folds; k += 3 { // folds 0, 3, 6, 9 held out in turn
					h := fit(c, without(folds, k), ys, ws, extra, K, minDF, l2, pr, o)
					for _, i := range folds[k] {
						var x []float64
						if extra != nil {
							x = extra[i]
						}
						p := h.probs(&c.ex[i], x)
						w := 1.0
						if ws != nil {
							w = ws[i]
						}
						loss -= w * math.Log(math.Max(p[ys[i]], 1e-12))
						n += w
					}
				}
				if loss /= n; loss < bestLoss-1e-9 {
					bestDF, best, bestOpt, bestLoss = minDF, l2, o, loss
				}
			}
		}
	}
	return bestDF, best, bestOpt
}

func selectL2(c corpus, rows []int, ys []int, ws []float64, extra [][]float64, K, minDF int, pr priors, grid []float64) float64 {
	_, l2, _ := selectConfig(c, rows, ys, ws, extra, K, pr, grid, []int{minDF})
	return l2
}

func (st *stages) fitSelect(c corpus, ys []int, ws []float64, K, minDF int, pr priors, name string, note func(string, ...any)) *head {
	rows := allRows(len(c.ex))
	l2 := selectL2(c, rows, ys, ws, nil, K, minDF, pr, idGrid)
	h := fit(c, rows, ys, ws, nil, K, minDF, l2, pr)
	note("%s: %d texts, %d features, L2 %g", name, len(rows), h.fz.dim(), l2)
	return h
}

// bestF1Threshold returns the probability threshold on p[i][1] that
// maximises F1 of class 1, with that F1.
func bestF1Threshold(p [][]float64, ys []int) (float64, float64) {
	type pt struct {
		p float64
		y int
	}
	var pts []pt
	pos := 0
	for i, q := range p {
		if q == nil {
			continue
		}
		pts = append(pts, pt{q[1], ys[i]})
		pos += ys[i]
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].p > pts[j].p })
	best, bestF := 0.5, -1.0
	tp, fp := 0, 0
	for i, x := range pts {
		if x.y == 1 {
			tp++
		} else {
			fp++
		}
		if i+1 < len(pts) && pts[i+1].p == x.p {
			continue
		}
		f := 2 * float64(tp) / float64(tp+fp+pos)
		if f > bestF {
			bestF = f
			next := 0.0
			if i+1 < len(pts) {
				next = pts[i+1].p
			}
			best = (x.p + next) / 2
		}
	}
	return best, bestF
}

// ---- English: complaint, severity, sentiment, anger ---------------------

// enHeads are the English heads fitted on a set of complaints-en rows.
type enHeads struct {
	sent, anger, compl, sev, gen, genSev *head
	complThr, genThr                     float64
	complDFPow                           float64 // headOpts.dfPow of the complaint head
	l2                                   map[string]float64
	minDF                                map[string]int
}

// english fits every English head and the generic heads on rows (indices
// into st.cmp). It is what the train command runs on all rows and what
// cross-validation runs on each fold's training rows: nothing in it looks
// at rows outside the set it is given.
func (st *stages) english(rows []int, note func(string, ...any)) *enHeads {
	c := st.cmp
	en := &enHeads{l2: map[string]float64{}}
	// The rows that have sentiment and emotion labels.
	var sentRows []int
	angerY := make([]int, len(c.ex))
	for _, i := range rows {
		if !st.hasSev[i] {
			continue
		}
		if _, ok := sentClasses[st.sev[i].Sentiment]; !ok {
			continue
		}
		sentRows = append(sentRows, i)
		angerY[i] = b2i(st.sev[i].Emotion == "anger")
	}
	// Sentiment: the translate-train head (translateTrain), not the
	// sentiment labels of complaints-en. Those follow a scheme of their
	// own: 357 of the 725 complaints in severity_dev are labelled neutral
	// or positive (a question to a brand is often "positive"), where
	// Pantau's sentiment, like SmSA's and the Indonesian head's, calls a
	// complaint negative. Fitting them as well (stacked with the
	// translate-train head) pulled the English head away from the
	// Indonesian one: NusaX train agreement 0.834 against 0.850 without
	// them; the generic complaint head, which reads the English
	// sentiment, was 0.006 F1 better with them (docs/scorer.md).
	en.sent = st.xhead
	//
	// Anger: English has little labelled emotion, all of it tweets to
	// brands: the head may choose to read the lexicon features only,
	// which travel better to other kinds of text.
	dfA, l2a, _ := selectConfig(c, sentRows, angerY, nil, nil, 2, nil, enGrid, []int{2, noWords})
	en.anger = fit(c, sentRows, angerY, nil, nil, 2, dfA, l2a, nil)
	en.l2["en_sentiment"], en.l2["en_anger"] = st.xhead.l2, l2a
	en.minDF = map[string]int{"en_sentiment": 2, "en_anger": dfA}

	// Complaint, words and dense features. The L2 penalty on each word may
	// grow with the number of tweets it occurs in (headOpts.dfPow 0, 0.5
	// or 1, chosen with the L2 by cross-validated log-loss).
	_, l2c, co := selectConfig(c, rows, st.cmpY, nil, nil, 2, complaintPriors, enGrid, []int{2}, headOpts{}, headOpts{dfPow: 0.5}, headOpts{dfPow: 1})
	en.compl = fit(c, rows, st.cmpY, nil, nil, 2, 2, l2c, complaintPriors, co)
	en.l2["en_complaint"] = l2c
	en.complDFPow = co.dfPow
	oof := oofProbsRows(c, rows, st.cmpY, nil, nil, 2, 2, l2c, complaintPriors, co)
	en.complThr, _ = bestF1Threshold(oof, st.cmpY)

	// Generic complaint head: its inputs include sentiment and anger
	// probabilities, which must be out-of-fold for the rows it learns
	// from (a head that saw a row's label would look too sure of it). The
	// sentiment head never saw complaints-en: its predictions serve as
	// they are.
	sentOOF := make([][]float64, len(c.ex))
	for _, i := range sentRows {
		sentOOF[i] = en.sent.probs(&c.ex[i], nil)
	}
	angerOOF := oofProbsRows(c, sentRows, angerY, nil, nil, 2, dfA, l2a, nil)
	gen := make([][]float64, len(c.ex))
	for _, i := range rows {
		sp, ap := sentOOF[i], angerOOF[i]
		if sp == nil { // no sentiment label: predict with the full heads
			sp = en.sent.probs(&c.ex[i], nil)
			ap = en.anger.probs(&c.ex[i], nil)
		}
		g := make([]float64, nGen)
		GenericFeatures(sp[0], sp[2], ap[1], c.ex[i].Dense, g)
		gen[i] = g
	}
	en.gen = fitGeneric(gen, rows, st.cmpY, nil, 2, 1e-3, complaintPriors)
	genOOF := make([][]float64, len(c.ex))
	folds := foldsOf(c, rows)
	for k, test := range folds {
		h := fitGeneric(gen, without(folds, k), st.cmpY, nil, 2, 1e-3, complaintPriors)
		for _, i := range test {
			genOOF[i] = h.genProbs(gen[i])
		}
	}
	en.genThr, _ = bestF1Threshold(genOOF, st.cmpY)

	// Severity of complaints, 1..4, classes weighted to balance (macro F1
	// is what matters: the rare levels are the serious ones).
	var sevRows []int
	sevY := make([]int, len(c.ex))
	sevW := make([]float64, len(c.ex))
	var counts [4]int
	for _, i := range rows {
		if st.hasSev[i] && st.sev[i].Label == 1 && st.sev[i].Severity >= 1 && st.sev[i].Severity <= 4 {
			sevRows = append(sevRows, i)
			sevY[i] = st.sev[i].Severity - 1
			counts[sevY[i]]++
		}
	}
	for _, i := range sevRows {
		sevW[i] = math.Sqrt(float64(len(sevRows)) / (4 * float64(max(counts[sevY[i]], 1))))
	}
	dfV, l2v, _ := selectConfig(c, sevRows, sevY, sevW, nil, 4, severityPriors, enGrid, []int{2, noWords})
	en.sev = fit(c, sevRows, sevY, sevW, nil, 4, dfV, l2v, severityPriors)
	en.minDF["en_severity"] = dfV
	en.l2["en_severity"] = l2v
	en.genSev = fitGeneric(gen, sevRows, sevY, sevW, 4, 1e-3, severityPriors)
	if note != nil {
		note("en heads: %d rows; sentiment %d, complaint features %d, severity %d rows", len(rows), len(sentRows), en.compl.fz.dim(), len(sevRows))
	}
	return en
}

// ---- writers -------------------------------------------------------------------

// weightsWriter collects per-feature weights for data/weights.tsv.
type weightsWriter struct {
	w map[string]*[nSlots]float64
}

func newWeightsWriter() *weightsWriter { return &weightsWriter{w: map[string]*[nSlots]float64{}} }

// add writes head h's word weights into slots (slot -1: a class that is
// the reference, dropped). Two-class heads store w1-w0; others are
// centred across classes (softmax does not change when a constant is
// added to every class).
func (ww *weightsWriter) add(h *head, slots []int) {
	K, D := h.lm.K, h.lm.D
	for j, name := range h.fz.names {
		vals := make([]float64, K)
		for k := range K {
			vals[k] = h.lm.W[k*D+j]
		}
		vals = centre(vals)
		row := ww.w[name]
		if row == nil {
			row = &[nSlots]float64{}
			ww.w[name] = row
		}
		for k, s := range slots {
			if s >= 0 {
				row[s] = vals[k]
			}
		}
	}
}

func centre(v []float64) []float64 {
	out := make([]float64, len(v))
	if len(v) == 2 {
		out[1] = v[1] - v[0]
		return out
	}
	mean := 0.0
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for k, x := range v {
		out[k] = x - mean
	}
	return out
}

func (ww *weightsWriter) bytes() []byte {
	var buf bytes.Buffer
	buf.WriteString(header("Feature weights per head: a word, a negated word (!word) or a word pair; one column per head slot.\n# id_*: Indonesian heads fitted on IndoNLU SmSA/EmoT train (Apache-2.0); en_neg/en_neu/en_pos: English sentiment\n# fitted on SmSA train translated through glossary_id_en.tsv; other en_*: English heads fitted on\n# complaints-en (weights only; its text is not here: features seen in fewer than 2 tweets are dropped)."))
	buf.WriteString("#feature")
	for _, s := range SlotNames {
		buf.WriteString("\t" + s)
	}
	buf.WriteByte('\n')
	for _, k := range sortedKeys(ww.w) {
		row := ww.w[k]
		keep := false
		for _, v := range row {
			keep = keep || math.Abs(v) >= 0.002
		}
		if !keep {
			continue
		}
		buf.WriteString(k)
		for _, v := range row {
			buf.WriteString("\t" + ftoa(v))
		}
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// headsWriter collects the biases and dense weights for data/heads.tsv.
type headsWriter struct{ lines []string }

func (hw *headsWriter) add(h *head, slots []int) {
	K, D := h.lm.K, h.lm.D
	base := len(h.fz.names)
	for k, s := range slots {
		if s < 0 {
			continue
		}
		b := centre(h.lm.B)[k]
		hw.lines = append(hw.lines, SlotNames[s]+"\t_bias\t"+ftoa(b))
		for d := range nDense {
			vals := make([]float64, K)
			for c := range K {
				vals[c] = h.lm.W[c*D+base+d]
			}
			hw.lines = append(hw.lines, SlotNames[s]+"\t"+DenseNames[d]+"\t"+ftoa(centre(vals)[k]))
		}
	}
}

func (hw *headsWriter) addGen(h *head, heads []int, _ int) {
	K, D := h.lm.K, h.lm.D
	for k, g := range heads {
		if g < 0 {
			continue
		}
		hw.lines = append(hw.lines, GenHeadNames[g]+"\t_bias\t"+ftoa(centre(h.lm.B)[k]))
		for d := range nGen {
			vals := make([]float64, K)
			for c := range K {
				vals[c] = h.lm.W[c*D+d]
			}
			hw.lines = append(hw.lines, GenHeadNames[g]+"\t"+GenNames[d]+"\t"+ftoa(centre(vals)[k]))
		}
	}
}

func (hw *headsWriter) bytes() []byte {
	var buf bytes.Buffer
	buf.WriteString(header("Biases and dense-feature weights per head (head, feature, weight). gen_* are the generic heads:\n# language-neutral features, fitted on complaints-en, applied to Indonesian (see docs/scorer.md)."))
	for _, l := range hw.lines {
		buf.WriteString(l + "\n")
	}
	return buf.Bytes()
}

type thresholdWriter struct{ lines []string }

func (tw *thresholdWriter) add(name string, v float64, how string) {
	tw.lines = append(tw.lines, name+"\t"+strconv.FormatFloat(v, 'g', 6, 64)+"\t"+how)
}

func (tw *thresholdWriter) bytes() []byte {
	var buf bytes.Buffer
	buf.WriteString(header("Thresholds and hyper-parameters (name, value, how it was chosen)."))
	sort.Strings(tw.lines)
	for _, l := range tw.lines {
		buf.WriteString(l + "\n")
	}
	return buf.Bytes()
}

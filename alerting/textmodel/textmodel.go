// Package textmodel is Pantau's bilingual (English and Indonesian) text
// model: it reads a mention and says which language it is in, how likely it
// is a complaint about a company, how severe, its sentiment and arousal, and
// which attention-drawing signals it carries (threats, follow-ups, a move to
// a private channel), with the reasons in plain language.
//
// Every number the model uses is generated from the labeled data in
// shared/data by `go run ./alerting/textmodel/train` into data/*.tsv, which
// are embedded; the hand-written parts are the seed lists in seeds.go and
// the rules in this package. docs/scorer.md explains the design.
package textmodel

import (
	"math"
	"strconv"
)

// Lang is a detected language.
type Lang string

// Languages.
const (
	LangEN    Lang = "en"
	LangID    Lang = "id"
	LangOther Lang = "other"
)

// Analysis is what the model reads in one text.
type Analysis struct {
	Lang      Lang
	Scored    bool     // false for languages the model does not know: numbers zero, never mis-scored
	Complaint float64  // probability 0..1 that it is a complaint (about a company/product/service)
	Severity  int      // 0 not a complaint; 1 no explicit reproach, 2 disapproval, 3 accusation, 4 blame
	Sentiment float64  // -1..1
	Arousal   float64  // 0..1 high-arousal language (anger, shouting, !!!, 😡)
	Threats   []string // attention-drawing threats found: "lawyer", "police", "YLKI", "viral", ...
	FollowUp  bool     // a follow-up chasing an answer: "still no answer", "min??"
	Private   bool     // moves to a private channel: "DM us", "cek DM ya kak"
	Evidence  []string // plain-language reasons
}

// ComplaintThreshold is the decision point of Complaint: the model's bias
// is shifted at load so that the threshold chosen by cross-validation in
// the train command sits here.
const ComplaintThreshold = 0.5

// Analyze reads text. langHint is the platform's language tag ("en", "id",
// "in", "" for none); it tips a close call, it does not decide. Analyze is
// safe for concurrent use.
func (m *Model) Analyze(text string, langHint string) Analysis {
	z := m.pool.Get().(*scratch)
	defer m.pool.Put(z)
	z.reset()
	z.tokenize(m, text)
	z.scan(m)
	lang, share := z.language(normHint(langHint))
	a := Analysis{Lang: lang}
	if lang == LangOther {
		return a
	}
	a.Scored = true
	var o outputs
	m.infer(z, lang, share, &o)
	a.Complaint = o.complaint
	a.Severity = o.severity
	a.Sentiment = o.sentiment
	a.Arousal = o.arousal
	if z.threats != 0 {
		a.Threats = make([]string, 0, 2)
		for i, name := range m.threat {
			if z.threats&(1<<uint(i)) != 0 {
				a.Threats = append(a.Threats, name)
			}
		}
	}
	a.FollowUp = z.followUp
	a.Private = z.private
	a.Evidence = m.evidence(z, &o, share)
	return a
}

// outputs are the numbers infer computes, with what the reasons need.
type outputs struct {
	logits    [nSlots]float64
	idW       float64 // weight of the Indonesian heads (code-mixing)
	sent      [3]float64
	anger     float64
	complaint float64
	severity  int
	sentiment float64
	arousal   float64
}

// infer runs every head. Code-mixed text is read by both languages' heads,
// weighted by the share of each language's evidence: a mostly Indonesian
// post with a few English words is read by the Indonesian heads, whose
// training data had code-mixing too, plus the English lexicon features.
func (m *Model) infer(z *scratch, lang Lang, share float64, o *outputs) {
	// Mixing weight: pure above 70% evidence for one language.
	o.idW = min(1, max(0, (share-0.3)/0.4))
	if lang == LangID && share >= 0.5 {
		o.idW = max(o.idW, 0.5)
	}
	if lang == LangEN && share < 0.5 {
		o.idW = min(o.idW, 0.5)
	}
	// Only the heads of the languages in play are computed.
	lo, hi := 0, int(nSlots)
	if o.idW == 0 {
		lo = slotENNeg
	} else if o.idW == 1 {
		hi = slotENNeg
	}
	var acc [nSlots]float32
	z.hits = z.hits[:0]
	useID, useEN := o.idW > 0, o.idW < 1
	wf := &m.wfAny
	if !useID {
		wf = &m.wfEN
	} else if !useEN {
		wf = &m.wfID
	}
	for n := range z.feats {
		f := &z.feats[n]
		i := f.e
		if i == notLooked {
			if !wf.has(f.h) {
				continue
			}
			i = m.tab.getDirect(f.h)
		}
		if i < 0 {
			continue
		}
		hit := false
		e := &m.ents[i]
		v := f.v
		if useID && e.fl&efID != 0 {
			acc[0] += e.w[0] * v
			acc[1] += e.w[1] * v
			acc[2] += e.w[2] * v
			acc[3] += e.w[3] * v
			hit = true
		}
		if useEN && e.fl&efEN != 0 {
			ws := e.w[slotENNeg:nSlots:nSlots]
			a := acc[slotENNeg:nSlots:nSlots]
			for k := range ws {
				a[k] += ws[k] * v
			}
			hit = true
		}
		if hit {
			z.hits = append(z.hits, i)
		}
	}
	for d, x := range z.dense {
		if x == 0 {
			continue
		}
		row := m.dense[d][lo:hi:hi]
		a := acc[lo:hi:hi]
		xf := float32(x)
		for k := range row {
			a[k] += row[k] * xf
		}
	}
	lg := &o.logits
	for k := lo; k < hi; k++ {
		lg[k] = float64(acc[k] + m.bias[k])
	}
	w := o.idW
	var idS, enS [3]float64
	var idA, enA float64
	if w > 0 {
		idS = softmax3(lg[slotIDNeg], lg[slotIDNeu], lg[slotIDPos])
		idA = sigmoid(lg[slotIDAnger])
	}
	if w < 1 {
		enS = softmax3(lg[slotENNeg], lg[slotENNeu], lg[slotENPos])
		enA = sigmoid(lg[slotENAnger])
	}
	for k := range o.sent {
		o.sent[k] = w*idS[k] + (1-w)*enS[k]
	}
	o.anger = w*idA + (1-w)*enA
	o.sentiment = o.sent[2] - o.sent[0]

	// Complaint: the English head reads the words; the generic head reads
	// the sentiment and the cues and serves Indonesian.
	var gl [nGenHeads]float64
	var pEN, pGen float64
	if w > 0 {
		var g [nGen]float64
		GenericFeatures(o.sent[0], o.sent[2], o.anger, z.dense[:], g[:])
		// Most generic features are zero; the severity heads run only
		// for a complaint.
		var nz [nGen]uint8
		n := 0
		for k, x := range g {
			if x != 0 {
				nz[n] = uint8(k)
				n++
			}
		}
		heads := 1
		for h := range heads {
			s := float64(m.gbias[h])
			for _, k := range nz[:n] {
				s += float64(m.gen[h][k]) * g[k]
			}
			gl[h] = s
		}
		pGen = sigmoid(gl[genCompl] - m.genComplLogit)
		if w*pGen+(1-w)*sigmoid(lg[slotENCompl]-m.enComplLogit) >= ComplaintThreshold || w == 1 && pGen >= ComplaintThreshold {
			for h := genSev1; h < nGenHeads; h++ {
				s := float64(m.gbias[h])
				for _, k := range nz[:n] {
					s += float64(m.gen[h][k]) * g[k]
				}
				gl[h] = s
			}
		}
	}
	if w < 1 {
		pEN = sigmoid(lg[slotENCompl] - m.enComplLogit)
	}
	o.complaint = w*pGen + (1-w)*pEN
	if o.complaint >= ComplaintThreshold {
		var p [4]float64
		switch w {
		case 0: // the most likely level is the largest logit: no exp needed
			copy(p[:], lg[slotENSev1:slotENSev4+1])
		case 1:
			copy(p[:], gl[genSev1:genSev4+1])
		default:
			enSev := softmax4(lg[slotENSev1], lg[slotENSev2], lg[slotENSev3], lg[slotENSev4])
			gSev := softmax4(gl[genSev1], gl[genSev2], gl[genSev3], gl[genSev4])
			for k := range p {
				p[k] = w*gSev[k] + (1-w)*enSev[k]
			}
		}
		best := 0
		for k := range p {
			if p[k] > p[best] {
				best = k
			}
		}
		o.severity = best + 1
	}

	// Arousal: independent signs of a raised voice, combined as a noisy
	// OR so that each can only add and the total stays below 1. The
	// weights are set by hand (no data labels arousal); anger carries most.
	ar := 0.0
	add := func(c float64) { ar = 1 - (1-ar)*(1-c) }
	add(0.8 * o.anger)
	if z.shouts >= 2 || z.shouts == 1 && z.words <= 4 {
		add(0.35)
	}
	add(min(0.3, 0.1*float64(max(z.excl-1, 0))))
	if z.elong > 0 {
		add(0.1)
	}
	add(min(0.3, 0.1*z.emoNeg))
	if z.threats != 0 {
		add(0.2)
	}
	o.arousal = ar
}

// GenericFeatures fills g (len nGen) with the generic heads' inputs. The
// train command calls it too, so both sides compute the same thing.
func GenericFeatures(negP, posP, angerP float64, dense []float64, g []float64) {
	g[gNegP], g[gPosP], g[gAngerP] = negP, posP, angerP
	g[gNegXCS] = negP * dense[dCSHandle]
	g[gNegXYou] = negP * b2f(dense[dYou] > 0)
	g[gNegXDomain] = negP * b2f(dense[dDomain] > 0)
	g[gNegXAddr] = negP * b2f(dense[dAddress] > 0)
	g[gNegXQuest] = negP * b2f(dense[dQuest] > 0)
	copy(g[gDense0:], dense[genDense:])
}

func sigmoid(x float64) float64 { return 1 / (1 + fastExp(-x)) }

// fastExp is e^x to about 1e-7 relative error, three times cheaper than
// math.Exp: 2^(x log2 e) split into an integer power (the exponent bits)
// and 2^f for f in [-1/2, 1/2] by a degree-7 polynomial. The probabilities it
// feeds are compared with thresholds, not summed over millions, so that
// precision is plenty.
func fastExp(x float64) float64 {
	if x > 700 {
		return math.Inf(1)
	}
	if x < -700 {
		return 0
	}
	t := x * math.Log2E
	// Round to the nearest integer by the add-and-subtract trick (math.Round
	// is a function call on amd64; |t| < 1100 here, far inside 2^51).
	const magic = 0x1.8p52
	i := (t + magic) - magic
	f := t - i
	// 2^f: the Taylor series of e^(f ln 2), enough terms for 1e-8 here.
	const l = math.Ln2
	p := 1 + f*(l+f*(l*l/2+f*(l*l*l/6+f*(l*l*l*l/24+f*(l*l*l*l*l/120+f*(l*l*l*l*l*l/720+f*(l*l*l*l*l*l*l/5040)))))))
	return math.Float64frombits(math.Float64bits(p) + uint64(int64(i))<<52)
}

func logit(p float64) float64 {
	p = math.Min(math.Max(p, 1e-6), 1-1e-6)
	return math.Log(p / (1 - p))
}

func softmax3(a, b, c float64) [3]float64 {
	mx := max(a, b, c)
	ea, eb, ec := fastExp(a-mx), fastExp(b-mx), fastExp(c-mx)
	s := ea + eb + ec
	return [3]float64{ea / s, eb / s, ec / s}
}

func softmax4(a, b, c, d float64) [4]float64 {
	mx := max(a, b, c, d)
	e := [4]float64{fastExp(a - mx), fastExp(b - mx), fastExp(c - mx), fastExp(d - mx)}
	s := e[0] + e[1] + e[2] + e[3]
	return [4]float64{e[0] / s, e[1] / s, e[2] / s, e[3] / s}
}

func normHint(h string) string {
	if len(h) > 2 && (h[2] == '-' || h[2] == '_') {
		h = h[:2] // "en-US", "id_ID"
	}
	switch h {
	case "en", "EN", "En":
		return "en"
	case "id", "ID", "in", "IN", "ms", "MS":
		return "id"
	case "", "und", "unknown":
		return ""
	}
	return h
}

// Extracted is the train command's view of a text: the features exactly
// as Analyze computes them, with their readable names.
type Extracted struct {
	Lang     Lang
	IDShare  float64
	Features []string  // words, "!negated" words and "word pairs", in text order
	Values   []float64 // each feature's value (1, or 1.5 intensified, 0.6 damped)
	Dense    []float64 // by DenseNames
}

// Extract tokenizes text and returns its features. It allocates freely:
// it is for the train command and tests, not the hot path.
func (m *Model) Extract(text, langHint string) Extracted {
	z := newScratch()
	z.wantNames = true
	z.reset()
	z.tokenize(m, text)
	z.scan(m)
	lang, share := z.language(normHint(langHint))
	vals := make([]float64, len(z.feats))
	for i, f := range z.feats {
		vals[i] = float64(f.v)
	}
	return Extracted{Lang: lang, IDShare: share, Features: append([]string(nil), z.names...), Values: vals,
		Dense: append([]float64(nil), z.dense[:]...)}
}

// fmtPct formats p in 0..1 as a percentage for reasons.
func fmtPct(p float64) string { return strconv.Itoa(int(math.Round(p*100))) + "%" }

package alerting

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/pantau/pantau/store"
)

// TextScorerName is TextScorer's name; scores carry it in Score.Scorer
// after the composed scorer's own name.
const TextScorerName = "text/v1"

// Detected languages.
const (
	LangEN    = "en"
	LangID    = "id"
	LangOther = "other"
)

// ReasonNotScored is the only reason of a mention in a language the scorer
// does not know.
const ReasonNotScored = "language not recognised: not scored"

// ReasonBrandReply marks a score of the brand's own post.
const ReasonBrandReply = "brand's own reply"

// TextScorer is the first, hand-written bilingual (English and Indonesian)
// text analyzer. It reads words, short patterns, negation, intensifiers,
// emoji and shouting from the text.
//
// It is honest rather than clever: every number comes from a few readable
// features with hand-set weights, and every feature that fired is named in
// the evidence. Text it cannot read is marked unscored, never guessed.
//
// It only reads text. Engagement, reach, the unanswered clock, threads and
// cases are the ComposedScorer's, so that the trained model in
// alerting/textmodel can replace this analyzer without touching them.
type TextScorer struct {
	lex  *lexicon
	pool sync.Pool // *scratch

	// legacy scores through the composed scorer with the default config,
	// for callers that still hand a TextScorer to NewPipeline.
	legacy *ComposedScorer
}

var (
	_ TextAnalyzer = (*TextScorer)(nil)
	_ Scorer       = (*TextScorer)(nil)
)

// NewTextScorer builds the analyzer and compiles its word lists.
func NewTextScorer() *TextScorer {
	s := &TextScorer{lex: newLexicon()}
	s.pool.New = func() any {
		return &scratch{norm: make([]byte, 0, 512), toks: make([]token, 0, 128), contribs: make([]contrib, 0, 16)}
	}
	// The default config has no zone to load, so this cannot fail.
	s.legacy, _ = NewScorer(ScoringConfig{}, s, nil)
	return s
}

// Name is the analyzer's name and version; it is part of Score.Scorer.
func (s *TextScorer) Name() string { return TextScorerName }

// Score scores a mention with the composed scorer under the default
// scoring config (around the clock, UTC, default targets).
//
// Deprecated: build the scorer with NewScorer(cfg, NewTextScorer(), now),
// so the configured targets and business hours apply. Score remains so
// that wiring written for the first scorer keeps working.
func (s *TextScorer) Score(in Input) store.Score { return s.legacy.Score(in) }

// Analyze implements TextAnalyzer. A title and a body are best passed
// joined by a newline: the newline ends a clause, as it does in a post.
func (s *TextScorer) Analyze(text, langHint string) Analysis {
	z := s.pool.Get().(*scratch)
	defer s.pool.Put(z)
	z.reset()
	z.tokenize(s.lex, text)
	a := z.analyse(s.lex)

	// Follow-ups and private channels are read whatever the language:
	// "min??" and "hello???" are too short to tell the language from.
	out := Analysis{Lang: a.language(z, langHint), FollowUp: z.followUp(s.lex, &a), Private: z.private(s.lex)}
	if out.Lang == LangOther {
		return out
	}
	out.Scored = true

	// Sentiment: the net valence squashed into -1..1 (the same shape VADER
	// uses, with our own constant).
	raw := a.pos - a.neg
	if a.exclaim >= 2 {
		raw *= 1.1
	}
	out.Sentiment = round3(raw / math.Sqrt(raw*raw+12))

	// Complaint: a logistic over a few features. Negative feeling alone
	// ("the weather is awful") is weak evidence; words and phrases about
	// something going wrong are strong; praise pulls the other way.
	shouting := a.shoutWords >= 2 || (a.shoutWords == 1 && a.words <= 3)
	negative := a.neg >= 0.5 || a.cw >= 0.3
	x := -2.4 + 0.8*min(a.neg, 4) + 1.4*min(a.cw, 3) - 0.5*min(a.pos, 4)
	if negative {
		if a.questions > 0 {
			x += 0.5 // "why is my account locked?"
		}
		if a.repeat {
			x += 0.4 // "error lagi", "again"
		}
		if a.domain {
			x += 0.4 // the problem is about an order, an account, the service
		}
		if a.threat {
			x += 0.6
		}
		if shouting {
			x += 0.3
		}
	}
	if a.accuse {
		x += 1
	}
	complaint := 1 / (1 + math.Exp(-x))
	out.Complaint = round3(complaint)

	// Severity follows the four levels of complaint research: no explicit
	// reproach, disapproval, accusation, blame (here: a threat to escalate).
	if complaint >= 0.5 {
		switch {
		case a.threat:
			out.Severity = 4
		case a.accuse:
			out.Severity = 3
		case a.eval:
			out.Severity = 2
		default:
			out.Severity = 1
		}
	}

	// Arousal: how agitated the writer is, as a noisy OR of the signs of
	// it. Calls to others and accusations are the hot emotions that make
	// people share; strong negativity alone may be sadness, so it counts
	// least.
	var ar float64
	add := func(c float64) { ar = 1 - (1-ar)*(1-c) }
	if a.arousal {
		add(0.5)
	}
	if a.accuse {
		add(0.35)
	}
	if shouting {
		add(0.35)
	}
	switch {
	case a.exclaim >= 3:
		add(0.25)
	case a.exclaim == 2:
		add(0.1)
	}
	if a.neg >= 4 {
		add(0.2)
	}
	out.Arousal = round3(ar)

	out.Threats = z.spanTexts(spThreat)
	ev := z.appendSpanReasons(make([]string, 0, 8), &a, complaint >= 0.5)
	if shouting {
		ev = append(ev, "shouting: "+strconv.Itoa(a.shoutWords)+" word"+plural(a.shoutWords)+" in capitals")
	}
	if a.exclaim >= 3 {
		ev = append(ev, "emphasis: '"+strings.Repeat("!", min(a.exclaim, 5))+"'")
	}
	if a.qrun >= 2 && complaint >= 0.5 {
		ev = append(ev, "emphasis: '"+strings.Repeat("?", min(a.qrun, 5))+"'")
	}
	out.Evidence = ev
	return out
}

// --- Analysis. ----------------------------------------------------------------

// analysis is what one pass over the tokens found.
type analysis struct {
	words, en, id, foreign int
	shoutWords             int
	questions, qrun        int // '?' marks; the longest run
	exclaim                int // the longest run of '!'

	eval, accuse, threat, arousal bool
	repeat, domain, sarcasm       bool

	pos, neg, cw float64 // positive and negative valence, complaint weight
}

// contrib is one word's (or pattern's, or emoji's) share of the evidence.
type contrib struct {
	val, cw float64
	word    int   // word position, for "within two words"
	tok     int32 // token index
	boosted bool  // already amplified by a following intensifier
	pattern bool
}

// Reason span kinds.
const (
	spWords    = iota // negative and complaint words
	spPhrases         // complaint patterns
	spNegated         // negator .. negated word
	spAccuse          // accusations
	spThreat          // threats to escalate
	spArousal         // calls to others
	spPositive        // praise
	spEmoji
	spRepeat
	spSarcasm
	nSpanKinds
)

type span struct{ s, e int32 } // token indexes, inclusive

func (z *scratch) addSpan(kind int, s, e int) {
	z.spans[kind] = append(z.spans[kind], span{int32(s), int32(e)})
}

func (z *scratch) addContrib(val, cw float64, word, tok int, pattern bool) {
	z.contribs = append(z.contribs, contrib{val: val, cw: cw, word: word, tok: int32(tok), pattern: pattern})
}

// analyse reads the tokens twice: once for language evidence and shouting,
// once for sentiment and complaint evidence.
func (z *scratch) analyse(lx *lexicon) analysis {
	var a analysis
	for i := range z.toks {
		t := &z.toks[i]
		switch t.kind {
		case tQuestion:
			a.questions += int(t.n)
			a.qrun = max(a.qrun, int(t.n))
		case tExclaim:
			a.exclaim = max(a.exclaim, int(t.n))
		case tWord:
			a.words++
			e := t.ent
			if e != nil {
				if e.f&fEN != 0 {
					a.en++
				}
				if e.f&fID != 0 {
					a.id++
				}
				if e.f&fForeign != 0 {
					a.foreign++
				}
			}
			if e == nil {
				switch w := z.text(t); {
				case looksIndonesian(w):
					a.id++
				case looksEnglish(w):
					a.en++
				}
			}
			if t.shout && (e == nil || e.f&fAcronym == 0) {
				a.shoutWords++
			}
		}
	}

	// Scopes, counted in words: a negator reaches the next three words
	// ("gak ada yang bales"), an intensifier or dampener the next two.
	var negLeft, intLeft, dampLeft, negTok int
	reset := func() { negLeft, intLeft, dampLeft = 0, 0, 0 }
	tick := func() {
		negLeft, intLeft, dampLeft = max(negLeft-1, 0), max(intLeft-1, 0), max(dampLeft-1, 0)
	}
	butAt := -1 // contribs index at the first contrast word
	word := 0
	for i := 0; i < len(z.toks); i++ {
		t := &z.toks[i]
		switch t.kind {
		case tQuestion, tExclaim, tBreak:
			reset()
			continue
		case tEmoji:
			// Emoji are not negated: "gak 😡" is still angry.
			if e := t.ent; e != nil && e.val != 0 {
				z.addContrib(e.val, e.cw, word, i, false)
				if e.val < 0 && e.f&fEval != 0 {
					a.eval = true
				}
				z.addSpan(spEmoji, i, i)
			}
			continue
		}
		word++
		if p, n := z.matchPattern(lx, i); p != nil {
			m := 1.0
			if intLeft > 0 {
				m = 1.3
			}
			z.addContrib(p.val*m, p.cw, word, i, true)
			kind := spPhrases
			switch {
			case p.f&fAccuse != 0:
				a.accuse, kind = true, spAccuse
			case p.f&fThreat != 0:
				a.threat, kind = true, spThreat
			case p.f&fArousal != 0:
				a.arousal, kind = true, spArousal
			case p.val > 0:
				kind = spPositive
			}
			if p.f&fEval != 0 {
				a.eval = true
			}
			z.addSpan(kind, i, i+n-1)
			word += n - 1
			i += n - 1
			reset()
			continue
		}
		e := t.ent
		if e == nil {
			tick()
			continue
		}
		if e.f&fBut != 0 {
			if butAt < 0 {
				butAt = len(z.contribs)
			}
			reset()
			continue
		}
		if e.f&fNeg != 0 {
			negLeft, negTok = 3, i
			continue
		}
		if e.f&fRepeat != 0 {
			a.repeat = true
			z.addSpan(spRepeat, i, i)
		}
		if e.f&fDomain != 0 {
			a.domain = true
		}
		if e.f&fInt != 0 {
			// Indonesian puts intensifiers after the word: "kecewa bgt".
			if n := len(z.contribs); n > 0 {
				c := &z.contribs[n-1]
				if !c.boosted && word-c.word <= 2 {
					c.val *= 1.3
					c.boosted = true
				}
			}
			if e.val == 0 {
				intLeft = 2 // the next two words: "very slow", "sangat tidak ramah"
				continue
			}
		}
		if e.f&fDamp != 0 && e.val == 0 {
			dampLeft = 2
			continue
		}
		negated := negLeft > 0
		if !negated && e.val == 0 && (e.cw == 0 || e.f&fNegCompl != 0) && e.f&(fAccuse|fThreat|fArousal) == 0 {
			tick() // a plain word: only the scopes move
			continue
		}
		if negated && e.val == 0 && e.cw == 0 {
			tick()
			continue
		}

		m := 1.0
		if intLeft > 0 {
			m *= 1.3
		}
		if dampLeft > 0 {
			m *= 0.6
		}
		if t.shout && e.f&fAcronym == 0 {
			m *= 1.3
		}
		if t.elong >= 0 {
			m *= 1.15 // "parahhh"
		}
		if negated {
			z.addSpan(spNegated, negTok, i)
			switch {
			case e.f&fKeep != 0:
				// "no refund yet" is still about a refund.
				z.addContrib(e.val*m, e.cw, word, i, false)
			case e.f&fNegCompl != 0:
				// "belum sampai", "gak dibales", "tidak ramah", "not working".
				z.addContrib(min(-1.5, -0.8*e.val)*m, e.cw, word, i, false)
				if e.val >= 1.8 || (e.val > 0 && e.f&fEval != 0) {
					a.eval = true
				}
			case e.val > 0:
				// Negated praise is disapproval: "not good", "tidak bagus".
				z.addContrib(-0.8*e.val*m, 0.5, word, i, false)
				a.eval = a.eval || e.val >= 1.8
			default:
				// Negated criticism is mild praise, not a complaint:
				// "tidak buruk", "not bad", "gak nyesel".
				z.addContrib(-0.5*e.val*m, 0, word, i, false)
			}
			reset()
			continue
		}
		cw := e.cw
		if e.f&fNegCompl != 0 {
			cw = 0 // "sampai", "ramah": a complaint only when negated
		}
		z.addContrib(e.val*m, cw, word, i, false)
		switch {
		case e.f&fAccuse != 0:
			a.accuse = true
			z.addSpan(spAccuse, i, i)
		case e.f&fThreat != 0:
			a.threat = true
			z.addSpan(spThreat, i, i)
		case e.f&fArousal != 0:
			z.addSpan(spArousal, i, i)
		case e.val < 0 || cw > 0:
			z.addSpan(spWords, i, i)
		case e.val > 0:
			z.addSpan(spPositive, i, i)
		}
		if e.f&fArousal != 0 {
			a.arousal = true
		}
		if e.f&fEval != 0 && e.val < 0 {
			a.eval = true
		}
		intLeft, dampLeft = 0, 0
	}

	// Sarcasm: strong praise as the opening word, then a complaint with no
	// "but" in between ("mantap, paket hilang lagi", "great, another
	// delay"). The praise is read as its opposite, mildly. A "but" means
	// the writer weighed both sides, which is not sarcasm.
	if butAt < 0 && len(z.contribs) >= 2 {
		c0 := &z.contribs[0]
		if c0.val >= 1.8 && c0.word <= 2 && !c0.pattern {
			var negAfter, cwAfter float64
			for _, c := range z.contribs[1:] {
				if c.val < 0 {
					negAfter -= c.val
				}
				cwAfter += c.cw
			}
			if negAfter >= 1.5 && cwAfter >= 0.8 {
				a.sarcasm = true
				a.eval = true // sarcasm is disapproval, said sideways
				c0.val = -0.5 * c0.val
				z.addSpan(spSarcasm, int(c0.tok), int(c0.tok))
				z.dropSpan(spPositive, c0.tok)
			}
		}
	}

	for k, c := range z.contribs {
		if butAt >= 0 {
			// "bagus tapi lama": what follows the contrast counts more.
			if k < butAt {
				c.val *= 0.5
			} else {
				c.val *= 1.5
			}
		}
		if c.val > 0 {
			a.pos += c.val
		} else {
			a.neg -= c.val
		}
		a.cw += c.cw
	}
	return a
}

func (z *scratch) dropSpan(kind int, tok int32) {
	out := z.spans[kind][:0]
	for _, sp := range z.spans[kind] {
		if sp.s != tok {
			out = append(out, sp)
		}
	}
	z.spans[kind] = out
}

// matchPattern returns the longest pattern that starts at token i and how
// many tokens it covers.
func (z *scratch) matchPattern(lx *lexicon, i int) (*compiledPattern, int) {
	t := &z.toks[i]
	var best *compiledPattern
	bestN := 0
	try := func(list []*compiledPattern) {
		for _, p := range list {
			if n := z.matchAt(p, i); n > bestN {
				best, bestN = p, n
			}
		}
	}
	if t.kind == tWord {
		if t.ent != nil {
			try(lx.patterns[t.ent.canon])
			if t.ent.f&fNeg != 0 {
				try(lx.patterns[slotNeg])
			}
		} else {
			try(lx.patterns[string(z.text(t))])
		}
	}
	if z.durationAt(i) > 0 {
		try(lx.patterns[slotDur])
	}
	return best, bestN
}

// matchAt reports how many tokens p covers at i, or 0.
func (z *scratch) matchAt(p *compiledPattern, i int) int {
	j := i
	for _, el := range p.elems {
		if j >= len(z.toks) {
			return 0
		}
		t := &z.toks[j]
		switch el {
		case slotNeg:
			if t.kind != tWord || t.ent == nil || t.ent.f&fNeg == 0 {
				return 0
			}
			j++
		case slotDur:
			n := z.durationAt(j)
			if n == 0 {
				return 0
			}
			j += n
		default:
			if t.kind != tWord {
				return 0
			}
			if t.ent != nil {
				if t.ent.canon != el {
					return 0
				}
			} else if string(z.text(t)) != el {
				return 0
			}
			j++
		}
	}
	return j - i
}

// durationAt reports how many tokens a duration at i covers: "seminggu"
// (1), "3 hari" or "two weeks" (2), or none (0).
func (z *scratch) durationAt(i int) int {
	t := &z.toks[i]
	if t.kind == tWord && t.ent != nil && t.ent.f&fDur != 0 {
		return 1
	}
	isNum := t.kind == tNum || (t.kind == tWord && t.ent != nil && t.ent.f&fNum != 0)
	if isNum && i+1 < len(z.toks) {
		u := &z.toks[i+1]
		if u.kind == tWord && u.ent != nil && u.ent.f&fTime != 0 {
			return 2
		}
	}
	return 0
}

// language decides between English, Indonesian and other. Mixed text goes
// to whichever has more known words; too little evidence is "other".
func (a *analysis) language(z *scratch, hint string) string {
	if a.words == 0 || z.nonLatin > z.latin {
		return LangOther
	}
	known := a.en + a.id
	if a.foreign > 0 && a.foreign*2 >= known {
		return LangOther
	}
	need := 2
	if a.words <= 2 {
		need = 1 // "kecewa!", "terrible 😡"
	}
	hint = strings.ToLower(hint)
	enHint := strings.HasPrefix(hint, "en")
	idHint := strings.HasPrefix(hint, "id") || strings.HasPrefix(hint, "in") || strings.HasPrefix(hint, "ms")
	if hint != "" && !enHint && !idHint {
		// The platform says another language: ask for more evidence.
		need = 3
	}
	if known < need || known*5 < a.words {
		return LangOther
	}
	switch {
	case a.id > a.en:
		return LangID
	case a.en > a.id:
		return LangEN
	case enHint:
		return LangEN
	default:
		return LangID
	}
}

// looksIndonesian recognises unlisted Indonesian words by their suffixes:
// "-nya" ("berikutnya", "pengirimannya") and "-kan" ("kembalikan"). Few
// English words end that way, so this widens language detection without
// a dictionary.
func looksIndonesian(w []byte) bool {
	return len(w) >= 5 && hasSuffix(w, "nya") || len(w) >= 6 && hasSuffix(w, "kan")
}

// looksEnglish recognises unlisted English words by suffixes Indonesian
// does not use: "-tion", "-ly", "-ed" ("information", "currently",
// "booked"). French shares "-tion"; its function words still outvote it.
func looksEnglish(w []byte) bool {
	return len(w) >= 5 && (hasSuffix(w, "tion") || hasSuffix(w, "tions") || hasSuffix(w, "ly") || hasSuffix(w, "ed"))
}

// --- Reasons. ---------------------------------------------------------------

func (z *scratch) appendSpanReasons(reasons []string, a *analysis, complaint bool) []string {
	add := func(label string, kind int) {
		if r := z.spanList(label, kind); r != "" {
			reasons = append(reasons, r)
		}
	}
	add("words", spWords)
	add("phrases", spPhrases)
	add("negated", spNegated)
	add("accusation", spAccuse)
	add("threat", spThreat)
	add("call to others", spArousal)
	add("positive", spPositive)
	add("emoji", spEmoji)
	if a.sarcasm {
		add("sarcasm", spSarcasm)
	}
	if complaint && a.repeat {
		add("repeated", spRepeat)
	}
	return reasons
}

// spanList renders "label: 'a', 'b'" with duplicates removed and at most six
// items, each at most 60 bytes: the text is the customer's, and reasons
// stay short.
func (z *scratch) spanList(label string, kind int) string {
	spans := z.spans[kind]
	if len(spans) == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(len(label) + 2 + 14*len(spans))
	b.WriteString(label)
	b.WriteString(": ")
	head := b.Len()
	n := 0
	for _, sp := range spans {
		item := z.spanText(sp)
		if containsQuoted(b.String()[head:], item) {
			continue
		}
		if n == 6 {
			b.WriteString(", …")
			break
		}
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('\'')
		b.Write(item)
		b.WriteByte('\'')
		n++
	}
	return b.String()
}

// spanText joins the normalized tokens of sp with spaces, into z.alt.
func (z *scratch) spanText(sp span) []byte {
	z.alt = z.alt[:0]
	for i := sp.s; i <= sp.e; i++ {
		t := &z.toks[i]
		if t.kind == tBreak || t.kind == tQuestion || t.kind == tExclaim {
			continue
		}
		if len(z.alt) > 0 {
			z.alt = append(z.alt, ' ')
		}
		z.alt = append(z.alt, z.text(t)...)
	}
	if len(z.alt) > 60 {
		cut := 60
		for cut > 0 && !utf8.RuneStart(z.alt[cut]) {
			cut--
		}
		z.alt = append(z.alt[:cut], "…"...)
	}
	return z.alt
}

// containsQuoted reports whether list contains 'item'.
func containsQuoted(list string, item []byte) bool {
	for i := 0; i+len(item)+2 <= len(list); i++ {
		if list[i] == '\'' && list[i+len(item)+1] == '\'' && list[i+1:i+1+len(item)] == string(item) {
			return true
		}
	}
	return false
}

// spanTexts returns the distinct texts of one kind of span, in order.
func (z *scratch) spanTexts(kind int) []string {
	var out []string
	for _, sp := range z.spans[kind] {
		if t := string(z.spanText(sp)); !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

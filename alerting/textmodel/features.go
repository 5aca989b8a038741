package textmodel

import "math"

// Dense features: counts and sums the rules compute from the seed lists and
// the lexicons, the same for every language. Counts enter as log(1+n) so
// that one more "!" matters less the more there are.
const (
	// English-lexicon features: they read the VADER/AFINN valences, so they
	// mean something only for English words (code-mixed text included).
	dLexPos     = iota // positive valence, after negation, intensifiers and contrast
	dLexNeg            // negative valence (as a magnitude)
	dPosWords          // words with a positive contribution
	dNegWords          // words with a negative contribution
	dMaxPos            // the strongest positive contribution, /4
	dMaxNeg            // the strongest negative contribution, /4
	dNegatedPos        // positive words under a negation: "not good"
	dNegatedNeg        // negative words under a negation: "not bad"
	dNegXYou           // negative and in the second person
	dNegXDomain        // negative and about an order, an account, a service
	dNegXCS            // negative and addressed to a customer-service account

	// Language-neutral features (the generic heads read these).
	//
	// Whether a post addresses anyone at all is left out on purpose: in
	// complaints-en the posts without a handle are the random tweets, a
	// sampling artefact that a model would learn as "no handle, no
	// complaint"; every mention Pantau sees is about the brand already.
	dEmoPos   // emoji and emoticon positive valence
	dEmoNeg   // emoji and emoticon negative valence
	dExcl     // '!'
	dQuest    // '?'
	dShout    // words in capitals
	dElong    // stretched words: "parahhh"
	dCSHandle // it addresses a customer-service account ("@XHelp", "@XCare")
	dURL      // links
	dHashtags // hashtags
	dNegs     // negators
	dProblem  // problem words: "rusak", "broken"
	dRequest  // requests: "tolong", "please"
	dAgain    // recurrence: "lagi", "still"
	dDomain   // what is bought: "paket", "order"
	dDuration // a waited duration: "3 hari", "two weeks", "seminggu"
	dQWord    // question words: "kenapa", "why"
	dAddress  // the agent addressed: "min", "kak"
	dYou      // second person: "you", "kalian"
	dAccuse   // accusations: "penipu", "scam"
	dThreat   // threats: "ylki", "lawyer"
	dFollowUp // chasing an answer
	dPrivate  // a private channel
	dSarcasm  // praise before a problem
	dExcess   // excess: "too expensive", "terlalu lama"
	dShould   // an unmet expectation: "should", "harusnya"
	dWords    // length in words
	nDense
)

// DenseNames names the dense features (data/heads.tsv).
var DenseNames = [nDense]string{"lex_pos", "lex_neg", "pos_words", "neg_words", "max_pos", "max_neg", "negated_pos", "negated_neg",
	"neg_x_you", "neg_x_domain", "neg_x_cs",
	"emo_pos", "emo_neg", "exclaim", "question", "shout", "elongated",
	"cs_handle", "url", "hashtags", "negators", "problem", "request", "again", "domain",
	"duration", "question_word", "address", "you", "accuse", "threat", "follow_up", "private", "sarcasm", "excess", "should", "words"}

// Generic features: the sentiment and anger of the text, read by its own
// language's heads, their interactions with being addressed to someone,
// then the language-neutral dense features. The English-lexicon features
// are left out: they are near zero on Indonesian text, and a head fitted on
// English would read that as "no opinion".
const (
	gNegP       = iota // P(negative)
	gPosP              // P(positive)
	gAngerP            // P(anger)
	gNegXCS            // P(negative) when addressed to a customer-service account
	gNegXYou           // ... in the second person
	gNegXDomain        // ... about an order, account, service
	gNegXAddr          // ... addressing the agent ("min", "kak")
	gNegXQuest         // ... and asking
	gDense0            // dense features from dEmoPos on
	nGen        = gDense0 + nDense - dEmoPos
	genDense    = dEmoPos
)

// GenNames names the generic features.
var GenNames = func() [nGen]string {
	var n [nGen]string
	copy(n[:], []string{"neg_p", "pos_p", "anger_p", "negp_x_cs", "negp_x_you", "negp_x_domain", "negp_x_address", "negp_x_question"})
	for d := genDense; d < nDense; d++ {
		n[gDense0+d-genDense] = DenseNames[d]
	}
	return n
}()

// scratch holds everything one Analyze call needs; the Model pools them so
// that a call allocates only its result.
type scratch struct {
	norm  []byte
	toks  []tok
	feats []feat   // words, negated words, pairs
	hits  []int32  // entries of the features that carry weights (set by infer)
	ev    []byte   // the reasons being written
	names []string // feature texts, only when wantNames (train command)

	wantNames bool

	// Counted by the tokenizer.
	urls, hashtags, handles int
	csHandle                bool
	praise                  bool // a praise word was seen: look for sarcasm
	words                   int
	latin, nonLatin         int
	foreignWords            int

	// Counted by scan.
	en, id, ot          float64 // language evidence
	lexPos, lexNeg      float64
	posWords, negWords  int
	maxPos, maxNeg      float64
	negPos, negNeg      int
	emoPos, emoNeg      float64
	excl, quest, shouts int
	elong               int
	dense               [nDense]float64
	threats             uint32 // bit i: Model.threat[i]
	followUp, private   bool
	sarc                int // token index of sarcastic praise, -1
	negated             [3][2]int32
	nNegated            int
	addrQuest           bool
}

// cueRoles are the roles the cue block of scan reads.
const cueRoles = rProblem | rRequest | rAgain | rDomain | rTimeUnit | rDuration | rNumWord | rQWord | rAddress | rYou | rAccuse | rPhrase

// feat is one feature of a text.
type feat struct {
	h uint64  // key
	v float32 // value: 1, or more or less for an intensified or damped word
	e int32   // entry when the tokenizer already knows it (-1: none), notLooked otherwise
}

// notLooked marks a feature whose entry infer must look up.
const notLooked = -2

// Feature values of intensified and damped words.
const (
	intensified = 1.5
	dampened    = 0.6
)

func newScratch() *scratch {
	return &scratch{norm: make([]byte, 0, 512), toks: make([]tok, 0, 128), feats: make([]feat, 0, 256),
		hits: make([]int32, 0, 256)}
}

func (z *scratch) reset() {
	*z = scratch{norm: z.norm[:0], toks: z.toks[:0], feats: z.feats[:0], hits: z.hits[:0],
		ev: z.ev[:0], names: z.names[:0], wantNames: z.wantNames, sarc: -1}
}

// text returns the canonical text of a token (aliasing the buffer or the
// entry's name: for comparison and evidence only).
func (z *scratch) text(m *Model, t *tok) string {
	switch {
	case t.kind == kNum:
		return "#"
	case t.s < 0 && t.e >= 0:
		return m.names[t.e]
	case t.s >= 0:
		return string(z.norm[t.s:t.t])
	}
	return ""
}

func (z *scratch) emit(m *Model, h uint64, t *tok, neg bool, v float32) {
	e := t.e // the tokenizer looked the word up already
	if neg {
		e = notLooked
	}
	z.feats = append(z.feats, feat{h, v, e})
	if z.wantNames {
		n := z.text(m, t)
		if neg {
			n = "!" + n
		}
		z.names = append(z.names, n)
	}
}

func (z *scratch) emitPair(m *Model, a, b *tok) {
	z.feats = append(z.feats, feat{pairHash(a.h, b.h), 1, notLooked})
	if z.wantNames {
		z.names = append(z.names, z.text(m, a)+" "+z.text(m, b))
	}
}

// scan reads the tokens once: negation scope, intensifiers, contrast,
// valence, cue counts, phrases, language evidence, and the feature keys.
func (z *scratch) scan(m *Model) {
	toks := z.toks
	if z.praise {
		z.sarc = z.findSarcasm(m)
	}
	var (
		negScope bool    // a negator waits for its word
		negAt    int32   // where that negator was
		boost    int     // tokens an intensifier still reaches
		damp     bool    // a dampener waits for its word
		butF     = 1.0   // after "but"/"tapi" opinions weigh more
		prev     = -1    // previous word or number token, for pairs
		lastVal  float64 // the valence contribution of the previous word, for "enak banget"
		lastNum  bool    // the previous token was a number or number word
		lastUni  = -1    // feature index of the previous word, for "enak banget"
		problem  int
		excessAt = -1 // index of the last excess word
	)
	for i := range toks {
		t := &toks[i]
		switch t.kind {
		case kBreak, kExcl, kQuest:
			if t.kind == kExcl {
				z.excl += int(t.n)
			}
			if t.kind == kQuest {
				z.quest += int(t.n)
				// "min??": the agent called and asked twice.
				if t.n >= 2 && prev >= 0 && prev == i-1 && toks[prev].e >= 0 && m.ents[toks[prev].e].roles&rAddress != 0 {
					z.addrQuest = true
				}
			}
			negScope, boost, damp, prev, lastVal, lastNum, lastUni = false, 0, false, -1, 0, false, -1
			continue
		case kEmoji:
			z.emit(m, t.h, t, false, 1)
			if t.e >= 0 {
				if v := float64(m.ents[t.e].val); v > 0 {
					z.emoPos += v
				} else {
					z.emoNeg -= v
				}
			}
			continue
		case kNum:
			z.emit(m, t.h, t, false, 1)
			if prev >= 0 {
				z.emitPair(m, &toks[prev], t)
			}
			prev, lastNum, lastVal, lastUni = i, true, 0, -1
			continue
		}

		// A word.
		var e *entry
		var r role
		if t.e >= 0 {
			e = &m.ents[t.e]
			r = e.roles
			if l := e.lang; l > 0 {
				z.id += float64(l) * 0.01
			} else if l < 0 {
				z.en -= float64(l) * 0.01
			}
			if e.fl&efOther != 0 {
				z.ot++
			}
		}
		if t.fl&tfShout != 0 {
			z.shouts++
		}
		if t.fl&tfElong != 0 {
			z.elong++
		}
		neg := false
		switch {
		case r&rNeg != 0:
			z.dense[dNegs]++
			negScope, negAt = true, int32(i)
		case negScope && r&(rSkip|rInt) == 0:
			neg, negScope = true, false
			if z.nNegated < len(z.negated) {
				z.negated[z.nNegated] = [2]int32{negAt, int32(i)}
				z.nNegated++
			}
			// "gak nyesel", "not bad": a negated bad verdict is praise, not
			// the negation a complaint is made of ("not working").
			if r&rBad != 0 || e != nil && e.val < 0 {
				z.dense[dNegs]--
				if r&rBad != 0 && e.val >= 0 {
					z.negNeg++ // Indonesian: the lexicon does not know it
				}
			}
		}
		if int(i) == z.sarc {
			neg = true
		}
		// The word's feature value carries intensifiers and dampeners, so
		// that the learned weights scale too: "kecewa banget" weighs more
		// than "kecewa", in any language.
		fv := float32(1)
		switch {
		case r&(rInt|rDamp|rNeg) != 0:
		case boost > 0:
			fv = intensified
		case damp:
			fv = dampened
		}
		if r&rInt != 0 && lastUni >= 0 && z.feats[lastUni].v == 1 {
			z.feats[lastUni].v = intensified // a following intensifier: "enak banget"
		}
		lastUni = len(z.feats)
		if neg {
			t.fl |= tfNeg
			z.emit(m, negHash(t.h), t, true, fv)
		} else {
			z.emit(m, t.h, t, false, fv)
		}
		if prev >= 0 {
			z.emitPair(m, &toks[prev], t)
		}
		prev = i
		// Excess: the word right after "too" or "terlalu", unless it is
		// praise ("too good to be true" is still praise).
		if excessAt >= 0 && i == excessAt+1 && !neg && (e == nil || e.val <= 1 && r&rExcess == 0) {
			z.dense[dExcess]++
		}
		if r&rExcess != 0 {
			excessAt = i
		}
		if r&rShould != 0 {
			z.dense[dShould]++
		}
		if e == nil {
			lastVal, lastNum, boost, damp = 0, false, max(boost-1, 0), false
			continue
		}

		// Valence, VADER-style: intensifiers scale it, negation flips and
		// damps it (-0.74), capitals and contrast weigh it up.
		v := float64(e.val)
		if v != 0 {
			if boost > 0 {
				v *= 1.3
			}
			if damp {
				v *= 0.7
			}
			if t.fl&tfShout != 0 {
				v *= 1.2
			}
			if neg {
				if v > 0 {
					z.negPos++
				} else {
					z.negNeg++
				}
				v *= -0.74
			}
			v *= butF
			if v > 0 {
				z.lexPos += v
				z.maxPos = max(z.maxPos, v)
				if v >= 0.5 {
					z.posWords++
				}
			} else {
				z.lexNeg -= v
				z.maxNeg = max(z.maxNeg, -v)
				if v <= -0.5 {
					z.negWords++
				}
			}
			lastVal = v
		} else if r&rInt != 0 && lastVal != 0 {
			// A following intensifier ("enak banget", "parah bgt").
			if lastVal > 0 {
				z.lexPos += 0.3 * lastVal
			} else {
				z.lexNeg -= 0.3 * lastVal
			}
			lastVal = 0
		} else {
			lastVal = 0
		}
		boost = max(boost-1, 0)
		if r&rInt != 0 {
			boost = 2
		}
		damp = r&rDamp != 0
		if r&rBut != 0 {
			z.lexPos *= 0.5
			z.lexNeg *= 0.5
			butF = 1.5
		}

		// Cues. A negated problem is no problem ("no issues", "tidak ada
		// masalah"). Most words have none: one test skips them all.
		if r&cueRoles == 0 {
			lastNum = false
			continue
		}
		if r&rProblem != 0 && !neg {
			problem++
		}
		if r&rRequest != 0 {
			z.dense[dRequest]++
		}
		if r&rAgain != 0 && !neg {
			z.dense[dAgain]++
		}
		if r&rDomain != 0 {
			z.dense[dDomain]++
		}
		if r&rTimeUnit != 0 && lastNum || r&rDuration != 0 || lastNum && t.e == m.minE {
			z.dense[dDuration] = 1
		}
		// After a number, "min" is minutes ("waited 45 min"), and no
		// address word is one: only "min" alone calls the agent.
		afterNum := lastNum
		lastNum = r&rNumWord != 0
		if r&rQWord != 0 {
			z.dense[dQWord]++
		}
		if r&rAddress != 0 && !afterNum {
			z.dense[dAddress]++
		}
		if r&rYou != 0 {
			z.dense[dYou]++
		}
		if r&rAccuse != 0 && !neg {
			z.dense[dAccuse]++
		}
		if r&rPhrase == 0 {
			continue
		}
		for _, pi := range m.phrOf[t.e] {
			p := &m.phr[pi]
			if !m.matchAt(p, toks, i) {
				continue
			}
			switch p.cat {
			case catThreat:
				z.threats |= 1 << uint(p.threat)
			case catFollowUp:
				z.followUp = true
			case catPrivate:
				z.private = true
			}
		}
	}
	z.dense[dProblem] = float64(problem)
	// A very short question to the agent is a nudge: "min?", "halo kak?".
	if z.addrQuest || (z.words <= 3 && z.dense[dAddress] > 0 && z.quest > 0 && problem == 0) {
		z.followUp = true
	}

	d := &z.dense
	d[dLexPos] = math.Log1p(z.lexPos)
	d[dLexNeg] = math.Log1p(z.lexNeg)
	d[dPosWords] = log1pInt(z.posWords)
	d[dNegWords] = log1pInt(z.negWords)
	d[dMaxPos] = z.maxPos / 4
	d[dMaxNeg] = z.maxNeg / 4
	d[dNegatedPos] = log1pInt(z.negPos)
	d[dNegatedNeg] = log1pInt(z.negNeg)
	if neg := z.lexNeg + z.emoNeg; neg > 0 {
		n := math.Log1p(neg)
		d[dNegXYou] = n * b2f(d[dYou] > 0)
		d[dNegXDomain] = n * b2f(d[dDomain] > 0)
		d[dNegXCS] = n * b2f(z.csHandle)
	}
	d[dEmoPos] = math.Log1p(z.emoPos)
	d[dEmoNeg] = math.Log1p(z.emoNeg)
	d[dExcl] = log1pInt(z.excl)
	d[dQuest] = log1pInt(z.quest)
	d[dShout] = log1pInt(z.shouts)
	d[dElong] = log1pInt(z.elong)
	d[dCSHandle] = b2f(z.csHandle)
	d[dURL] = b2f(z.urls > 0)
	d[dHashtags] = log1pInt(z.hashtags)
	for _, k := range [...]int{dNegs, dProblem, dRequest, dAgain, dDomain, dQWord, dAddress, dYou, dAccuse, dExcess, dShould} {
		d[k] = log1pInt(int(d[k]))
	}
	d[dThreat] = b2f(z.threats != 0)
	d[dFollowUp] = b2f(z.followUp)
	d[dPrivate] = b2f(z.private)
	d[dSarcasm] = b2f(z.sarc >= 0)
	d[dWords] = log1pInt(z.words) / 3
}

// findSarcasm finds praise that a problem turns sour: a praise word among
// the first two words, closed by punctuation or an emoji, then a problem
// that recurs or hurts ("mantap, paket hilang lagi", "Great, another
// delay"). It returns the praise token's index, or -1.
func (z *scratch) findSarcasm(m *Model) int {
	cand, words := -1, 0
	var problem, sour bool
	for i := range z.toks {
		t := &z.toks[i]
		if t.kind != kWord {
			continue
		}
		words++
		if t.e < 0 {
			continue
		}
		e := &m.ents[t.e]
		if cand < 0 && words <= 2 && e.roles&rPraise != 0 && i+1 < len(z.toks) {
			if k := z.toks[i+1].kind; k == kBreak || k == kExcl || k == kEmoji {
				cand = i
				continue
			}
		}
		if cand >= 0 {
			problem = problem || e.roles&rProblem != 0
			sour = sour || e.roles&rAgain != 0 || e.val < -0.5
		}
	}
	if cand >= 0 && problem && sour {
		return cand
	}
	return -1
}

// log1pTab holds log(1+n) for the small counts the features use.
var log1pTab = func() (t [64]float64) {
	for i := range t {
		t[i] = math.Log1p(float64(i))
	}
	return
}()

func log1pInt(n int) float64 {
	if n >= 0 && n < len(log1pTab) {
		return log1pTab[n]
	}
	return math.Log1p(float64(n))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// language decides the text's language from the evidence scan gathered
// and the platform's hint. It returns the language and the share of
// Indonesian evidence among English and Indonesian (for code-mixing).
func (z *scratch) language(hint string) (Lang, float64) {
	if z.nonLatin > z.latin {
		return LangOther, 0 // Japanese, Thai, Arabic, Cyrillic...
	}
	en, id, ot := z.en, z.id, z.ot+float64(z.foreignWords)
	switch hint {
	case "en":
		en += 0.5
	case "id", "in", "ms":
		id += 0.5
	case "":
	default:
		if len(hint) >= 2 {
			ot += 0.5 // the platform says it is another language
		}
	}
	if ot >= 1 && ot > en+id {
		return LangOther, 0
	}
	if en+id < 0.5 {
		return LangOther, 0 // nothing we can read: "asdf", or emoji only without a hint
	}
	share := id / (en + id)
	if id > en {
		return LangID, share
	}
	return LangEN, share
}

package alerting

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The tokenizer turns a post into words, numbers, emoji and the punctuation
// that matters for tone. It runs for every mention, so it is a hand-written
// scanner (no regexp) that writes normalized text into a reused buffer:
// tokens are byte ranges of that buffer, and lexicon lookups index the map
// with string(bytes), which Go does without allocating.

// Limits on hostile or huge input: a post longer than this is judged by its
// beginning, which is where people say what is wrong.
const (
	maxScoredBytes = 8 << 10
	maxTokens      = 2048
)

type tokKind uint8

const (
	tWord     tokKind = iota // letters (and inner apostrophes)
	tNum                     // digits
	tEmoji                   // one emoji, modifiers dropped
	tQuestion                // a run of '?'
	tExclaim                 // a run of '!'
	tBreak                   // clause boundary: , . ; : newline, title/text
)

type token struct {
	kind  tokKind
	shout bool  // a word of 4+ letters written in capitals
	n     int32 // run length of ? and !
	s, e  int32 // normalized bytes: scratch.norm[s:e]
	elong int32 // norm offset of the first collapsed letter run, -1 if none
	ent   *entry
}

// scratch holds the per-call buffers; TextScorer pools them.
type scratch struct {
	norm []byte
	alt  []byte
	toks []token
	// Letters seen, by script: text mostly in another script is not scored.
	latin, nonLatin int
	budget          int

	contribs []contrib
	spans    [nSpanKinds][]span
}

func (z *scratch) reset() {
	z.norm = z.norm[:0]
	z.toks = z.toks[:0]
	z.latin, z.nonLatin = 0, 0
	z.budget = maxScoredBytes
	z.contribs = z.contribs[:0]
	for i := range z.spans {
		z.spans[i] = z.spans[i][:0]
	}
}

// text returns a token's normalized text. The result aliases the buffer:
// use it for comparisons and map lookups only.
func (z *scratch) text(t *token) []byte { return z.norm[t.s:t.e] }

// tokenize appends the tokens of s. Call it for the title, then the text;
// a clause break separates them.
func (z *scratch) tokenize(lx *lexicon, s string) {
	if len(s) > z.budget {
		s = s[:z.budget] // a cut rune at the end decodes as RuneError: harmless
	}
	z.budget -= len(s)
	z.addBreak()
	prevWord := false // the previous rune belonged to a word (for '@' and URLs)
	for i := 0; i < len(s) && len(z.toks) < maxTokens; {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '@':
			// A handle, or the domain of an e-mail address: names, not tone.
			i = skipHandle(s, i+size)
			continue
		case (r == 'h' || r == 'H' || r == 'w' || r == 'W') && !prevWord && isURL(s[i:]):
			i = skipNonSpace(s, i)
			continue
		case isEmojiModifier(r):
			// Skin tones, variation selectors and joiners belong to the
			// emoji before them. (Checked before letters: U+FE0F is a mark.)
		case isLetter(r) || isDigit(r):
			i = z.word(lx, s, i)
			prevWord = true
			continue
		case isEmoji(r):
			st := int32(len(z.norm))
			z.norm = utf8.AppendRune(z.norm, r)
			t := token{kind: tEmoji, s: st, e: int32(len(z.norm)), elong: -1}
			t.ent = lx.words[string(z.norm[st:])]
			z.push(t)
		case r == '?' || r == '？':
			z.addPunct(tQuestion)
		case r == '!' || r == '！':
			z.addPunct(tExclaim)
		case r == ',' || r == '.' || r == ';' || r == ':' || r == '\n' || r == '…' || r == '(' || r == ')' ||
			r == '[' || r == ']' || r == '"' || r == '“' || r == '”' || r == '。' || r == '、':
			z.addBreak()
		}
		prevWord = false
		i += size
	}
}

// push appends a token unless the cap is reached.
func (z *scratch) push(t token) {
	if len(z.toks) < maxTokens {
		z.toks = append(z.toks, t)
	}
}

func (z *scratch) addBreak() {
	if n := len(z.toks); n == 0 || z.toks[n-1].kind == tBreak {
		return
	}
	z.push(token{kind: tBreak, elong: -1})
}

func (z *scratch) addPunct(k tokKind) {
	if n := len(z.toks); n > 0 && z.toks[n-1].kind == k {
		z.toks[n-1].n++
		return
	}
	z.push(token{kind: k, n: 1, elong: -1})
}

// word scans a run of letters, digits and inner apostrophes starting at i,
// emitting one token per letter or digit part ("3hari" is "3" and "hari"),
// and returns where the run ends.
func (z *scratch) word(lx *lexicon, s string, i int) int {
	var (
		cur          tokKind // tWord or tNum
		start        = int32(len(z.norm))
		upper, lower int
		last         rune = -1
		run          int
		elong        int32 = -1
		open         bool
	)
	end := func() {
		if !open {
			return
		}
		t := token{kind: cur, s: start, e: int32(len(z.norm)), elong: elong}
		if cur == tWord {
			t.shout = upper >= 4 && lower == 0
			t.ent = z.lookup(lx, &t)
		}
		z.push(t)
		open = false
	}
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		var k tokKind
		switch {
		case isLetter(r):
			k = tWord
		case isDigit(r):
			k = tNum
		case isApostrophe(r) && open && cur == tWord && i+size < len(s):
			// Keep apostrophes inside words: "don't", "where's".
			if nr, _ := utf8.DecodeRuneInString(s[i+size:]); isLetter(nr) {
				z.norm = append(z.norm, '\'')
				last, run = -1, 0
				i += size
				continue
			}
			end()
			return i
		default:
			end()
			return i
		}
		if open && k != cur {
			// Indonesian reduplication written with a 2: "lama2", "barang2".
			if cur == tWord && r == '2' {
				nr, _ := utf8.DecodeRuneInString(s[i+size:])
				if i+size >= len(s) || (!isLetter(nr) && !isDigit(nr)) {
					end()
					return i + size
				}
			}
			end()
		}
		if !open {
			open, cur, start = true, k, int32(len(z.norm))
			upper, lower, last, run, elong = 0, 0, -1, 0, -1
		}
		if k == tWord {
			r = z.caseAndScript(r, &upper, &lower)
			// Collapse elongation: three or more of the same letter become
			// one ("parahhh" -> "parah", "sooo" -> "so"). The lookup tries
			// a doubled letter too ("gooood" -> "good").
			if r == last {
				run++
				if run == 3 {
					z.norm = z.norm[:len(z.norm)-utf8.RuneLen(r)]
					if elong < 0 {
						elong = int32(len(z.norm) - utf8.RuneLen(r))
					}
				}
				if run >= 3 {
					i += size
					continue
				}
			} else {
				last, run = r, 1
			}
		}
		z.norm = utf8.AppendRune(z.norm, r)
		i += size
	}
	end()
	return i
}

// caseAndScript lowercases r, counting its case (for SHOUTING) and its
// script (for language detection).
func (z *scratch) caseAndScript(r rune, upper, lower *int) rune {
	if r < utf8.RuneSelf {
		switch {
		case 'A' <= r && r <= 'Z':
			*upper++
			r += 'a' - 'A'
		case 'a' <= r && r <= 'z':
			*lower++
		}
		z.latin++
		return r
	}
	if unicode.IsMark(r) {
		return r
	}
	if unicode.Is(unicode.Latin, r) {
		z.latin++
	} else {
		z.nonLatin++
	}
	switch {
	case unicode.IsUpper(r):
		*upper++
		return unicode.ToLower(r)
	case unicode.IsLower(r):
		*lower++
	}
	return r
}

// lookup finds a word's lexicon entry, trying informal variations when the
// spelling itself is unknown.
func (z *scratch) lookup(lx *lexicon, t *token) *entry {
	w := z.text(t)
	e := lx.words[string(w)]
	if t.elong >= 0 {
		// "toooo" collapsed to "to", a plain function word; "too" is the
		// word that was stretched. Prefer the doubled spelling when it
		// means something.
		if e == nil || (e.val == 0 && e.f&(fInt|fNeg|fDamp) == 0) {
			if e2 := z.lookupDoubled(lx, t); e2 != nil {
				// The token is the last text in norm (lookup runs as each
				// word ends): take the doubled spelling, so reasons quote
				// "good", not "god".
				if int(t.e) == len(z.norm) {
					z.norm = append(z.norm[:t.s], z.alt...)
					t.e = int32(len(z.norm))
				}
				return e2
			}
		}
	}
	if e != nil {
		return e
	}
	n := len(w)
	// "bangett", "kecewaa": a doubled last letter.
	if n >= 4 && w[n-1] == w[n-2] && w[n-1] < utf8.RuneSelf {
		if e := lx.words[string(w[:n-1])]; e != nil {
			return e
		}
	}
	// Indonesian suffixes: "paketnya", "pesananku", "tolonglah", "bisakah".
	for _, suf := range [...]string{"nya", "lah", "kah", "ku", "mu"} {
		if n > len(suf)+2 && hasSuffix(w, suf) {
			if e := lx.words[string(w[:n-len(suf)])]; e != nil && e.f&fEN == 0 {
				return e
			}
		}
	}
	// English plurals and verbs: "refunds", "delays".
	if n > 3 && w[n-1] == 's' {
		if e := lx.words[string(w[:n-1])]; e != nil && e.f&fID == 0 {
			return e
		}
	}
	// Unlisted contractions: "mustn't", "shan't".
	if n > 3 && hasSuffix(w, "n't") {
		return lx.negEN
	}
	return nil
}

// lookupDoubled looks the word up with its collapsed letter doubled.
func (z *scratch) lookupDoubled(lx *lexicon, t *token) *entry {
	w := z.text(t)
	p := int(t.elong - t.s)
	r, size := utf8.DecodeRune(w[p:])
	z.alt = append(z.alt[:0], w[:p+size]...)
	z.alt = utf8.AppendRune(z.alt, r)
	z.alt = append(z.alt, w[p+size:]...)
	return lx.words[string(z.alt)]
}

func hasSuffix(w []byte, suf string) bool {
	return len(w) >= len(suf) && string(w[len(w)-len(suf):]) == suf
}

func isLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}
	return unicode.IsLetter(r) || unicode.IsMark(r)
}

func isDigit(r rune) bool {
	if r < utf8.RuneSelf {
		return '0' <= r && r <= '9'
	}
	return unicode.IsDigit(r)
}

func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == 'ʼ' || r == '`' }

// isEmoji covers the pictographic blocks people use in posts.
func isEmoji(r rune) bool {
	return r >= 0x1F000 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF || r >= 0x2300 && r <= 0x23FF ||
		r == 0x2B50 || r == 0x2B55 || r == 0x2B06 || r == 0x2B07
}

// isEmojiModifier is true for the parts of an emoji sequence that do not
// change its meaning here: variation selectors, the zero-width joiner,
// skin tones and the keycap mark.
func isEmojiModifier(r rune) bool {
	return r == 0xFE0F || r == 0xFE0E || r == 0x200D || r == 0x20E3 || r >= 0x1F3FB && r <= 0x1F3FF
}

func isURL(s string) bool {
	return hasPrefixFold(s, "http://") || hasPrefixFold(s, "https://") || hasPrefixFold(s, "www.")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// skipHandle skips a @handle (Mastodon's @user@host included): handles name
// people and brands, they say nothing about tone.
func skipHandle(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !(isLetter(r) || isDigit(r) || r == '_' || r == '.' || r == '-' || r == '@') {
			break
		}
		i += size
	}
	return i
}

func skipNonSpace(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			break
		}
		i += size
	}
	return i
}

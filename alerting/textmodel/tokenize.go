package textmodel

import (
	"unicode"
	"unicode/utf8"
)

// The tokenizer is a hand-written scanner (no regexp: it runs for every
// mention). It writes each word lower-cased into a reused buffer, hashes
// it, and resolves it through the model's table: informal spellings become
// their canonical word ("bgt" -> "banget", "gabisa" -> "tidak bisa"),
// elongations collapse ("parahhh" -> "parah", "sooo good" -> "so good"),
// the Indonesian suffix "-nya" and the reduplication digit ("hati2") come
// off. Handles and URLs are skipped but counted: they name people and
// links, not tone, and copying them into features would leak text.

// Limits on hostile or huge input. A post longer than maxBytes is judged by
// its beginning, which is where people say what is wrong.
const (
	maxBytes  = 8 << 10
	maxTokens = 1024
)

type tokKind uint8

const (
	kWord  tokKind = iota // a word (letters, with digits inside: "b4", "k212")
	kNum                  // a number: its feature text is "#"
	kEmoji                // an emoji or an emoticon
	kQuest                // a run of '?'
	kExcl                 // a run of '!'
	kBreak                // a clause boundary: , . ; : newline brackets quotes
)

// Token flags.
const (
	tfShout uint8 = 1 << iota // written in capitals, 3+ letters, not an acronym
	tfElong                   // stretched: "parahhh"
	tfNeg                     // in the scope of a negator
	tfHash                    // from a hashtag
	tfSarc                    // praise before a problem: read as its opposite
)

type tok struct {
	h    uint64 // hash of the canonical text
	e    int32  // entry index, -1 when the word is unknown
	s    int32  // canonical text in scratch.norm[s:t]; s < 0: the entry's name
	t    uint16 // (norm is at most a few times maxBytes: fits)
	n    int16  // run length of ?/! (capped)
	kind tokKind
	fl   uint8
}

// hashNum is the key of every number: "3 hari" and "5 hari" are one pair.
var hashNum = hashString("#")

// tokenize appends the tokens of s.
func (z *scratch) tokenize(m *Model, s string) {
	if len(s) > maxBytes {
		s = s[:maxBytes] // a cut rune at the end decodes as RuneError: harmless
	}
	for i := 0; i < len(s) && len(z.toks) < maxTokens; {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case isASCIILetter(c) || isDigit(c):
				if (c|0x20 == 'h' || c|0x20 == 'w' || c|0x20 == 'p') && (i == 0 || !isWordByte(s[i-1])) && isURL(s[i:]) {
					z.urls++
					i = skipNonSpace(s, i)
					continue
				}
				i = z.word(m, s, i, false)
			case c == '@':
				i = z.handle(s, i+1)
			case c == '#':
				if i+1 < len(s) && (isASCIILetter(s[i+1]) || s[i+1] >= utf8.RuneSelf) {
					z.hashtags++
					i = z.word(m, s, i+1, true)
				} else {
					i++
				}
			case c == '!':
				z.punct(kExcl)
				i++
			case c == '?':
				z.punct(kQuest)
				i++
			case c == ':' || c == ';' || c == '=' || c == '<':
				if n := z.emoticon(m, s, i); n > 0 {
					i += n
					continue
				}
				if c != '<' && c != '=' {
					z.brk()
				}
				i++
			case c == ',' || c == '.' || c == '\n' || c == '(' || c == ')' || c == '[' || c == ']' || c == '"' || c == '/' || c == '|':
				z.brk()
				i++
			default:
				i++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isEmojiModifier(r):
			i += size
		case isEmoji(r): // before IsLetter: a range test, not a table search
			st := int32(len(z.norm))
			z.norm = utf8.AppendRune(z.norm, r)
			h := hashBytes(z.norm[st:])
			z.push(tok{h: h, e: m.tab.get(h), s: st, t: uint16(len(z.norm)), kind: kEmoji})
			i += size
		case unicode.IsLetter(r):
			i = z.word(m, s, i, false)
		case r == '？':
			z.punct(kQuest)
			i += size
		case r == '！':
			z.punct(kExcl)
			i += size
		case r == '…' || r == '。' || r == '、' || r == '“' || r == '”' || r == '，':
			z.brk()
			i += size
		default:
			i += size
		}
	}
	z.brk()
}

func (z *scratch) push(t tok) {
	if len(z.toks) < maxTokens {
		z.toks = append(z.toks, t)
	}
}

func (z *scratch) brk() {
	if n := len(z.toks); n == 0 || z.toks[n-1].kind == kBreak {
		return
	}
	z.push(tok{kind: kBreak, e: -1})
}

func (z *scratch) punct(k tokKind) {
	if n := len(z.toks); n > 0 && z.toks[n-1].kind == k {
		if z.toks[n-1].n < 1000 {
			z.toks[n-1].n++
		}
		return
	}
	z.push(tok{kind: k, n: 1, e: -1})
}

// handle skips a @handle (Mastodon's @user@host too) and notes what it
// tells without its text: that the post addresses someone, at the start or
// not, and whether the handle looks like a customer-service account
// ("@XHelp", "@AskX", "@XCare", "@XSupport").
func (z *scratch) handle(s string, i int) int {
	var buf [48]byte
	n := 0
	for i < len(s) {
		c := s[i]
		if !(isASCIILetter(c) || isDigit(c) || c == '_' || c == '.' || c == '@') {
			break
		}
		if n < len(buf) {
			buf[n] = c | 0x20 // lower case letters; digits and '_' are unaffected in the tests below
			n++
		}
		i++
	}
	if n == 0 {
		return i
	}
	z.handles++
	b := buf[:n]
	if containsASCII(b, "help") || containsASCII(b, "support") || containsASCII(b, "care") ||
		containsASCII(b, "service") || hasPrefixASCII(b, "ask") || hasSuffixASCII(b, "cs") {
		z.csHandle = true
	}
	return i
}

// word scans a word starting at i and returns where it ends. In a hashtag
// a capital after a small letter starts a new word: "#WouldNotRecommend"
// reads as three words.
func (z *scratch) word(m *Model, s string, i int, hashtag bool) int {
	for {
		j := z.oneWord(m, s, i, hashtag)
		if j == i {
			return i + 1 // nothing consumed: never loop
		}
		i = j
		if !hashtag || i >= len(s) {
			return i
		}
		c := s[i]
		if !(isASCIIUpper(c) || isDigit(c)) {
			return i
		}
	}
}

func (z *scratch) oneWord(m *Model, s string, i int, hashtag bool) int {
	start := len(z.norm)
	var (
		upper, lower int
		last         rune = -1
		run          int
		elong        bool
		digits       int
		letters      int
		ascii        int  // ASCII letters, for the script count
		foreign      bool // a Latin letter with a diacritic: not English, not Indonesian
	)
	j := i
	// Fast path: a run of lower-case ASCII letters with no letter three
	// times in a row is copied and hashed as a whole.
	var p1, p2 byte
	for j < len(s) {
		c := s[j]
		if c < 'a' || c > 'z' || c == p1 && c == p2 {
			break
		}
		p2, p1 = p1, c
		j++
	}
	z.norm = append(z.norm, s[i:j]...)
	h := hashString(s[i:j])
	if letters = j - i; letters > 0 {
		last, run = rune(p1), 1
		if p1 == p2 {
			run = 2
		}
	}
	lower, ascii = letters, letters
	fastLen := len(z.norm)
	for j < len(s) {
		r, size := rune(s[j]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[j:])
		}
		switch {
		case r < utf8.RuneSelf && isASCIILetter(byte(r)):
			if digits > 0 && letters == 0 {
				// "3hari": the number ends where the letters begin.
				goto done
			}
			if 'A' <= r && r <= 'Z' {
				if hashtag && lower > 0 && letters > 0 && s[j-1] >= 'a' && s[j-1] <= 'z' {
					goto done
				}
				upper++
				r += 'a' - 'A'
			} else {
				lower++
			}
			letters++
			ascii++
		case r < utf8.RuneSelf && isDigit(byte(r)):
			if letters > 0 && r == '2' && (j+1 >= len(s) || !isWordByte(s[j+1])) && digits == 0 {
				// Indonesian reduplication written with a 2: "hati2", "lama2".
				j++
				goto done
			}
			if hashtag && letters > 0 {
				goto done
			}
			digits++
			last, run = -1, 0
			z.norm = append(z.norm, byte(r))
			j++
			continue
		case r == '\'' || r == '’':
			// Inner apostrophes go: "don't" is "dont".
			if letters > 0 && j+size < len(s) && isASCIILetter(s[j+size]) {
				j += size
				continue
			}
			goto done
		case r >= utf8.RuneSelf && unicode.IsLetter(r):
			if unicode.Is(unicode.Latin, r) {
				z.latin++
				foreign = true
			} else {
				z.nonLatin++
			}
			if unicode.IsUpper(r) {
				upper++
				r = unicode.ToLower(r)
			} else {
				lower++
			}
			letters++
		case r >= utf8.RuneSelf && unicode.IsMark(r):
			// combining accents stay with their letter
		default:
			goto done
		}
		// Elongation: a letter three or more times in a row is kept twice
		// here; finish decides between "good" and "parah".
		if r == last && letters > 0 {
			run++
			if run >= 3 {
				elong = true
				j += size
				continue
			}
		} else {
			last, run = r, 1
		}
		if r < utf8.RuneSelf {
			z.norm = append(z.norm, byte(r))
		} else {
			z.norm = utf8.AppendRune(z.norm, r)
		}
		j += size
	}
done:
	if len(z.norm) == start {
		return j
	}
	z.latin += ascii
	if len(z.norm) != fastLen {
		h = hashBytes(z.norm[start:])
	}
	z.finish(m, start, h, s[i:j], upper, lower, letters, digits, elong, hashtag, foreign)
	return j
}

// finish turns the bytes norm[start:] (whose hash is h) into tokens.
func (z *scratch) finish(m *Model, start int, h uint64, raw string, upper, lower, letters, digits int, elong, hashtag, foreign bool) {
	w := z.norm[start:]
	if letters == 0 {
		z.norm = z.norm[:start]
		z.push(tok{h: hashNum, e: m.numE, s: -1, kind: kNum})
		return
	}
	z.words++
	e := m.tab.getDirect(h) // most words are known: the filter would cost a cache line
	var fl uint8
	if elong {
		fl |= tfElong
		if e < 0 || m.ents[e].roles&rLex == 0 {
			// A word that really has three letters in a row ("BBB", "www")
			// is looked up as written first.
			if len(raw) <= 16 {
				var b [16]byte
				n := 0
				for k := 0; k < len(raw); k++ {
					if c := raw[k]; isASCIILetter(c) {
						b[n] = c | 0x20
						n++
					}
				}
				if h2 := hashBytes(b[:n]); n == len(raw) {
					if e2 := m.tab.get(h2); e2 >= 0 && m.ents[e2].roles&rLex != 0 {
						z.norm = append(z.norm[:start], b[:n]...)
						w, h, e = z.norm[start:], h2, e2
						goto resolved
					}
				}
			}
			// "parahh" is no word: collapse every doubled letter
			// ("parah", "kecewaaa" -> "kecewa"). A word with a real double
			// letter and a stretch loses both ("tungguuu" -> "tungu"); the
			// lexicon check above saves the common English ones ("good").
			w = collapseDoubles(w)
			z.norm = append(z.norm[:start], w...)
			w = z.norm[start:]
			h = hashBytes(w)
			e = m.tab.get(h)
		}
	}
resolved:
	// "-nya" ("the/its") comes off Indonesian words: "paketnya" is "paket".
	if n := len(w); n >= 6 && w[n-3] == 'n' && w[n-2] == 'y' && w[n-1] == 'a' && (e < 0 || m.ents[e].roles&rLex == 0) && !nyaKeep(w) {
		z.norm = z.norm[:start+n-3]
		w = z.norm[start:]
		h = hashBytes(w)
		e = m.tab.get(h)
	}
	if upper >= 4 && lower == 0 && !(e >= 0 && m.ents[e].roles&rAcronym != 0) {
		fl |= tfShout
	}
	if hashtag {
		fl |= tfHash
	}
	if foreign && (e < 0 || m.ents[e].roles&rLex == 0) {
		z.foreignWords++
	}
	if e >= 0 && m.ents[e].alias >= 0 {
		// An informal spelling: emit its canonical word(s).
		z.norm = z.norm[:start]
		al := &m.aliases[m.ents[e].alias]
		for k, c := range al.e {
			if c >= 0 {
				z.push(tok{h: al.h[k], e: c, s: -1, kind: kWord, fl: fl})
			}
		}
		return
	}
	if e >= 0 && m.ents[e].roles&rPraise != 0 {
		z.praise = true
	}
	z.push(tok{h: h, e: e, s: int32(start), t: uint16(len(z.norm)), kind: kWord, fl: fl})
}

// collapseDoubles replaces every doubled letter by one. It runs only on
// words that were stretched and are not in the lexicon as they stand.
func collapseDoubles(w []byte) []byte {
	out := w[:0]
	for i := 0; i < len(w); i++ {
		if i > 0 && w[i] == w[i-1] && w[i] < utf8.RuneSelf {
			continue
		}
		out = append(out, w[i])
	}
	return out
}

// nyaKeep lists words that end in "nya" without the suffix.
func nyaKeep(w []byte) bool {
	switch string(w) {
	case "bertanya", "ditanya", "tanyanya", "punyanya", "hanyanya", "kenya", "sanya", "tonya", "sonya", "anya":
		return true
	}
	return false
}

// emoticon reads an ASCII emoticon at s[i:] (":)", ":-(", ":'(", ";D",
// "=)", "<3", "</3") and returns its length, 0 when there is none. The
// canonical form drops the nose and repeats: ":-)))" is ":)".
func (z *scratch) emoticon(m *Model, s string, i int) int {
	if i > 0 && isWordByte(s[i-1]) {
		return 0 // "10:30", "http:"
	}
	var buf [4]byte
	key, n := canonEmoticon(s[i:], buf[:0])
	if n == 0 {
		return 0
	}
	h := hashBytes(key)
	e := m.tab.get(h)
	if e < 0 {
		return 0
	}
	z.push(tok{h: h, e: e, s: -1, kind: kEmoji})
	return n
}

// canonEmoticon returns the canonical form of the emoticon at the start of
// s and how many bytes it spans. Parse uses it on the lexicon's emoticons,
// so both sides agree.
func canonEmoticon(s string, buf []byte) ([]byte, int) {
	if len(s) >= 2 && s[0] == '<' {
		if s[1] == '3' {
			return append(buf, '<', '3'), 2
		}
		if len(s) >= 3 && s[1] == '/' && s[2] == '3' {
			return append(buf, '<', '/', '3'), 3
		}
		return nil, 0
	}
	if len(s) < 2 {
		return nil, 0
	}
	eyes := s[0]
	switch eyes {
	case ':', '=':
		eyes = ':'
	case ';':
	default:
		return nil, 0
	}
	j := 1
	tear := false
	for j < len(s) && (s[j] == '-' || s[j] == '\'' || s[j] == '^' || s[j] == 'o') && j < 3 {
		if s[j] == '\'' {
			tear = true
		}
		j++
	}
	if j >= len(s) {
		return nil, 0
	}
	mouth := s[j]
	switch mouth {
	case ')', '(', 'D', 'P', 'p', '/', '\\', '|', '[', ']', '*', '3', '$', '@', 'O', 'S', 's', 'x', 'X', '{', '}', '>', '<':
	default:
		return nil, 0
	}
	if mouth == 'p' {
		mouth = 'P'
	}
	j++
	// A letter right after the mouth is a word (":Daily"), not a face.
	if (mouth == 'D' || mouth == 'P' || mouth == 'S' || mouth == 's' || mouth == 'x' || mouth == 'X' || mouth == 'O') && j < len(s) && isASCIILetter(s[j]) {
		return nil, 0
	}
	for j < len(s) && s[j] == s[j-1] {
		j++
	}
	buf = append(buf, eyes)
	if tear {
		buf = append(buf, '\'')
	}
	return append(buf, mouth), j
}

func isASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isASCIIUpper(c byte) bool  { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool       { return '0' <= c && c <= '9' }
func isWordByte(c byte) bool    { return isASCIILetter(c) || isDigit(c) || c == '_' || c >= utf8.RuneSelf }

func isURL(s string) bool {
	return hasPrefixFold(s, "http://") || hasPrefixFold(s, "https://") || hasPrefixFold(s, "www.") || hasPrefixFold(s, "pic.twitter.com")
}

func hasPrefixFold(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if s[i]|0x20 != p[i]|0x20 {
			return false
		}
	}
	return true
}

func skipNonSpace(s string, i int) int {
	for i < len(s) && s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '\r' {
		i++
	}
	return i
}

func containsASCII(b []byte, p string) bool {
	for i := 0; i+len(p) <= len(b); i++ {
		if string(b[i:i+len(p)]) == p {
			return true
		}
	}
	return false
}

func hasPrefixASCII(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }
func hasSuffixASCII(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[len(b)-len(p):]) == p
}

// isEmoji covers the emoji blocks (pictographs, emoticons, transport,
// symbols, dingbats). Flags (regional indicators) are left out: they say
// where, not how someone feels.
func isEmoji(r rune) bool {
	return r >= 0x1F300 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF || r >= 0x2300 && r <= 0x23FF ||
		r == 0x2B50 || r == 0x2B55 || r == 0x1F004 || r == 0x1F0CF || r >= 0x1F170 && r <= 0x1F251
}

// isEmojiModifier is true for the parts of an emoji sequence that do not
// change its meaning here: variation selectors, the zero-width joiner,
// skin tones, the keycap mark, regional indicators.
func isEmojiModifier(r rune) bool {
	return r == 0xFE0F || r == 0xFE0E || r == 0x200D || r == 0x20E3 || r >= 0x1F3FB && r <= 0x1F3FF || r >= 0x1F1E6 && r <= 0x1F1FF
}

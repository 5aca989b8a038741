package collectors

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// matchAll is the keyword that keeps every item ("keywords: ['*']"), for
// feeds that are about the brand by construction.
const matchAll = "*"

// indonesianClitics may follow a word without a space: "Gojeknya telat"
// (its Gojek), "BCAku" (my BCA), "Tokopedia-pun". A strict word boundary
// would miss the most common way Indonesians write about a brand, so a
// keyword followed by one of these still matches.
var indonesianClitics = []string{"nya", "ku", "mu", "lah", "kah", "pun"}

// keywordMatcher finds whole-word keywords in text, ignoring case, with
// Unicode-aware word boundaries.
type keywordMatcher struct {
	all   bool
	terms []string // lower-cased, whitespace collapsed
}

func newKeywordMatcher(keywords []string) *keywordMatcher {
	m := &keywordMatcher{}
	for _, k := range keywords {
		k = normalizeForMatch(k)
		switch {
		case k == "":
		case k == matchAll:
			m.all = true
		default:
			m.terms = append(m.terms, k)
		}
	}
	return m
}

// empty reports whether the matcher can match nothing.
func (m *keywordMatcher) empty() bool { return !m.all && len(m.terms) == 0 }

// match returns the first keyword found in any of texts ("*" when the
// matcher keeps everything), or "".
func (m *keywordMatcher) match(texts ...string) string {
	if m.all {
		return matchAll
	}
	for _, t := range texts {
		t = normalizeForMatch(t)
		for _, k := range m.terms {
			if containsWord(t, k) {
				return k
			}
		}
	}
	return ""
}

// normalizeForMatch lower-cases s and collapses its whitespace, so
// "Acme  Bank" and "acme\nbank" match the keyword "acme bank".
func normalizeForMatch(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// containsWord reports whether kw occurs in text (both normalised) with a
// word boundary on each side. A boundary is only required where the keyword
// itself starts or ends with a word character (of a script that separates
// words with spaces), so "#acme" and "@acme_id" work as written.
func containsWord(text, kw string) bool {
	first, _ := utf8.DecodeRuneInString(kw)
	last, _ := utf8.DecodeLastRuneInString(kw)
	for from := 0; from <= len(text)-len(kw); {
		i := strings.Index(text[from:], kw)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(kw)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		okStart := start == 0 || !needsBoundary(first) || !isWordRune(before)
		if okStart && (!needsBoundary(last) || wordEndsAt(text, end)) {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		from = start + size
	}
	return false
}

// wordEndsAt reports whether a word may end at text[i:]: end of text, a
// non-word character, or an Indonesian clitic followed by one of those.
func wordEndsAt(text string, i int) bool {
	if boundaryAt(text, i) {
		return true
	}
	for _, c := range indonesianClitics {
		if strings.HasPrefix(text[i:], c) && boundaryAt(text, i+len(c)) {
			return true
		}
	}
	return false
}

func boundaryAt(text string, i int) bool {
	if i >= len(text) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return !isWordRune(r)
}

// needsBoundary reports whether a keyword starting or ending with r must
// sit on a word boundary there. Scripts written without spaces between words
// (Chinese, Japanese, Thai...) have no boundary to look for: "楽天のアプリ"
// mentions 楽天.
func needsBoundary(r rune) bool {
	return isWordRune(r) && !unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar)
}

// isWordRune is the Unicode notion of a word character: letters (any
// script), digits, combining marks (part of the letter before them) and the
// underscore used in handles.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)
}

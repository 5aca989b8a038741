package textmodel

import (
	_ "embed"
	"fmt"
	"hash/fnv"
	"strings"
)

// Translate-train: English has about 700 tweets with sentiment labels, all
// of them addressed to brands; Indonesian has SmSA, 11,000 labeled reviews
// and comments. The train command turns SmSA train into pseudo-English,
// word by word through a glossary written for Pantau
// (glossary_id_en.tsv), and fits an English sentiment head on it, so that
// the English head knows how English words of opinion are used in reviews
// ("tasty", "not very fresh", "overpriced", "disappointed"). The
// translation is crude (no reordering, no inflection): the head reads
// words, negation and intensifiers, which survive it. The glossary is a
// training input only; the shipped model carries the weights it led to.

//go:embed glossary_id_en.tsv
var glossaryTSV string

// glossary maps an Indonesian word (or a two-word phrase) to its English
// renderings, each one or more words; an empty rendering drops the word.
type glossary map[string][][]string

// parseGlossary reads "indonesian<TAB>english" lines; "-" as the English
// drops the word, "=" keeps it as it is (names, loan words), and "a|b|c"
// lists renderings to alternate between, so that the English head meets
// the synonyms a writer would use ("tasty|delicious").
func parseGlossary(s string) (glossary, error) {
	g := glossary{}
	for n, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		id, en, ok := strings.Cut(line, "\t")
		id, en = strings.TrimSpace(id), strings.TrimSpace(en)
		if !ok || id == "" || en == "" {
			return nil, fmt.Errorf("glossary line %d: want indonesian<TAB>english, got %q", n+1, line)
		}
		if _, dup := g[id]; dup {
			return nil, fmt.Errorf("glossary line %d: %q twice", n+1, id)
		}
		var alts [][]string
		for _, a := range strings.Split(en, "|") {
			switch a = strings.TrimSpace(a); a {
			case "":
				return nil, fmt.Errorf("glossary line %d: an empty rendering in %q", n+1, line)
			case "-":
				alts = append(alts, []string{})
			case "=":
				alts = append(alts, []string{id})
			default:
				alts = append(alts, strings.Fields(a))
			}
		}
		g[id] = alts
	}
	return g, nil
}

var defaultGlossary = func() glossary {
	g, err := parseGlossary(glossaryTSV)
	if err != nil {
		panic(err)
	}
	return g
}()

// translateOptions say what to do with words the glossary lacks.
type translateOptions struct {
	keepUnknown bool // keep them as they are (else drop them)
}

// translate renders Indonesian text as pseudo-English, word by word.
// Punctuation, numbers, emoji and emoticons pass through. A word is looked
// up as it is, then through the informal spellings of seeds.go ("bgt" ->
// "banget"), then without a reduplication ("enak-enak") or a suffix
// (-nya, -lah, -kah, -pun, -ku, -mu). It returns the text and the share of
// words it translated.
func (g glossary) translate(text string, o translateOptions) (string, float64) {
	fields := strings.Fields(strings.ToLower(text))
	out := make([]string, 0, len(fields)+8)
	h := fnv.New32a()
	h.Write([]byte(text))
	seed := h.Sum32()
	pick := func(alts [][]string, i int) []string {
		if len(alts) == 1 {
			return alts[0]
		}
		x := seed + uint32(i)*0x85ebca6b
		x ^= x >> 13
		x *= 0xc2b2ae35
		x ^= x >> 16
		return alts[x%uint32(len(alts))]
	}

	words, known := 0, 0
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if !isWordField(f) {
			out = append(out, f)
			continue
		}
		words++
		if i+1 < len(fields) {
			if en, ok := g[canonWord(f)+" "+canonWord(fields[i+1])]; ok {
				out = append(out, pick(en, i)...)
				known += 2
				words++
				i++
				continue
			}
		}
		if en, ok := g.word(f); ok {
			out = append(out, pick(en, i)...)
			known++
			continue
		}
		if o.keepUnknown {
			out = append(out, f)
		}
	}
	return strings.Join(out, " "), float64(known) / float64(max(words, 1))
}

// word translates one word: its renderings.
func (g glossary) word(w string) ([][]string, bool) {
	if en, ok := g[w]; ok {
		return en, true
	}
	if c, ok := slang[w]; ok {
		// "gabisa" -> "tidak bisa": the first rendering of each part.
		var out []string
		for _, p := range strings.Fields(c) {
			en, ok := g[p]
			if !ok {
				return nil, false
			}
			out = append(out, en[0]...)
		}
		if !strings.Contains(c, " ") {
			return g[c], true
		}
		return [][]string{out}, true
	}
	if a, b, ok := strings.Cut(w, "-"); ok {
		b = strings.TrimSuffix(b, "nya")
		if a == b || b == "" {
			return g.word(a)
		}
		ea, oka := g.word(a)
		eb, okb := g.word(b)
		if oka && okb {
			return [][]string{append(append([]string{}, ea[0]...), eb[0]...)}, true
		}
		return nil, false
	}
	if n := len(w); n > 1 && w[n-1] >= '2' && w[n-1] <= '9' && w[n-2] >= 'a' { // "hati2"
		return g.word(w[:n-1])
	}
	for _, suf := range [...]string{"nya", "lah", "kah", "pun", "ku", "mu"} {
		if s, ok := strings.CutSuffix(w, suf); ok && len(s) >= 3 {
			if en, ok := g[s]; ok {
				return en, true
			}
			if c, ok := slang[s]; ok && !strings.Contains(c, " ") {
				if en, ok := g[c]; ok {
					return en, true
				}
			}
		}
	}
	return nil, false
}

// isWordField reports whether f is a word to translate: letters, with
// hyphens or a trailing reduplication digit.
func isWordField(f string) bool {
	letters := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case c >= 'a' && c <= 'z':
			letters++
		case c == '-' || c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return letters > 0
}

// canonWord is the canonical spelling of an informal one (seeds.go), for
// matching the glossary's phrases: "gak pernah" is "tidak pernah".
func canonWord(w string) string {
	if c, ok := slang[w]; ok && !strings.Contains(c, " ") {
		return c
	}
	return w
}

package alerting

import (
	"strconv"
	"strings"
	"testing"
)

// render writes tokens compactly: words and numbers as text (a word in
// capitals with a trailing "^", an elongated one with "~"), "?N" and "!N"
// for runs, "|" for clause breaks, "#" after a word the lexicon knows.
func render(z *scratch) string {
	var out []string
	for i := range z.toks {
		t := &z.toks[i]
		switch t.kind {
		case tQuestion:
			out = append(out, "?"+strconv.Itoa(int(t.n)))
		case tExclaim:
			out = append(out, "!"+strconv.Itoa(int(t.n)))
		case tBreak:
			out = append(out, "|")
		default:
			s := string(z.text(t))
			if t.shout {
				s += "^"
			}
			if t.elong >= 0 {
				s += "~"
			}
			if t.ent != nil {
				s += "#" + t.ent.canon
			}
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

func TestTokenize(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"elongation":       {"parahhh sooo", "parah~#parah so~#so"},
		"doubled fallback": {"gooood toooo", "good~#good too~#too"},
		"doubled last":     {"bangett kecewaa", "bangett#banget kecewaa#kecewa"},
		"shouting":         {"WORST Service OJK", "worst^#worst service#service ojk#ojk"},
		"handles and urls": {"@acme_id kak https://t.co/x?y=1 www.example.com cek", "kak#kak cek"},
		"mastodon handle":  {"@budi@mastodon.social rusak", "rusak#rusak"},
		"email stays text": {"cs@acme.id", "cs#cs"},
		"hashtag":          {"#kecewa", "kecewa#kecewa"},
		"emoji":            {"ok👍🏽😡❤️", "ok#ok 👍#👍 😡#😡 ❤#❤"},
		"punctuation":      {"kok gitu??? parah!!! ok.", "kok#kok gitu#gitu ?3 parah#parah !3 ok#ok |"},
		"apostrophes":      {"don’t can't 'quoted'", "don't#don't can't#can't quoted"},
		"digits split":     {"3hari 1x24jam", "3 hari#hari 1 x 24 jam#jam"},
		"reduplication":    {"lama2 barang2nya", "lama#lama barang#barang 2 nya#nya"},
		"suffixes":         {"paketnya pesananku", "paketnya#paket pesananku#pesanan"},
		"informal aliases": {"udh blm nyampe gk dibales", "udh#sudah blm#belum nyampe#sampai gk#tidak dibales#dibalas"},
		"unicode case":     {"ÇA ÉTÉ TRÈS", "ça#ça été#été très^#très"},
		"unlisted n't":     {"mustn't", "mustn't#not"},
	}
	lx := newLexicon()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			z := &scratch{}
			z.reset()
			z.tokenize(lx, tc.in)
			if got := render(z); got != tc.want {
				t.Errorf("tokenize(%q)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestTokenizeScripts(t *testing.T) {
	lx := newLexicon()
	z := &scratch{}
	z.reset()
	z.tokenize(lx, "配送が遅い abc")
	if z.nonLatin != 5 || z.latin != 3 {
		t.Errorf("nonLatin %d latin %d, want 5 and 3", z.nonLatin, z.latin)
	}
}

func TestTokenizeLimits(t *testing.T) {
	lx := newLexicon()
	z := &scratch{}
	z.reset()
	z.tokenize(lx, strings.Repeat("a ", maxScoredBytes))
	z.tokenize(lx, "kecewa")
	if len(z.toks) > maxTokens {
		t.Errorf("%d tokens, cap is %d", len(z.toks), maxTokens)
	}
	if strings.Contains(render(z), "kecewa") {
		t.Error("text past the byte budget was read")
	}
}

func TestLexicon(t *testing.T) {
	lx := newLexicon()
	if len(lx.conflicts) > 0 {
		t.Errorf("alias conflicts:\n%s", strings.Join(lx.conflicts, "\n"))
	}
	for w, e := range lx.words {
		if w != strings.ToLower(w) || strings.ContainsAny(w, " \t") {
			t.Errorf("%q: words must be lower case and single", w)
		}
		if e.f&fNeg != 0 && e.val != 0 {
			t.Errorf("%q: a negator with a valence", w)
		}
		if e.val < -4 || e.val > 4 || e.cw < 0 || e.cw > 1 {
			t.Errorf("%q: valence %v or complaint weight %v out of range", w, e.val, e.cw)
		}
	}
	// Pattern words must be canonical spellings, or the pattern can never
	// match an aliased word.
	for head, list := range lx.patterns {
		for _, p := range list {
			for _, el := range p.elems {
				if el == slotNeg || el == slotDur {
					continue
				}
				if e := lx.words[el]; e != nil && e.canon != el {
					t.Errorf("pattern %q (head %q): %q is an alias of %q", strings.Join(p.elems, " "), head, el, e.canon)
				}
			}
		}
	}
}

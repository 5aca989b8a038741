package textmodel

import (
	"slices"
	"strings"
	"testing"
)

func TestGlossary(t *testing.T) {
	if len(defaultGlossary) < 3000 {
		t.Fatalf("glossary has %d entries", len(defaultGlossary))
	}
	for id, alts := range defaultGlossary {
		for _, a := range alts {
			for _, w := range a {
				if w != strings.ToLower(w) || strings.ContainsAny(w, "\t|") {
					t.Errorf("%s: rendering word %q", id, w)
				}
			}
		}
	}
	for _, bad := range []string{"x", "x\t", "x\ta||b", "x\ta\nx\tb"} {
		if _, err := parseGlossary(bad); err == nil {
			t.Errorf("parseGlossary(%q): no error", bad)
		}
	}
	g, err := parseGlossary("# comment\nenak\ttasty|delicious\nnya\t-\nbandung\t=\nterima kasih\tthank you\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(g["nya"]) != 1 || len(g["nya"][0]) != 0 || g["bandung"][0][0] != "bandung" || len(g["enak"]) != 2 || len(g["terima kasih"][0]) != 2 {
		t.Errorf("parsed %v", g)
	}
}

func TestTranslate(t *testing.T) {
	cases := []struct {
		in   string
		want [][]string // each position: the acceptable words
	}{
		{"gak enak", [][]string{{"not"}, {"tasty", "delicious", "good"}}},
		{"kecewa bgt sama pelayanannya !", [][]string{{"disappointed", "let"}}},
		{"terima kasih , mantap", [][]string{{"thank", "thanks"}}},
		{"tempatnya nyaman", [][]string{{"place", "spot"}}},
		{"enak-enak semua", [][]string{{"tasty", "delicious", "good"}}},
	}
	for _, c := range cases {
		out, cov := defaultGlossary.translate(c.in, translateOptions{})
		words := strings.Fields(out)
		for i, w := range c.want {
			if i >= len(words) || !slices.Contains(w, words[i]) {
				t.Errorf("translate(%q) = %q: word %d not one of %v", c.in, out, i, w)
			}
		}
		if cov < 0.99 {
			t.Errorf("translate(%q): coverage %.2f", c.in, cov)
		}
		again, _ := defaultGlossary.translate(c.in, translateOptions{})
		if again != out {
			t.Errorf("translate(%q) not deterministic: %q, %q", c.in, out, again)
		}
	}
	// Punctuation and numbers pass through; unknown words go unless kept.
	out, _ := defaultGlossary.translate("zzqx 3 hari !", translateOptions{})
	if out != "3 day !" {
		t.Errorf("got %q", out)
	}
	out, _ = defaultGlossary.translate("zzqx 3 hari !", translateOptions{keepUnknown: true})
	if out != "zzqx 3 day !" {
		t.Errorf("keepUnknown: got %q", out)
	}
}

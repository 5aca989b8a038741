package collectors

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHTMLToText(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"plain text":                {"Hello world", "Hello world"},
		"tags separate words":       {"<p>one</p><p>two</p>", "one two"},
		"inline tags":               {"Aplikasi <b>Acme</b> error", "Aplikasi Acme error"},
		"entities decoded":          {"Fish &amp; chips&nbsp;&#8212; &quot;ok&quot;", "Fish & chips — \"ok\""},
		"escaped markup stays text": {"&lt;b&gt;50%&lt;/b&gt;", "<b>50%</b>"},
		"hostile img is removed":    {`Hi <img src=x onerror=alert(1)> there`, "Hi there"},
		"script content dropped":    {"a<script>alert('x')</script>b", "a b"},
		"script any case":           {"a<SCRIPT type=x>evil()</ScRiPt>b", "a b"},
		"style dropped":             {"<style>p{color:red}</style>Text", "Text"},
		"comment dropped":           {"a<!-- hidden <b>x</b> -->b", "ab"},
		"quoted > in attribute":     {`<a title="1 > 0" href="x">link</a>`, "link"},
		"lone less-than":            {"a < b and 3<4 <3", "a < b and 3<4 <3"},
		"unterminated tag":          {"safe <img src=x onerror=alert(1)", "safe"},
		"unterminated script":       {"safe<script>alert(1)", "safe"},
		"whitespace collapsed":      {"  a \n\t b\r\n\n c  ", "a b c"},
		"bidi override removed":     {"abc\u202Egnp.exe", "abcgnp.exe"},
		"control chars removed":     {"a\x00b\x1bc\u0080d\u0085e", "abcd e"},
		"invalid utf8 replaced":     {"a\xffb", "a\uFFFDb"},
		"emoji and indonesian kept": {"Kecewa bgt 😡 min", "Kecewa bgt 😡 min"},
		"br between words":          {"line1<br/>line2", "line1 line2"},
		"inline tags join":          {"<strong>Acme</strong>, <a href=\"x\">ok</a>.", "Acme, ok."},
		"self-closing script":       {"a<script src=x />b", "a b"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := htmlToText(tc.in); got != tc.want {
				t.Fatalf("htmlToText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestTruncateUTF8(t *testing.T) {
	s := strings.Repeat("é", 10) // 20 bytes
	got := truncateUTF8(s, 9)
	if !utf8.ValidString(got) || len(got) > 9 || !strings.HasSuffix(got, "…") {
		t.Fatalf("truncateUTF8 = %q (%d bytes)", got, len(got))
	}
	if truncateUTF8("short", 10) != "short" {
		t.Fatal("short string changed")
	}
}

package collectors

import (
	"html"
	"strings"
	"unicode"
)

// Feed titles and bodies are HTML written by strangers. Pantau stores plain
// text only (the dashboard renders it as text), so markup is removed here,
// entities are decoded after the tags are gone (an escaped "&lt;script&gt;"
// is the author's literal text and stays text), and characters that could
// disguise text on screen are dropped.

// rawTextElements hold content that is code or styling, never prose.
var rawTextElements = map[string]bool{"script": true, "style": true, "noscript": true, "template": true, "iframe": true, "object": true, "svg": true, "math": true}

// inlineElements do not break words.
var inlineElements = map[string]bool{"a": true, "abbr": true, "b": true, "bdi": true, "bdo": true, "cite": true, "code": true, "data": true, "del": true, "dfn": true, "em": true, "font": true, "i": true, "ins": true, "kbd": true, "mark": true, "q": true, "s": true, "samp": true, "small": true, "span": true, "strike": true, "strong": true, "sub": true, "sup": true, "time": true, "tt": true, "u": true, "var": true}

// htmlToText turns an HTML fragment into one line of plain text.
func htmlToText(s string) string {
	// Clean first: a control character removed only after the tags were
	// stripped could join "<" and a letter into new markup ("<\x01A").
	s = cleanText(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '<' || !startsTag(s[i+1:]) {
			b.WriteByte(c)
			i++
			continue
		}
		// A tag removed right after a literal "<" must not join the two
		// into new markup ("<<b>b>" is not "<b>").
		if str := b.String(); strings.HasSuffix(str, "<") {
			b.WriteByte(' ')
		}
		if strings.HasPrefix(s[i:], "<!--") {
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				break // an unterminated comment hides the rest
			}
			i += 4 + end + 3
			continue
		}
		end := tagEnd(s, i+1)
		if end < 0 {
			break // an unterminated tag swallows the rest, as in a browser
		}
		body := s[i+1 : end]
		closing := strings.HasPrefix(body, "/")
		name := tagName(strings.TrimPrefix(body, "/"))
		// Block tags separate words ("<p>a</p><p>b</p>" is "a b", not
		// "ab"); inline ones do not ("<b>Acme</b>," is "Acme,").
		if !inlineElements[name] {
			b.WriteByte(' ')
		}
		i = end + 1
		if rawTextElements[name] && !closing && !strings.HasSuffix(body, "/") {
			// Skip to the matching close tag, case-insensitively.
			closeAt := indexASCIIFold(s[i:], "</"+name)
			if closeAt < 0 {
				break
			}
			i += closeAt
		}
	}
	return cleanText(html.UnescapeString(b.String()))
}

// startsTag reports whether the text after a '<' opens markup: a letter
// (element), '/' (end tag), '!' (comment, doctype, CDATA) or '?'. Anything
// else ("a < b", "<3") is text.
func startsTag(rest string) bool {
	if rest == "" {
		return false
	}
	c := rest[0]
	return c == '/' || c == '!' || c == '?' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// tagEnd finds the '>' closing the tag whose body starts at i, skipping
// quoted attribute values that may contain '>'.
func tagEnd(s string, i int) int {
	var quote byte
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		}
	}
	return -1
}

// tagName returns the lower-case element name at the start of a tag body
// ("script src=x" -> "script"); comments and doctypes give "".
func tagName(body string) string {
	end := 0
	for end < len(body) && isNameByte(body[end]) {
		end++
	}
	return strings.ToLower(body[:end])
}

func isNameByte(c byte) bool {
	return c == '-' || c == ':' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// indexASCIIFold is strings.Index ignoring ASCII case; substr is ASCII.
// (Lower-casing s first would shift byte offsets for some non-ASCII text.)
func indexASCIIFold(s, substr string) int {
	for i := 0; i+len(substr) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(substr)], substr) {
			return i
		}
	}
	return -1
}

// cleanText makes arbitrary text safe to store and show as one line: valid
// UTF-8, no control or bidirectional-override characters (which can make
// text display as something else), whitespace collapsed to single spaces.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case isHiddenRune(r):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func isHiddenRune(r rune) bool {
	switch {
	case unicode.IsControl(r): // C0, DEL, C1 (whitespace is handled before)
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069: // bidi embeddings, overrides, isolates
		return true
	case r == 0x200E || r == 0x200F || r == 0x061C: // directional marks
		return true
	case r == 0xFEFF: // byte order mark
		return true
	}
	return false
}

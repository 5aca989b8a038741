package audit

import (
	"strings"
	"unicode/utf8"

	"github.com/pantau/pantau/store"
)

// Mask returns text with each span replaced by a masked form that keeps a
// hint for the agent who must recognise the data without seeing it:
//
//	phone  0812-3456-7890       -> 0812****7890
//	email  dina.r92@gmail.com   -> d***@gmail.com
//	card   4111 1111 1111 1111  -> **** **** **** 1111
//	others (address, order_id, nik, bank_account, plate) -> [address]...
//
// It is meant for everywhere text is shown or sent (dashboard, alerts,
// digests, logs) unless a lead explicitly reveals the original. Spans are
// those of FindPII: sorted and non-overlapping. Spans that are out of range,
// overlap an earlier one or do not fall on UTF-8 boundaries are masked as
// far as they are valid and never panic; text is returned unchanged when
// there are no spans.
func Mask(text string, spans []store.Span) string {
	if len(spans) == 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	prev := 0
	for _, sp := range spans {
		s, e := sp.Start, sp.End
		if s < prev {
			s = prev
		}
		if e > len(text) {
			e = len(text)
		}
		if s >= e {
			continue
		}
		// Widen to rune boundaries so a hostile span cannot split a rune
		// and leave half of it behind.
		for s > prev && !utf8.RuneStart(text[s]) {
			s--
		}
		for e < len(text) && !utf8.RuneStart(text[e]) {
			e++
		}
		if s >= e {
			continue
		}
		b.WriteString(text[prev:s])
		maskOne(&b, sp.Kind, text[s:e])
		prev = e
	}
	b.WriteString(text[prev:])
	return b.String()
}

func maskOne(b *strings.Builder, kind, v string) {
	switch kind {
	case KindPhone:
		var buf [32]byte
		d := buf[:0]
		for i := 0; i < len(v) && len(d) < len(buf); i++ {
			if isDigit(v[i]) {
				d = append(d, v[i])
			}
		}
		if strings.HasPrefix(v, "+") {
			b.WriteByte('+')
		}
		// Keep the operator prefix and the last digits, as agents and
		// customers say a number back ("yang berakhiran 7890"), and hide
		// at least four: 0812****7890, 022****321.
		head, tail := 4, 4
		switch {
		case len(d) < 10:
			head, tail = 2, 2
		case len(d) < 12:
			head, tail = 3, 3
		}
		if len(d) <= head+tail {
			b.WriteString("****")
			return
		}
		b.Write(d[:head])
		b.WriteString("****")
		b.Write(d[len(d)-tail:])
	case KindEmail:
		at := strings.LastIndexByte(v, '@')
		if at <= 0 {
			b.WriteString("[email]")
			return
		}
		_, sz := utf8.DecodeRuneInString(v)
		b.WriteString(v[:sz])
		b.WriteString("***")
		b.WriteString(v[at:])
	case KindCard:
		var last [4]byte
		n := 0
		for i := len(v) - 1; i >= 0 && n < 4; i-- {
			if isDigit(v[i]) {
				n++
				last[4-n] = v[i]
			}
		}
		b.WriteString("**** **** **** ")
		b.Write(last[4-n:])
	default:
		b.WriteByte('[')
		if kind == "" {
			kind = "personal data"
		}
		b.WriteString(kind)
		b.WriteByte(']')
	}
}

// MaskAll finds the personal data in text and masks it: for text whose
// spans were not stored (alert summaries, notification bodies).
func MaskAll(text string) string { return Mask(text, FindPII(text)) }

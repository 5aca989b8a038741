package audit

// Native fuzz tests of the personal-data scanner, the masker and the reply
// auditor, on top of FuzzFindPII and FuzzAudit: these assert what the
// package promises in more detail (rune boundaries, the masking itself,
// hostile spans, the audit's structure). Seeds in testdata/fuzz/ are the
// labeled replies and the collectors' fixture texts.
//
//	go test ./alerting/audit -run '^$' -fuzz '^FuzzPIIMask$' -fuzztime 15s

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pantau/pantau/store"
)

var fzKinds = []string{KindPhone, KindEmail, KindAddress, KindOrderID, KindNIK, KindCard, KindBankAccount, KindPlate}

// fzSpans checks FindPII's promise: sorted, non-overlapping, non-empty
// spans of known kinds within the text, on rune boundaries of valid text.
func fzSpans(t *testing.T, text string, spans []store.Span) {
	t.Helper()
	last := 0
	for _, s := range spans {
		if !slices.Contains(fzKinds, s.Kind) || s.Start < last || s.End <= s.Start || s.End > len(text) {
			t.Fatalf("bad span %+v (after %d) in %q", s, last, text)
		}
		if utf8.ValidString(text) && (!utf8.RuneStart(text[s.Start]) || s.End < len(text) && !utf8.RuneStart(text[s.End])) {
			t.Fatalf("span %+v splits a rune in %q", s, text)
		}
		last = s.End
	}
}

func fzDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

// FuzzPIIMask: FindPII's spans are well formed and the same every time
// (the scanner is pooled); Mask hides what they cover: a number the
// customer exposed (phone, card, NIK, bank account, order id...) no longer
// appears whole in the masked text, and valid text stays valid.
func FuzzPIIMask(f *testing.F) {
	for _, s := range []string{"Hubungi 0812-3456-7890 ya kak", "email dina.r92@gmail.com", "kartu 4111 1111 1111 1111", "NIK 3273012307850001",
		"Jl. Melati No. 12 RT 03/RW 05, Kel. Sukamaju", "resi JP1234567890", "rek BCA 1234567890 a.n. Budi", "B 1234 XYZ", "\xff0812 3456 7890\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		spans := FindPII(text)
		fzSpans(t, text, spans)
		if again := FindPII(text); !reflect.DeepEqual(spans, again) {
			t.Fatalf("FindPII(%q) differs between calls: %v, then %v", text, spans, again)
		}
		out := Mask(text, spans)
		if out != MaskAll(text) {
			t.Fatalf("MaskAll differs from Mask(FindPII)")
		}
		if len(spans) == 0 {
			if out != text {
				t.Fatalf("Mask without spans changed %q to %q", text, out)
			}
			return
		}
		if utf8.ValidString(text) && !utf8.ValidString(out) {
			t.Fatalf("Mask(%q) = %q is not valid UTF-8", text, out)
		}
		if len(out) > len(text)+24*len(spans) {
			t.Fatalf("Mask grew %d bytes to %d", len(text), len(out))
		}
		for _, s := range spans {
			v := text[s.Start:s.End]
			if s.Kind == KindEmail || fzDigits(v) < 8 || strings.Count(text, v) != 1 || strings.ContainsAny(v, "*[") {
				continue
			}
			if strings.Contains(out, v) {
				t.Fatalf("Mask(%q) = %q still shows the %s %q", text, out, s.Kind, v)
			}
		}
	})
}

// FuzzMaskSpans: Mask with hostile spans (out of range, overlapping,
// reversed, splitting runes, of unknown kinds) never panics and never
// leaves half a rune behind; no spans means the text as it is.
func FuzzMaskSpans(f *testing.F) {
	f.Add("Hubungi 0812-3456-7890 😀 ya", []byte{0, 8, 22, 7, 200, 3, 1, 255, 0})
	f.Add("é😀é", []byte{2, 1, 2, 2, 3, 5, 9, 0, 9})
	f.Fuzz(func(t *testing.T, text string, raw []byte) {
		var spans []store.Span
		kinds := append(slices.Clone(fzKinds), "", "other")
		for i := 0; i+2 < len(raw); i += 3 {
			// Offsets a little past either end of the text, some negative.
			off := func(b byte) int { return int(int8(b)) % (len(text) + 4) }
			spans = append(spans, store.Span{Kind: kinds[int(raw[i])%len(kinds)], Start: off(raw[i+1]), End: off(raw[i+2])})
		}
		out := Mask(text, spans)
		if len(spans) == 0 && out != text {
			t.Fatalf("Mask without spans changed %q to %q", text, out)
		}
		if utf8.ValidString(text) && !utf8.ValidString(out) {
			t.Fatalf("Mask(%q, %v) = %q is not valid UTF-8", text, spans, out)
		}
	})
}

// FuzzAuditCheck: any reply (with any customer post, complaint override and
// response time) gets a complete audit: every check once, in order, the
// verdict that its failed checks imply, reasons exactly when it is not ok,
// a pii failure exactly when personal data was found; and auditing the
// same reply to the same recipient again gives the same result.
func FuzzAuditCheck(f *testing.F) {
	f.Add("Maaf kak, mohon DM nomor pesanannya ya ^RN", "Paket saya hilang!", uint8(0), int64(1200))
	f.Add("lol salah kakak sendiri 0812-3456-7890", "kecewa", uint8(1), int64(-5))
	f.Add("Thanks!", "", uint8(2), int64(0))
	a, err := New(Config{CannedMemory: 64, BrandContacts: []string{"0812-0000-1111", "cs@kilat.co.id"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, reply, post string, complaint uint8, secs int64) {
		in := ReplyInput{Text: reply, InReplyTo: post, ResponseTime: time.Duration(secs) * time.Second, Recipient: "fuzz"}
		switch complaint % 3 {
		case 1:
			in.Complaint = new(true)
		case 2:
			in.Complaint = new(false)
		}
		res := a.Check(in)
		au := res.Audit
		var names []string
		failed, breach := 0, false
		for _, c := range au.Checks {
			names = append(names, c.Name)
			if !c.Pass {
				failed++
			}
			if c.Detail == "" || utf8.ValidString(reply) && !utf8.ValidString(c.Detail) {
				t.Fatalf("check %s: detail %q", c.Name, c.Detail)
			}
			if c.Name == CheckPII && c.Pass == (len(res.PII) > 0) {
				t.Fatalf("pii check pass=%v with %d spans", c.Pass, len(res.PII))
			}
			if !c.Pass && (c.Name == CheckPII || c.Name == CheckOwnership && strings.HasPrefix(c.Detail, "blames") || c.Name == CheckTone && strings.HasPrefix(c.Detail, "hostile")) {
				breach = true
			}
		}
		want := CheckNames
		if in.ResponseTime <= 0 {
			want = CheckNames[1:]
		}
		if !slices.Equal(names, want) {
			t.Fatalf("checks %v, want %v", names, want)
		}
		switch {
		case breach && au.Verdict != VerdictViolation,
			!breach && failed > 0 && au.Verdict != VerdictNeedsAttention,
			failed == 0 && au.Verdict != VerdictOK:
			t.Fatalf("verdict %q with %d failed checks (breach %v): %+v", au.Verdict, failed, breach, au.Checks)
		}
		if len(res.Reasons) != failed {
			t.Fatalf("%d reasons for %d failed checks", len(res.Reasons), failed)
		}
		if len(Reasons(au)) != failed {
			t.Fatalf("Reasons gives %d for %d failed checks", len(Reasons(au)), failed)
		}
		if in.Complaint != nil && res.Complaint != *in.Complaint {
			t.Fatalf("complaint %v, overridden as %v", res.Complaint, *in.Complaint)
		}
		fzSpans(t, reply, res.PII)
		if again := a.Check(in); !reflect.DeepEqual(res, again) {
			t.Fatalf("auditing %q twice for one recipient differs:\n%+v\n%+v", reply, res, again)
		}
	})
}

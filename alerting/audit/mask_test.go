package audit

import (
	"testing"
	"unicode/utf8"

	"github.com/pantau/pantau/store"
)

func TestMask(t *testing.T) {
	tests := map[string]struct {
		text, want string
	}{
		"phone":     {"hubungi 0812-3456-7890 ya", "hubungi 0812****7890 ya"},
		"phone +62": {"nomor +62 857 1234 5678.", "nomor +6285****5678."},
		"landline":  {"telp (022) 7654321", "telp 022****321"},
		"email":     {"ke dina.r92@gmail.com ya", "ke d***@gmail.com ya"},
		"card":      {"kartu 4111 1111 1111 1111 ditolak", "kartu **** **** **** 1111 ditolak"},
		"address":   {"di Jl. Melati No. 12 RT 03/RW 05 besok", "di [address] besok"},
		"order":     {"resi JP8812345678 di gudang", "resi [order_id] di gudang"},
		"nik":       {"NIK 3273012307850001 sudah", "NIK [nik] sudah"},
		"bank":      {"rekening BCA 1234567890 a.n. Dewi", "rekening BCA [bank_account] a.n. Dewi"},
		"plate":     {"plat B 4512 KJT ditegur", "plat [plate] ditegur"},
		"nothing":   {"Mohon maaf kak 🙏", "Mohon maaf kak 🙏"},
		"several":   {"0812-3456-7890 / a.b@c.id", "0812****7890 / a***@c.id"},
		"non-ascii": {"Halo Kakak 😊 email: émile@exemple.fr", "Halo Kakak 😊 email: é***@exemple.fr"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Mask(tc.text, FindPII(tc.text)); got != tc.want {
				t.Errorf("Mask(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

// TestMaskBadSpans: Mask is public and spans may come from anywhere (an
// old stored score, a hand-edited file). Bad spans must never panic, never
// split a rune, and never leave the original data of a valid span.
func TestMaskBadSpans(t *testing.T) {
	text := "a😀b 0812-3456-7890"
	tests := map[string][]store.Span{
		"out of range":    {{Kind: "phone", Start: 5, End: 500}},
		"negative":        {{Kind: "x", Start: -3, End: 2}},
		"overlapping":     {{Kind: "x", Start: 0, End: 6}, {Kind: "x", Start: 3, End: 8}},
		"unsorted":        {{Kind: "x", Start: 8, End: 10}, {Kind: "x", Start: 0, End: 2}},
		"inside a rune":   {{Kind: "x", Start: 2, End: 3}},
		"empty and start": {{Kind: "", Start: 4, End: 4}, {Kind: "", Start: 0, End: 1}},
	}
	for name, spans := range tests {
		t.Run(name, func(t *testing.T) {
			// text is valid UTF-8, so a split rune would make the result
			// invalid
			if got := Mask(text, spans); !utf8.ValidString(got) {
				t.Fatalf("Mask split a rune: %q", got)
			}
		})
	}
	if got := Mask(text, []store.Span{{Kind: "phone", Start: 7, End: 500}}); got != "a😀b 0812****7890" {
		t.Errorf("clamped span: got %q", got)
	}
}

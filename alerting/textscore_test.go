package alerting

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// textCase describes what a score must show. Zero fields are not checked,
// except complaint, which is always checked for scored text.
type textCase struct {
	m store.Mention

	lang      string
	unscored  bool
	complaint bool // Complaint >= 0.5
	severity  int  // exact, checked when complaint is true
	sentiment int  // -1 negative, +1 positive, 0 unchecked
	reasons   []string
	noReasons []string
}

func TestTextScorer(t *testing.T) {
	text := func(s string) store.Mention { return store.Mention{Text: s, CreatedAt: t0, Source: "test"} }
	cases := map[string]textCase{
		// English.
		"en clear complaint": {
			m:    text("Ordered 3 weeks ago and my package still hasn't arrived. Worst service ever, I want a refund."),
			lang: LangEN, complaint: true, severity: 2, sentiment: -1,
			reasons: []string{"words: 'worst', 'refund'", "phrases: '3 weeks ago', 'still hasn't'"},
		},
		"en praise": {
			m:    text("Thanks @acme, the support team was super helpful and fast! Love it 😍"),
			lang: LangEN, sentiment: +1, reasons: []string{"positive: 'thanks', 'helpful', 'fast', 'love'", "emoji: '😍'"},
		},
		"en praise with a negative word": {
			m:    text("not bad at all, honestly"),
			lang: LangEN, sentiment: +1, reasons: []string{"negated: 'not bad'"},
		},
		"en question that is not a complaint": {
			m:    text("what time do you open on Sunday?"),
			lang: LangEN,
		},
		"en question that is a complaint": {
			m:    text("why is my account locked again??"),
			lang: LangEN, complaint: true, severity: 1, reasons: []string{"emphasis: '??'", "repeated: 'again'"},
		},
		"en negated praise": {
			m:    text("the staff were not helpful and not friendly"),
			lang: LangEN, complaint: true, severity: 2, sentiment: -1,
			reasons: []string{"negated: 'not helpful', 'not friendly'"},
		},
		"en shouting": {
			m:    text("WORST SERVICE EVER, NEVER AGAIN"),
			lang: LangEN, complaint: true, severity: 2, reasons: []string{"shouting: 5 words in capitals", "phrases: 'never again'"},
		},
		"en sarcasm": {
			m:    text("Great, another delay. Thanks a lot."),
			lang: LangEN, complaint: true, severity: 2, sentiment: -1, reasons: []string{"sarcasm: 'great'"},
		},
		"en accusation": {
			m:    text("This is a scam, you lied about the refund"),
			lang: LangEN, complaint: true, severity: 3, reasons: []string{"accusation: 'scam', 'lied'"},
		},
		"en threat": {
			m:    text("Still no refund after 2 weeks. Talking to my lawyer, I will sue you."),
			lang: LangEN, complaint: true, severity: 4, reasons: []string{"threat: 'lawyer', 'sue'"},
		},
		"en emoji": {
			m:    text("my order arrived broken 😡👎🏽"),
			lang: LangEN, complaint: true, severity: 2, reasons: []string{"emoji: '😡', '👎'", "words: 'broken'"},
		},
		"en no reply": {
			m:    text("emailed you twice and no reply yet"),
			lang: LangEN, complaint: true, severity: 1, reasons: []string{"negated: 'no reply'"},
		},
		"en not a complaint despite a problem word elsewhere": {
			m:    text("the weather is bad today"),
			lang: LangEN, sentiment: -1,
		},

		// Indonesian.
		"id slang complaint": {
			m:    text("udh 3 hari paket blm nyampe, kecewa bgt min"),
			lang: LangID, complaint: true, severity: 2, sentiment: -1,
			reasons: []string{"language: id", "words: 'kecewa'", "phrases: 'udh 3 hari'", "negated: 'blm nyampe'"},
		},
		"id praise": {
			m:    text("Pelayanannya ramah dan cepat, mantap kak! 👍"),
			lang: LangID, sentiment: +1, reasons: []string{"positive: 'ramah', 'cepat', 'mantap'"},
		},
		"id praise with a negative word": {
			m:    text("gak nyesel beli disini, barang ori"),
			lang: LangID, sentiment: +1, reasons: []string{"negated: 'gak nyesel'"},
		},
		"id question that is not a complaint": {
			m:    text("kapan promo berikutnya?"),
			lang: LangID,
		},
		"id negation": {
			m:    text("barangnya tidak buruk kok"),
			lang: LangID, sentiment: +1, reasons: []string{"negated: 'tidak buruk'"},
		},
		"id negated praise": {
			m:    text("pelayanan CS nya kurang ramah"),
			lang: LangID, complaint: true, severity: 2, sentiment: -1, reasons: []string{"negated: 'kurang ramah'"},
		},
		"id no reply": {
			m:    text("gak ada yang bales dari kemarin"),
			lang: LangID, complaint: true, severity: 1,
			reasons: []string{"phrases: 'dari kemarin'", "negated: 'gak ada yang bales'"},
		},
		"id sarcasm": {
			m:    text("mantap, paket hilang lagi"),
			lang: LangID, complaint: true, severity: 2, sentiment: -1,
			reasons: []string{"words: 'hilang'", "sarcasm: 'mantap'", "repeated: 'lagi'"}, noReasons: []string{"positive:"},
		},
		"id emoji": {
			m:    text("aplikasi error terus 😡😡"),
			lang: LangID, complaint: true, severity: 2, reasons: []string{"emoji: '😡'", "words: 'error'"},
		},
		"id shouting": {
			m:    text("KECEWA BANGET SAMA PELAYANANNYA"),
			lang: LangID, complaint: true, severity: 2, reasons: []string{"shouting: 4 words in capitals"},
		},
		"id accusation": {
			m:    text("dasar penipu, uang saya hilang"),
			lang: LangID, complaint: true, severity: 3, reasons: []string{"accusation: 'penipu'"},
		},
		"id threat": {
			m:    text("refund gak cair2, saya laporkan ke OJK dan YLKI"),
			lang: LangID, complaint: true, severity: 4, reasons: []string{"threat: 'laporkan', 'ojk', 'ylki'"},
			noReasons: []string{"shouting"},
		},
		"id elongation": {
			m:    text("parahhh lemot bangettt"),
			lang: LangID, complaint: true, severity: 2, reasons: []string{"words: 'parah', 'lemot'"},
		},
		"mixed goes to the dominant language": {
			m:    text("sooo disappointed, udah seminggu gak ada kabar"),
			lang: LangID, complaint: true, severity: 2,
			reasons: []string{"words: 'disappointed'", "phrases: 'udah seminggu'", "negated: 'gak ada kabar'"},
		},
		"review rating": {
			m:    store.Mention{Title: "Aplikasi", Text: "sering error pas bayar", Rating: ptr(1), CreatedAt: t0},
			lang: LangID, complaint: true, severity: 1, reasons: []string{"rating 1/5"},
		},
		"good review rating": {
			m:    store.Mention{Text: "bagus, gampang dipakai", Rating: ptr(5), CreatedAt: t0},
			lang: LangID, sentiment: +1, reasons: []string{"rating 5/5"},
		},

		// The brand's own posts.
		"brand reply": {
			m:    store.Mention{Text: "Mohon maaf kak, paketnya kami cek dulu ya 🙏", ByBrand: true, CreatedAt: t0},
			lang: LangID, reasons: []string{ReasonBrandReply},
		},
		"brand reply that sounds like a complaint": {
			m:    store.Mention{Text: "Sorry, your order is delayed and we lost the tracking. Still waiting on the courier.", ByBrand: true, CreatedAt: t0},
			lang: LangEN, reasons: []string{ReasonBrandReply},
		},

		// Languages the scorer does not know: unscored, never guessed.
		"french":                   {m: text("Le service est nul, je suis très déçu de ma commande"), unscored: true},
		"spanish":                  {m: text("No me gusta el servicio, es muy malo y nada llega"), unscored: true},
		"japanese":                 {m: text("配送が遅すぎる。最悪です 😡"), unscored: true},
		"empty":                    {m: text(""), unscored: true},
		"only a handle and a link": {m: text("@acme https://example.com/x?y=1"), unscored: true},
		"platform says french, weak evidence": {
			m: store.Mention{Text: "refund please, merci", Lang: "fr", CreatedAt: t0}, unscored: true,
		},
	}
	sc := NewTextScorer()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := sc.Score(Input{Mention: tc.m, Now: t0.Add(10 * time.Minute)})
			checkScore(t, got, tc)
		})
	}
}

func checkScore(t *testing.T, got store.Score, tc textCase) {
	t.Helper()
	if got.Scorer != ComposedScorerName+"+"+TextScorerName {
		t.Errorf("Scorer = %q", got.Scorer)
	}
	if tc.unscored {
		want := []string{ReasonNotScored}
		if tc.m.ByBrand {
			want = []string{ReasonBrandReply, ReasonNotScored}
		}
		if got.Lang != LangOther || got.Scored || got.Complaint != 0 || got.Severity != 0 || got.Sentiment != 0 ||
			got.Virality != 0 || got.Priority != 0 || !equalStrings(got.Reasons, want) {
			t.Errorf("want unscored, got %+v", got)
		}
		return
	}
	if !got.Scored || got.Lang != tc.lang {
		t.Errorf("Lang %q Scored %v, want %q scored (%q)", got.Lang, got.Scored, tc.lang, got.Reasons)
	}
	if tc.m.ByBrand {
		if got.Complaint != 0 || got.Severity != 0 || got.Priority != 0 || got.Reasons[0] != ReasonBrandReply {
			t.Errorf("brand reply scored as a complaint: %+v", got)
		}
	} else if (got.Complaint >= 0.5) != tc.complaint {
		t.Errorf("Complaint = %v, want complaint=%v (%q)", got.Complaint, tc.complaint, got.Reasons)
	}
	if tc.complaint && got.Severity != tc.severity {
		t.Errorf("Severity = %d, want %d (%q)", got.Severity, tc.severity, got.Reasons)
	}
	if !tc.complaint && got.Severity != 0 {
		t.Errorf("Severity = %d for a non-complaint", got.Severity)
	}
	if tc.sentiment < 0 && got.Sentiment >= 0 || tc.sentiment > 0 && got.Sentiment <= 0 {
		t.Errorf("Sentiment = %v, want sign %d (%q)", got.Sentiment, tc.sentiment, got.Reasons)
	}
	for _, x := range []float64{got.Complaint, got.Virality, got.Priority} {
		if x < 0 || x > 1 {
			t.Errorf("number out of 0..1: %+v", got)
		}
	}
	if got.Sentiment < -1 || got.Sentiment > 1 || got.Severity < 0 || got.Severity > 4 {
		t.Errorf("number out of range: %+v", got)
	}
	for _, want := range tc.reasons {
		if !hasReason(got.Reasons, want) {
			t.Errorf("no reason %q in %q", want, got.Reasons)
		}
	}
	for _, bad := range tc.noReasons {
		if hasReason(got.Reasons, bad) {
			t.Errorf("unexpected reason %q in %q", bad, got.Reasons)
		}
	}
}

func hasReason(reasons []string, want string) bool {
	for _, r := range reasons {
		if strings.Contains(r, want) {
			return true
		}
	}
	return false
}

func equalStrings(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

// TestTextScorerAmplifiers compares pairs: the second text must be more
// negative (or more positive) than the first.
func TestTextScorerAmplifiers(t *testing.T) {
	cases := map[string]struct {
		weaker, stronger string
		positive         bool
	}{
		"en intensifier before":     {weaker: "delivery is slow", stronger: "delivery is very slow"},
		"id intensifier after":      {weaker: "pengiriman lambat", stronger: "pengiriman lambat banget"},
		"id slang intensifier":      {weaker: "kecewa sama tokonya", stronger: "kecewa bgt sama tokonya"},
		"elongation":                {weaker: "pengiriman lama", stronger: "pengiriman lamaaaa"},
		"shouting":                  {weaker: "this is terrible service", stronger: "this is TERRIBLE service"},
		"negative emoji":            {weaker: "my order is late", stronger: "my order is late 😡"},
		"dampener weakens":          {weaker: "pengiriman agak lambat", stronger: "pengiriman lambat"},
		"en intensifier, praise":    {weaker: "the app is good", stronger: "the app is really good", positive: true},
		"id intensifier, praise":    {weaker: "pelayanannya ramah", stronger: "pelayanannya ramah sekali", positive: true},
		"contrast: after outweighs": {weaker: "cepat tapi barangnya rusak", stronger: "barangnya rusak tapi cepat", positive: true},
	}
	sc := NewTextScorer()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := sc.Score(Input{Mention: store.Mention{Text: tc.weaker}, Now: t0})
			s := sc.Score(Input{Mention: store.Mention{Text: tc.stronger}, Now: t0})
			if !w.Scored || !s.Scored {
				t.Fatalf("unscored: %+v %+v", w, s)
			}
			if tc.positive && !(s.Sentiment > w.Sentiment) || !tc.positive && !(s.Sentiment < w.Sentiment) {
				t.Errorf("sentiment %q = %v, %q = %v", tc.weaker, w.Sentiment, tc.stronger, s.Sentiment)
			}
		})
	}
}

func TestTextScorerPriorityClock(t *testing.T) {
	sc := NewTextScorer()
	m := store.Mention{Text: "where is my order?? still not delivered", CreatedAt: t0}
	prev := -1.0
	for _, age := range []time.Duration{0, 30 * time.Minute, 65 * time.Minute, 2 * time.Hour, 4 * time.Hour} {
		got := sc.Score(Input{Mention: m, Now: t0.Add(age)})
		if got.Priority < prev {
			t.Errorf("priority fell with time: %v at %v, was %v", got.Priority, age, prev)
		}
		if age > time.Hour && !(got.Priority > prev) {
			t.Errorf("priority did not rise past the target: %v at %v", got.Priority, age)
		}
		prev = got.Priority
	}
	answered := m
	answered.AnsweredAt = ptr(t0.Add(10 * time.Minute))
	if a := sc.Score(Input{Mention: answered, Now: t0.Add(4 * time.Hour)}); a.Priority >= prev {
		t.Errorf("answered priority %v not below unanswered %v", a.Priority, prev)
	}
}

// TestTextScorerConcurrent checks that pooled buffers never leak between
// concurrent calls (run with -race).
func TestTextScorerConcurrent(t *testing.T) {
	sc := NewTextScorer()
	texts := benchTexts()
	want := make([]store.Score, len(texts))
	for i, s := range texts {
		want[i] = sc.Score(Input{Mention: store.Mention{Text: s}, Now: t0})
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := range 200 {
				i := (g + n) % len(texts)
				got := sc.Score(Input{Mention: store.Mention{Text: texts[i]}, Now: t0})
				if fmt.Sprint(got) != fmt.Sprint(want[i]) {
					t.Errorf("text %d: got %+v, want %+v", i, got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestTextScorerHostile feeds input that must not break the scorer.
func TestTextScorerHostile(t *testing.T) {
	sc := NewTextScorer()
	cases := map[string]string{
		"huge":          strings.Repeat("kecewa bgt paket hilang ", 20_000),
		"invalid utf-8": "kecewa \xff\xfe bgt \xc3",
		"only emoji":    "😡😡😡😡",
		"only marks":    "\u0301\u0301\u0301",
		"long word":     strings.Repeat("a", 100_000),
		"bidi":          "\u202ekecewa\u202c bgt",
		"apostrophes":   "'''don't''' ’’ can’t",
		"digits":        "12345 2 22 2x 1x24",
		"punctuation":   "!!!???...,,,;;;",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			got := sc.Score(Input{Mention: store.Mention{Text: text, Title: text}, Now: t0})
			for _, r := range got.Reasons {
				if len(r) > 600 {
					t.Errorf("reason too long: %d bytes", len(r))
				}
			}
		})
	}
}

// benchTexts is a realistic mix of what Pantau reads: English and
// Indonesian, complaints and praise, slang, emoji, links and handles.
func benchTexts() []string {
	return []string{
		"udh 3 hari paket blm nyampe, kecewa bgt min",
		"@acme_id kak pesanan saya kok belum dikirim ya? udah bayar dari kemarin",
		"Mantap, paket hilang lagi. Gimana sih @acme_id 😡",
		"Pelayanannya ramah dan cepat, mantap kak! 👍",
		"gak nyesel beli disini, barang ori dan packing rapi",
		"kapan promo berikutnya?",
		"aplikasi error terus pas mau bayar, saldo kepotong tapi pesanan gagal. tolong segera diproses refundnya",
		"PENIPUAN!!! uang saya hilang, saya laporkan ke OJK dan YLKI kalau gak ada solusi",
		"Ordered 3 weeks ago and my package still hasn't arrived. Worst service ever, I want a refund. https://t.co/abc123",
		"@AcmeSupport what time do you open on Sunday?",
		"Thanks @acme, the support team was super helpful and fast! Love it 😍",
		"not bad at all, honestly better than I expected",
		"Been on hold for 2 hours. This is RIDICULOUS. Never again.",
		"Great, another delay. Thanks a lot @AcmeAir ✈️",
		"sooo disappointed, udah seminggu gak ada kabar soal refund",
		"the app keeps crashing after the update, can't even log in",
	}
}

// BenchmarkTextScorer measures the text analysis alone over benchTexts;
// BenchmarkScorer measures the whole composed scorer.
//
//	go test ./alerting/ -run '^$' -bench TextScorer -benchmem
func BenchmarkTextScorer(b *testing.B) {
	sc := NewTextScorer()
	texts := benchTexts()
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		sc.Analyze(texts[n%len(texts)], "")
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "mentions/s")
}

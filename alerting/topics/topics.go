// Package topics says what a complaint is about ("delivery", "refund"), in
// Indonesian and English, for the reputation history's top complaint
// topics.
//
// It is a small word list, not a model: marketing reads the topic counts
// next to the posts, so every match must be explainable by a word in the
// post. Terms cover formal and informal Indonesian ("pengiriman", "kurir",
// "blm nyampe", "ilang", "eror", "ongkir") and English, with code-mixing
// in the same post handled by matching both lists at once.
package topics

import (
	"strings"
	"unicode"
)

// Topic ids, stable: the store keeps counts under them.
const (
	Delivery        = "delivery"
	Late            = "late"
	Lost            = "lost"
	Damaged         = "damaged"
	WrongItem       = "wrong_item"
	Refund          = "refund"
	Payment         = "payment"
	Cancellation    = "cancellation"
	App             = "app"
	CustomerService = "customer_service"
	Price           = "price"
)

// lexicon maps each topic to its terms: single words or space-separated
// phrases, lower case. Indonesian first, then English.
var lexicon = []struct {
	topic string
	terms []string
}{
	{Delivery, []string{
		"pengiriman", "kirim", "dikirim", "kiriman", "kurir", "paket", "ekspedisi", "resi", "nyampe", "nyampai",
		"belum sampai", "blm sampai", "belum sampe", "blm sampe", "gak sampai", "ga sampe",
		"delivery", "deliver", "delivered", "shipping", "shipment", "courier", "parcel", "package", "tracking",
		"not arrived", "never arrived", "hasn't arrived", "has not arrived",
	}},
	{Late, []string{
		"telat", "terlambat", "lambat", "lelet", "lemot", "ngaret", "kelamaan", "lama banget", "lama bgt", "lama sekali",
		"late", "delay", "delayed", "slow", "still waiting", "takes forever",
	}},
	{Lost, []string{
		"hilang", "ilang", "raib", "lenyap",
		"lost", "missing", "disappeared",
	}},
	{Damaged, []string{
		"rusak", "pecah", "penyok", "cacat", "sobek", "bocor", "retak",
		"damaged", "broken", "cracked", "defective", "dented", "leaking",
	}},
	{WrongItem, []string{
		"salah kirim", "salah barang", "tidak sesuai", "gak sesuai", "ga sesuai", "nggak sesuai", "tdk sesuai", "palsu",
		"wrong item", "wrong order", "not as described", "fake", "counterfeit",
	}},
	{Refund, []string{
		"pengembalian dana", "uang kembali", "balikin uang", "balikin duit", "dana kembali", "retur", "refun",
		"refund", "refunded", "reimburse", "money back", "chargeback",
	}},
	{Payment, []string{
		"pembayaran", "bayar", "dibayar", "saldo", "tagihan", "terpotong", "kepotong", "transfer", "topup", "top up",
		"payment", "paid", "charged", "double charged", "billing", "invoice", "balance",
	}},
	{Cancellation, []string{
		"batal", "dibatalkan", "dibatalin", "pembatalan", "cancel", "cancelled", "canceled", "cancellation",
	}},
	{App, []string{
		"aplikasi", "apk", "aplikasinya", "eror", "error", "login", "otp", "gabisa login", "ga bisa login",
		"app", "application", "bug", "crash", "crashes", "log in", "website", "force close",
	}},
	{CustomerService, []string{
		"cs", "admin", "respon", "dibales", "dibalas", "gak dibales", "ga dibales", "nggak dibales", "call center",
		"customer service", "support", "response", "no reply", "no answer", "nobody answers", "agent", "operator",
	}},
	{Price, []string{
		"harga", "mahal", "ongkir", "ongkos kirim", "biaya", "tarif", "kemahalan",
		"price", "prices", "expensive", "overpriced", "fee", "fees", "shipping cost",
	}},
}

// maxText bounds how much of a post is read: posts are hostile input, and
// a topic is named early or not at all.
const maxText = 8 << 10

// index is the lexicon as lookups: single words by word, phrases by their
// first word.
type index struct {
	words   map[string][]int    // word -> topic numbers
	phrases map[string][]phrase // first word -> phrases starting with it
}

type phrase struct {
	rest  []string
	topic int
}

var idx = build()

func build() index {
	ix := index{words: map[string][]int{}, phrases: map[string][]phrase{}}
	for i, e := range lexicon {
		for _, t := range e.terms {
			w := strings.Fields(t)
			if len(w) == 1 {
				ix.words[w[0]] = append(ix.words[w[0]], i)
			} else {
				ix.phrases[w[0]] = append(ix.phrases[w[0]], phrase{w[1:], i})
			}
		}
	}
	return ix
}

// Find returns the topics text names, in the lexicon's order, each once;
// nil when none.
func Find(text string) []string {
	if len(text) > maxText {
		text = text[:maxText]
	}
	words := tokenize(text)
	hit := make([]bool, len(lexicon))
	for i, w := range words {
		for _, v := range variants(w) {
			for _, t := range idx.words[v] {
				hit[t] = true
			}
			for _, p := range idx.phrases[v] {
				if hasPrefix(words[i+1:], p.rest) {
					hit[p.topic] = true
				}
			}
		}
	}
	var out []string
	for i, h := range hit {
		if h {
			out = append(out, lexicon[i].topic)
		}
	}
	return out
}

func hasPrefix(words, p []string) bool {
	if len(words) < len(p) {
		return false
	}
	for i := range p {
		if words[i] != p[i] {
			return false
		}
	}
	return true
}

// variants are the forms a word is looked up under: as written, and
// without the Indonesian particles and possessive that informal posts glue
// on ("paketnya", "kurirnya", "refundnya", "mahallah").
func variants(w string) []string {
	for _, suf := range []string{"nya", "lah", "kah"} {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			return []string{w, w[:len(w)-len(suf)]}
		}
	}
	return []string{w}
}

// tokenize lower-cases text and splits it into words of letters and digits
// (an apostrophe stays inside English words: "hasn't"). Runs of three or
// more of the same letter shrink to one, as informal posts stretch words
// ("telaaat", "lamaaa").
func tokenize(text string) []string {
	var out []string
	var b strings.Builder
	var last rune
	run := 0
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
		last, run = 0, 0
	}
	for _, r := range strings.ToLower(text) {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' && b.Len() > 0) {
			flush()
			continue
		}
		if r == last {
			run++
		} else {
			last, run = r, 1
		}
		if run >= 3 {
			// A stretched letter: keep one, and drop the second already
			// written.
			if run == 3 {
				s := b.String()
				b.Reset()
				b.WriteString(s[:len(s)-len(string(r))])
			}
			continue
		}
		b.WriteRune(r)
	}
	flush()
	return out
}

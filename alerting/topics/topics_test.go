package topics

import (
	"slices"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	cases := map[string]struct {
		text string
		want []string
	}{
		"formal Indonesian delivery and lateness":  {"Pengiriman paket saya terlambat 5 hari", []string{Delivery, Late}},
		"informal Indonesian, stretched and glued": {"udh 3 hari paketnya blm nyampe, telaaat bgt min", []string{Delivery, Late}},
		"lost, informal spelling":                  {"barang gue ilang di kurir", []string{Delivery, Lost}},
		"damaged":                                  {"HPnya dateng layar PECAH, kotak penyok", []string{Damaged}},
		"refund as a phrase":                       {"kapan pengembalian dana saya diproses??", []string{Refund}},
		"refund in code-mixed slang":               {"refundnya mana min, udah seminggu", []string{Refund}},
		"payment and balance":                      {"saldo kepotong 2x tapi pembayaran gagal", []string{Payment}},
		"app errors":                               {"aplikasinya eror terus, gabisa login dari kemarin", []string{App}},
		"customer service not answering":           {"CS nya gak dibales dari pagi, admin kemana", []string{CustomerService}},
		"price and shipping fee":                   {"ongkir mahal bgt sekarang", []string{Price}},
		"wrong item":                               {"barang tidak sesuai foto, salah kirim warna", []string{Delivery, WrongItem}},
		"cancellation":                             {"pesanan dibatalin sepihak", []string{Cancellation}},
		"English delivery and lateness":            {"My package still hasn't arrived, it's a week late", []string{Delivery, Late}},
		"English refund and payment":               {"I was double charged and still no refund", []string{Refund, Payment}},
		"English app":                              {"The app crashes every time I log in", []string{App}},
		"English support":                          {"Nobody answers, customer service is useless", []string{CustomerService}},
		"code-mixed":                               {"parcel gw rusak, minta money back dong", []string{Delivery, Damaged, Refund}},
		"nothing to name":                          {"kecewa banget sama kalian", nil},
		"no substring matches":                     {"transparansi costume cancer", nil},
		"empty":                                    {"", nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Find(tc.text); !slices.Equal(got, tc.want) {
				t.Errorf("Find(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

// Hostile input: huge, invalid UTF-8, control bytes. Find stays bounded and
// reads only the start.
func TestFindHostileText(t *testing.T) {
	huge := strings.Repeat("a", 1<<20) + " refund"
	if got := Find(huge); got != nil {
		t.Errorf("read past the cap: %v", got)
	}
	if got := Find("\xff\xfe refund\x00paket"); !slices.Equal(got, []string{Delivery, Refund}) {
		t.Errorf("invalid bytes: %v", got)
	}
}

func TestLexiconIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range lexicon {
		if seen[e.topic] {
			t.Errorf("topic %q listed twice", e.topic)
		}
		seen[e.topic] = true
		for _, term := range e.terms {
			if term != strings.ToLower(term) || strings.TrimSpace(term) != term {
				t.Errorf("term %q: must be lower case and trimmed", term)
			}
		}
	}
}

func BenchmarkFind(b *testing.B) {
	text := "udh 3 hari paketnya blm nyampe, kecewa bgt min. Order #123 still not delivered and nobody answers"
	for b.Loop() {
		Find(text)
	}
}

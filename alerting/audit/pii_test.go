package audit

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pantau/pantau/store"
)

// spanTexts renders spans as "kind:text" for readable comparisons.
func spanTexts(text string, spans []store.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Kind+":"+text[s.Start:s.End])
	}
	return out
}

func TestFindPII(t *testing.T) {
	tests := map[string]struct {
		text string
		want []string
	}{
		// phone
		"mobile with dashes":           {"hubungi 0812-3456-7890 ya", []string{"phone:0812-3456-7890"}},
		"mobile with spaces":           {"no hp saya 0812 9988 7766", []string{"phone:0812 9988 7766"}},
		"mobile with dots":             {"tried you on 0813.2233.4455 today", []string{"phone:0813.2233.4455"}},
		"mobile plain":                 {"call me 081398765432 asap", []string{"phone:081398765432"}},
		"+62 mobile":                   {"nomor +62 857 1234 5678 tidak aktif", []string{"phone:+62 857 1234 5678"}},
		"+62 glued":                    {"wa saya +6281311112222", []string{"phone:+6281311112222"}},
		"62 without plus":              {"no HP 6281234567890 terdaftar", []string{"phone:6281234567890"}},
		"landline dash":                {"telp 021-5551234 kantor saya", []string{"phone:021-5551234"}},
		"landline parens":              {"no telp rumah (022) 7654321", []string{"phone:(022) 7654321"}},
		"landline +62":                 {"telp ke +62-21-5551234", []string{"phone:+62-21-5551234"}},
		"international":                {"my number is +44 7700 900123", []string{"phone:+44 7700 900123"}},
		"north american":               {"call you at +1 415 555 0134", []string{"phone:+1 415 555 0134"}},
		"too short is not phone":       {"0812 345 itu nomor siapa?", nil},
		"0812-3456 is not phone":       {"0812-3456 itu nomor CS palsu", nil},
		"toll-free is business":        {"call 0800 123 4567 (free)", nil},
		"short code is business":       {"CS 1500-888 dan 14045 tidak bisa", nil},
		"brand WA kami":                {"hubungi WA kami 0811-1500-234 ya", nil},
		"brand official after":         {"WhatsApp +62 811 1500 234 (official)", nil},
		"brand call us at":             {"Please call us at (021) 2345 6789", nil},
		"kami as subject is not brand": {"Kami sudah telepon ke 0821-1234-5678 tapi tidak aktif", []string{"phone:0821-1234-5678"}},
		"customer marker wins":         {"kami hubungi Kakak di 0812-3456-7890", []string{"phone:0812-3456-7890"}},

		// email
		"email":            {"email gw andi.pratama@outlook.com ya", []string{"email:andi.pratama@outlook.com"}},
		"email plus tag":   {"my email is j.doe+orders@proton.me", []string{"email:j.doe+orders@proton.me"}},
		"email co.id":      {"ke budi.santoso@yahoo.co.id.", []string{"email:budi.santoso@yahoo.co.id"}},
		"role mailbox":     {"email cs@kilat.example atau help@kilat.example", nil},
		"handle not email": {"follow @kilat_cs dan @kilat.id", nil},
		"no tld not email": {"user@localhost", nil},

		// addresses
		"jl no rt rw kel": {"di Jl. Melati No. 12 RT 03/RW 05, Kel. Sukamaju besok",
			[]string{"address:Jl. Melati No. 12 RT 03/RW 05, Kel. Sukamaju"}},
		"jalan kecamatan": {"di Jalan Kenanga Raya No. 8, Kecamatan Tebet sudah",
			[]string{"address:Jalan Kenanga Raya No. 8, Kecamatan Tebet"}},
		"lower case informal": {"kirim ke jl. flamboyan no 9 rt 4 rw 6 kec. sukajadi",
			[]string{"address:jl. flamboyan no 9 rt 4 rw 6 kec. sukajadi"}},
		"rt rw desa":                  {"RT 05 RW 03 Desa Sukamaju belum", []string{"address:RT 05 RW 03 Desa Sukamaju"}},
		"rt/rw compact":               {"RT/RW 003/005 Kel. Cempaka", []string{"address:RT/RW 003/005 Kel. Cempaka"}},
		"perum blok no":               {"di Perum Bumi Indah Blok F2 No. 17, Tangerang", []string{"address:Perum Bumi Indah Blok F2 No. 17"}},
		"street name in number":       {"Jl. Cendana 3 No. 21, Bandung", []string{"address:Jl. Cendana 3 No. 21"}},
		"sentence dot ends name":      {"Kec. Cilandak. Kok belum", nil},
		"street alone is not address": {"Paket ke Jalan Sudirman macet total", nil},
		"jalan as a word":             {"masih jalan-jalan dulu, pesanan dalam perjalanan", nil},
		"shop address":                {"Outlet kami di Jl. Jend. Sudirman No. 45, Jakarta buka jam 10", nil},
		"english street":              {"pickup at 12 Baker Street, Apt 4B tomorrow", []string{"address:12 Baker Street, Apt 4B"}},
		"english 221B":                {"delivered to 221B Baker Street on Monday", []string{"address:221B Baker Street"}},
		"english avenue":              {"Ship it to 1600 Pennsylvania Avenue already", []string{"address:1600 Pennsylvania Avenue"}},
		"english store":               {"Our store at 500 Market Street is open", nil},
		"english not street":          {"45 Minutes on hold, 3 Days later", nil},

		// order, tracking, booking numbers
		"order hash":         {"order kakak #98231774 udah dikirim", []string{"order_id:98231774"}},
		"no pesanan":         {"no pesanan 2401150001234 belum dateng min", []string{"order_id:2401150001234"}},
		"resi with courier":  {"resi JNE CGK1234567890123 masih", []string{"order_id:CGK1234567890123"}},
		"waybill shape":      {"paket JP8812345678 di gudang", []string{"order_id:JP8812345678"}},
		"invoice slashes":    {"pesanan INV/20260115/MPL/3456789012 sudah", []string{"order_id:INV/20260115/MPL/3456789012"}},
		"invoice dashes":     {"Invoice INV-2026-000871 corrected", []string{"order_id:INV-2026-000871"}},
		"booking code":       {"Your booking code is XKQ7PZ and", []string{"order_id:XKQ7PZ"}},
		"booking no digits":  {"kode booking saya XKQPZA hilang", []string{"order_id:XKQPZA"}},
		"url with resi":      {"cek https://kilat.example/track?resi=JP1234567890 ya", []string{"order_id:JP1234567890"}},
		"url path waybill":   {"https://kilat.example/t/JP5566778899 masih", []string{"order_id:JP5566778899"}},
		"tracking page":      {"follow it at https://kilat.example/track today", nil},
		"status url id":      {"https://mastodon.example/@kilat/112233445566778899", nil},
		"order status words": {"status pesanan kakak sedang dikirim, resi sudah diupdate", nil},
		"order count":        {"Order 2 item, pesanan 3 hari lagi", nil},
		"promo code":         {"pakai kode promo HEMAT2026 dan SPICY20", nil},
		"ticket":             {"tiket #58213 sudah kami eskalasi", nil},
		"product codes":      {"Samsung A54, iPhone 15, RTX4090, COVID-19", nil},

		// NIK
		"nik valid bare":         {"3273012307850001 ini NIK saya", []string{"nik:3273012307850001"}},
		"nik female day+40":      {"data 3174054501900003 sudah", []string{"nik:3174054501900003"}},
		"nik context any":        {"NIK 3201121708920005 sudah upload", []string{"nik:3201121708920005"}},
		"16 digits bad province": {"kode 9912345678901234 aneh", nil},

		// cards
		"card spaced":     {"card 4111 1111 1111 1111 charged", []string{"card:4111 1111 1111 1111"}},
		"card dashed":     {"Kartu 5500-0000-0000-0004 ditolak", []string{"card:5500-0000-0000-0004"}},
		"card amex":       {"Amex 3782 822463 10005 kena", []string{"card:3782 822463 10005"}},
		"card plain":      {"charge to 4916338506082832 was", []string{"card:4916338506082832"}},
		"card luhn fails": {"nomor kartu 1234 5678 9012 3456 ditolak", nil},
		"card zeros":      {"0000 0000 0000 0000", nil},
		"last four only":  {"card ending 4821, berakhiran 9012", nil},

		// bank accounts
		"rekening bca":       {"ke rekening BCA 1234567890 a.n. Dewi", []string{"bank_account:1234567890"}},
		"rek bri dashes":     {"rek BRI 0123-01-012345-53-8 kok", []string{"bank_account:0123-01-012345-53-8"}},
		"norek after":        {"no rek 0123456789 BNI a/n Andi", []string{"bank_account:0123456789"}},
		"no context no bank": {"angka 1234567890 saja", nil},

		// plates
		"plate":                    {"plat B 4512 KJT sudah", []string{"plate:B 4512 KJT"}},
		"plate two letter":         {"motor plat AB 5521 XY, udah", []string{"plate:AB 5521 XY"}},
		"plate compact":            {"mobil B1234XYZ ditabrak", []string{"plate:B1234XYZ"}},
		"plate lower with context": {"nopol b 1234 xyz", []string{"plate:b 1234 xyz"}},
		"not a plate: unit":        {"A 4 GB and B 2 TB", nil},
		"not a plate: lower":       {"b 1234 xyz", nil},

		// look-alikes that are not personal data
		"prices":       {"Harga Rp 150.000, Rp150.000,-, $12.99, 150rb, IDR 1,250,000, 1,5jt, USD 20", nil},
		"dates":        {"tanggal 15/01/2026, 2026-02-03, 12/12/2026 dan 17-08-2025", nil},
		"times":        {"jam 14:30, 10.00-22.00 WIB, 08:00-17:00, 00.00-04.00", nil},
		"percent":      {"diskon 50%, PPN 11%", nil},
		"versions":     {"versi 4.12.0, v2.0, 5.2.1, build 2026.01.3", nil},
		"counts":       {"3 hari, 2 minggu, 3x24 jam, 45 minutes, 1.000.000 orang", nil},
		"years":        {"sejak 2019 sampai 2026", nil},
		"hashtags":     {"#kecewa #Promo2026 @kilat_cs", nil},
		"queue number": {"nomor antrean 127, loket 3", nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := spanTexts(tc.text, FindPII(tc.text))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("FindPII(%q)\n got  %q\n want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestFindPIIMany(t *testing.T) {
	text := "Kak Dina (dina.r92@gmail.com, 0812-3456-7890) tinggal di Jl. Mawar 5 No. 10 RT 01 RW 02, order #98231774, kartu 4111 1111 1111 1111"
	got := FindPII(text)
	want := []string{"email:dina.r92@gmail.com", "phone:0812-3456-7890", "address:Jl. Mawar 5 No. 10 RT 01 RW 02",
		"order_id:98231774", "card:4111 1111 1111 1111"}
	if fmt.Sprint(spanTexts(text, got)) != fmt.Sprint(want) {
		t.Errorf("got %q\nwant %q", spanTexts(text, got), want)
	}
	checkSpans(t, text, got)
}

// checkSpans asserts the contract: in bounds, on rune boundaries, sorted,
// non-overlapping, with a kind.
func checkSpans(t *testing.T, text string, spans []store.Span) {
	t.Helper()
	last := 0
	for _, s := range spans {
		if s.Kind == "" || s.Start < last || s.End <= s.Start || s.End > len(text) {
			t.Fatalf("bad span %+v after %d in %q", s, last, text)
		}
		if !utf8.RuneStart(text[s.Start]) || s.End < len(text) && !utf8.RuneStart(text[s.End]) {
			t.Fatalf("span %+v splits a rune in %q", s, text)
		}
		last = s.End
	}
}

func FuzzFindPII(f *testing.F) {
	for _, s := range []string{"0812-3456-7890", "Jl. Melati No. 12 RT 03/RW 05", "a@b.co", "https://x.y/track?resi=JP1234567890",
		"RT/RW 003/005", "B 1234 XYZ", "4111 1111 1111 1111", "(021) 555", "+", "#12345", "@x", "Kel. 😀 Sukamaju",
		"INV/1/2/3", "\xff\xfe0812 3456 7890", strings.Repeat("0812 ", 50)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spans := FindPII(s)
		last := 0
		for _, sp := range spans {
			if sp.Start < last || sp.End <= sp.Start || sp.End > len(s) {
				t.Fatalf("bad span %+v in %q", sp, s)
			}
			last = sp.End
		}
		_ = Mask(s, spans)
	})
}

func TestLuhn(t *testing.T) {
	for s, want := range map[string]bool{
		"4111111111111111": true, "4111 1111 1111 1111": true, "5500-0000-0000-0004": true,
		"378282246310005": true, "6011111111111117": true, "4111111111111112": false,
		"1234567890123456": false, "": false, "0": true, "79927398713": true, "79927398710": false,
	} {
		if got := Luhn(s); got != want {
			t.Errorf("Luhn(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestValidNIK(t *testing.T) {
	for s, want := range map[string]bool{
		"3273012307850001":  true,  // Jawa Barat, man born 23-07-85
		"3174054501900003":  true,  // DKI, woman born 05-01-90 (day + 40)
		"9412345101000001":  true,  // Papua Tengah, the highest code
		"1101010101000001":  true,  // Aceh, the lowest
		"9912345678901234":  false, // no province 99
		"2012345101000001":  false, // no province 20
		"3200012307850001":  false, // regency 00
		"3273002307850001":  false, // district 00
		"3273013207850001":  false, // day 32
		"3273017207850001":  false, // day 72 (woman, 32)
		"3273012313850001":  false, // month 13
		"3273012307850000":  false, // serial 0000
		"327301230785000":   false, // 15 digits
		"32730123078500011": false,
		"3273O12307850001":  false, // a letter O
	} {
		if got := ValidNIK(s); got != want {
			t.Errorf("ValidNIK(%q) = %v, want %v", s, got, want)
		}
	}
}
